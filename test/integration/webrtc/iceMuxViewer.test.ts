/**
 * A Viewer on the server's shared WebRTC ports (IceMux), with a werift peer playing the browser:
 * ICE, DTLS and camrtc's RTP go through the one UDP port, or over ICE-TCP through the one TCP port,
 * and the ports hold no state for a viewer once it closed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection } from 'werift';
import { createLogger } from '../../../server/src/log/logger.js';
import { connect, type Socket } from 'node:net';
import { IceMux } from '../../../server/src/webrtc/ice/IceMux.js';
import { MAX_PENDING_CONNECTIONS } from '../../../server/src/webrtc/ice/TcpMux.js';
import { Viewer } from '../../../server/src/webrtc/Viewer.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { repoRoot } from '../../helpers/paths.js';
import { h264Track } from './helpers/FakeCamera.js';
import { H264FrameSource } from './helpers/h264Frames.js';
import { waitFor } from './helpers/waitFor.js';

const lines: string[] = [];
const logger = createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });

/** SDP without the candidates of one transport (as a network that blocks UDP would leave it). */
export function withoutCandidates(sdp: string, transport: 'udp' | 'tcp'): string {
  return sdp
    .split('\r\n')
    .filter((l) => !(l.startsWith('a=candidate:') && l.split(' ')[2]?.toLowerCase() === transport))
    .join('\r\n');
}

function candidates(sdp: string): string[] {
  return sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
}

/** Feeds the demo clip at 25 fps until `stop` says so. */
function feed(viewer: Viewer): () => void {
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  let n = 0;
  const timer = setInterval(() => {
    const frame = clip.nextFrame();
    viewer.onFrame({ ...frame, timestamp: (n++ * 3600) >>> 0, receivedAt: performance.now() });
  }, 40);
  return () => clearInterval(timer);
}

function countVideo(browser: RTCPeerConnection): { packets: number } {
  const seen = { packets: 0 };
  browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => seen.packets++));
  return seen;
}

describe('a viewer on the shared WebRTC ports', () => {
  let mux: IceMux;
  const closers: (() => Promise<unknown>)[] = [];
  before(async () => {
    mux = (await IceMux.start({ udpPort: 0, tcpPort: 0, hostAddresses: ['127.0.0.1'], logger }))!;
  });
  after(async () => {
    for (const close of closers) await close();
    await mux.close();
  });

  it('UDP: the offer announces the mux port, camrtc writes the RTP through it, and closing drops its routes', async () => {
    const viewer = new Viewer({ id: 'mux-udp', tracks: [h264Track(0)], network: { hostAddresses: ['127.0.0.1'], mux }, logger });
    const browser = loopbackPeer();
    closers.push(() => viewer.close(), () => browser.close());
    const seen = countVideo(browser);
    const offer = await viewer.createOffer();
    const udp = candidates(offer).filter((c) => c.split(' ')[2] === 'udp');
    assert.deepEqual(udp.map((c) => c.split(' ').slice(4, 6).join(':')), [`127.0.0.1:${mux.udpPort}`]);
    assert.ok(/a=ice-ufrag:[0-9a-f]{16}\r\n/.test(offer), 'a 16-digit ufrag from the mux');
    await browser.setRemoteDescription({ type: 'offer', sdp: offer });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(browser.localDescription!.sdp);
    await waitFor(() => viewer.state === 'connected', 'viewer connected');
    assert.equal(mux.stats.sessions, 1);
    assert.ok(mux.stats.routes >= 1);
    const stop = feed(viewer);
    try {
      await waitFor(() => seen.packets > 50, 'video packets through the mux');
    } finally {
      stop();
    }
    assert.equal(viewer.stats.rtpPath, 'camrtc');
    await viewer.close();
    assert.equal(mux.stats.sessions, 0);
    assert.equal(mux.stats.routes, 0);
  });

  it('TCP: with the UDP candidates gone both ways, ICE-TCP through the one TCP port carries DTLS and the RTP', async () => {
    const viewer = new Viewer({ id: 'mux-tcp', tracks: [h264Track(0)], network: { hostAddresses: ['127.0.0.1'], mux }, logger });
    // A browser that connects out over TCP only (RFC 6544 active), as behind a firewall that drops UDP.
    const browser = loopbackPeer({ iceUseTcp: true, iceTcpPassive: false });
    closers.push(() => viewer.close(), () => browser.close());
    const seen = countVideo(browser);
    const offer = await viewer.createOffer();
    const tcp = candidates(offer).filter((c) => c.split(' ')[2] === 'tcp');
    assert.equal(tcp.length, 1, offer);
    assert.match(tcp[0], new RegExp(` tcp \\d+ 127\\.0\\.0\\.1 ${mux.tcpPort} typ host tcptype passive`));
    await browser.setRemoteDescription({ type: 'offer', sdp: withoutCandidates(offer, 'udp') });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(withoutCandidates(browser.localDescription!.sdp, 'udp'));
    await waitFor(() => viewer.state === 'connected', 'viewer connected over ICE-TCP');
    const pair = (browser.iceTransports[0] as unknown as { connection: { nominated?: { localCandidate: { transport: string } } } }).connection.nominated;
    assert.equal(pair?.localCandidate.transport, 'tcp');
    const stop = feed(viewer);
    try {
      await waitFor(() => seen.packets > 50, 'video packets over ICE-TCP');
    } finally {
      stop();
    }
    await viewer.close();
    assert.equal(mux.stats.sessions, 0);
  });
});

describe('the ICE-TCP port before a connection is routed', () => {
  it('a connection that sends nothing is closed after the first-request timeout, and waiting ones are bounded', async () => {
    const mux = (await IceMux.start({ udpPort: 'off', tcpPort: 0, hostAddresses: ['127.0.0.1'], logger, firstStunTimeoutMs: 1_000 }))!;
    const sockets: Socket[] = [];
    try {
      const closed: boolean[] = [];
      for (let i = 0; i < MAX_PENDING_CONNECTIONS + 10; i++) {
        const s = connect({ host: '127.0.0.1', port: mux.tcpPort! });
        s.on('error', () => undefined);
        s.once('close', () => (closed[i] = true));
        sockets.push(s);
      }
      await waitFor(() => mux.stats.tcpPending + mux.stats.tcpRefused === MAX_PENDING_CONNECTIONS + 10, 'every connection accepted or refused');
      assert.equal(mux.stats.tcpPending, MAX_PENDING_CONNECTIONS);
      await waitFor(() => closed.filter(Boolean).length === sockets.length, 'every silent connection closed by the server', 5_000);
      assert.equal(mux.stats.tcpPending, 0);
      assert.equal(mux.stats.tcpRefused, MAX_PENDING_CONNECTIONS + 10);
    } finally {
      for (const s of sockets) s.destroy();
      await mux.close();
    }
  });
});
