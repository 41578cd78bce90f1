/**
 * camrtc writes the RTP of its own offers itself (RtpWriter over werift's DTLS-SRTP keys and ICE
 * connection). A werift peer connection plays the browser: it decrypts with its own SRTP code, NACKs
 * what it lost, and shows what reached it.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { Viewer } from '../../../server/src/webrtc/Viewer.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { repoRoot } from '../../helpers/paths.js';
import { h264Track } from './helpers/FakeCamera.js';
import { H264FrameSource } from './helpers/h264Frames.js';
import { waitFor } from './helpers/waitFor.js';

interface Call {
  viewer: Viewer;
  browser: RTCPeerConnection;
  video: RtpPacket[];
}

const open: Call[] = [];

async function call(browserDebug: { inboundPacketLoss?: number } = {}): Promise<Call & { offer: string }> {
  const viewer = new Viewer({
    id: 'rtp-path',
    tracks: [h264Track(0, '42e01f')],
    network: { hostAddresses: ['127.0.0.1'] },
    logger: silentLogger(),
  });
  const browser = loopbackPeer({ debug: browserDebug });
  const video: RtpPacket[] = [];
  browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => video.push(rtp.clone())));
  const c = { viewer, browser, video };
  open.push(c);
  const offer = await viewer.createOffer();
  await browser.setRemoteDescription({ type: 'offer', sdp: offer });
  await browser.setLocalDescription(await browser.createAnswer());
  await viewer.setAnswer(browser.localDescription!.sdp);
  await waitFor(() => viewer.state === 'connected', 'viewer connected');
  return { ...c, offer };
}

async function sendGops(viewer: Viewer, gops: number): Promise<void> {
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  for (let i = 0; i < clip.units.length * gops; i++) {
    viewer.onFrame(clip.nextFrame());
    if (i % 5 === 0) await new Promise((r) => setTimeout(r, 2));
  }
}

describe('Viewer RTP path', () => {
  afterEach(async () => {
    for (const c of open.splice(0)) {
      await c.viewer.close();
      await c.browser.close();
    }
    mock.restoreAll();
  });

  it('its own offer makes it the DTLS client, and camrtc writes RTP that the browser decrypts in order', async () => {
    const { viewer, offer, video } = await call();
    assert.match(offer, /a=setup:active/);
    assert.doesNotMatch(offer, /a=setup:actpass/);
    assert.equal(viewer.stats.rtpPath, 'camrtc');
    await sendGops(viewer, 1);
    const sent = viewer.stats.packetsSent;
    assert.ok(sent > 100);
    await waitFor(() => video.length >= sent, `all ${sent} packets received`);
    for (let i = 1; i < video.length; i++) {
      assert.equal(video[i].header.sequenceNumber, (video[i - 1].header.sequenceNumber + 1) & 0xffff, `gap after packet ${i - 1}`);
    }
    assert.equal(video[0].header.ssrc, viewer.ssrcOf(0));
    assert.equal(video.filter((p) => p.header.marker).length, viewer.stats.framesSent);
  });

  it('packets the browser lost come back when it NACKs them', async () => {
    // werift's debug option keeps this share of inbound packets (in percent): about 1 in 10 is lost.
    const { viewer, video } = await call({ inboundPacketLoss: 90 });
    await sendGops(viewer, 2);
    const sent = viewer.stats.packetsSent;
    await waitFor(() => viewer.stats.retransmitted > 0, 'a retransmission');
    const distinct = () => new Set(video.map((p) => p.header.sequenceNumber)).size;
    // Retransmissions are lost at the same rate, and werift NACKs each packet a limited number of times.
    await waitFor(() => distinct() >= sent * 0.98, `at least 98% of ${sent} packets received (lost without NACK: about 10%)`);
  });

  it('never asks Google\'s STUN server (werift\'s default) when no STUN server is configured', async () => {
    const lookups: string[] = [];
    const original = dns.promises.lookup.bind(dns.promises);
    mock.method(dns.promises, 'lookup', (host: string, ...rest: unknown[]) => {
      lookups.push(host);
      return (original as (...a: unknown[]) => unknown)(host, ...rest);
    });
    const viewer = new Viewer({ id: 'stun', tracks: [h264Track(0, '42e01f')], network: { hostAddresses: ['127.0.0.1'] }, logger: silentLogger() });
    open.push({ viewer, browser: loopbackPeer(), video: [] });
    const offer = await viewer.createOffer();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(lookups.filter((h) => h.includes('google')), []);
    assert.doesNotMatch(offer, /typ srflx/);
  });
});
