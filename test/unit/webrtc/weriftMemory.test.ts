import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, type RTCDtlsTransport } from 'werift';
import { createLogger } from '../../../server/src/log/logger.js';
import { releaseHandshakeMemory } from '../../../server/src/webrtc/werift/index.js';
import { H264_RECEIVE, LOOPBACK_ICE, loopbackPeer } from '../../helpers/loopbackPeer.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';

interface Transcript {
  handshakeCache: Record<number, unknown>;
  lastMessage: unknown[];
}

/** werift's DTLS handshake transcript of the server's peer connection (what the module releases). */
function transcript(pc: RTCPeerConnection): Transcript {
  const transport = pc.dtlsTransports[0] as unknown as { dtls: { dtls: Transcript } };
  return transport.dtls.dtls;
}

function dtlsRole(pc: RTCPeerConnection): string {
  return (pc.dtlsTransports[0] as RTCDtlsTransport & { role: string }).role;
}

/** A send-only camrtc-like peer connection and a receiving loopback peer standing in for the browser. */
async function connectedPair(serverOffers: boolean): Promise<{ server: RTCPeerConnection; browser: RTCPeerConnection; sendVideo(n: number): void; received(): number }> {
  const server = new RTCPeerConnection({ ...LOOPBACK_ICE, codecs: { video: [H264_RECEIVE], audio: [] } });
  const browser = loopbackPeer();
  let received = 0;
  browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => received++));
  const transceiver = server.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  if (serverOffers) {
    await server.setLocalDescription(await server.createOffer());
    await browser.setRemoteDescription(server.localDescription!);
    await browser.setLocalDescription(await browser.createAnswer());
    await server.setRemoteDescription(browser.localDescription!);
  } else {
    browser.addTransceiver('video', { direction: 'recvonly' });
    await browser.setLocalDescription(await browser.createOffer());
    await server.setRemoteDescription(browser.localDescription!);
    await server.setLocalDescription(await server.createAnswer());
    await browser.setRemoteDescription(server.localDescription!);
  }
  await waitFor(() => server.connectionState === 'connected' && browser.connectionState === 'connected', 'both peers connected');
  let sequenceNumber = 1;
  const sendVideo = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const header = new RtpHeader({ payloadType: H264_RECEIVE.payloadType ?? 96, sequenceNumber: sequenceNumber++, timestamp: sequenceNumber * 3000, marker: true });
      // One H.264 non-IDR slice NAL unit: enough for werift's receiver to count a packet.
      void transceiver.sender.sendRtp(new RtpPacket(header, Buffer.from([0x41, 0x9a, 0x00, 0x01]))).catch(() => undefined);
    }
  };
  return { server, browser, sendVideo, received: () => received };
}

const logger = createLogger({ level: 'silent' });
const open: RTCPeerConnection[] = [];
after(async () => {
  await Promise.all(open.map((pc) => pc.close()));
});

describe('releaseHandshakeMemory', () => {
  it('as DTLS client, drops the handshake transcript once connected and media still flows', async () => {
    const pair = await connectedPair(false);
    open.push(pair.server, pair.browser);
    assert.equal(dtlsRole(pair.server), 'client');
    assert.ok(Object.keys(transcript(pair.server).handshakeCache).length > 0, 'werift keeps the transcript after the handshake');

    assert.equal(releaseHandshakeMemory(pair.server, logger), true);

    assert.equal(Object.keys(transcript(pair.server).handshakeCache).length, 0);
    assert.equal(transcript(pair.server).lastMessage.length, 0);
    pair.sendVideo(5);
    await waitFor(() => pair.received() >= 5, 'video after the release');
    await pair.server.getStats();
  });

  it('as DTLS server, keeps the transcript until the browser sends RTCP (it may resend its last flight until then)', async () => {
    const pair = await connectedPair(true);
    open.push(pair.server, pair.browser);
    assert.equal(dtlsRole(pair.server), 'server');

    assert.equal(releaseHandshakeMemory(pair.server, logger), true);
    assert.ok(Object.keys(transcript(pair.server).handshakeCache).length > 0, 'kept before the browser proved it finished');

    // werift's receiver sends receiver reports once it gets RTP.
    pair.sendVideo(3);
    await waitFor(() => Object.keys(transcript(pair.server).handshakeCache).length === 0, 'transcript dropped after the first RTCP');
    const before = pair.received();
    pair.sendVideo(3);
    await waitFor(() => pair.received() >= before + 3, 'video after the release');
  });

  it('does nothing before DTLS is connected', async () => {
    const pc = new RTCPeerConnection({ ...LOOPBACK_ICE, codecs: { video: [H264_RECEIVE], audio: [] } });
    open.push(pc);
    pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    // No DTLS socket yet: nothing to release, and no complaint about werift's shape either.
    assert.equal(pc.dtlsTransports.length, 1);
    assert.equal(releaseHandshakeMemory(pc, logger), true);
  });

  it('leaves a peer connection of an unknown werift shape alone and warns once', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });
    const odd = { dtlsTransports: [{ state: 'connected', onRtcp: { subscribe: () => ({ unSubscribe() {} }) }, dtls: { connected: true } }] } as unknown as RTCPeerConnection;
    assert.equal(releaseHandshakeMemory(odd, log), false);
    assert.equal(releaseHandshakeMemory(odd, log), false);
    assert.equal(lines.filter((l) => l.includes('werift version differs')).length, 1);
  });
});
