/**
 * Signaling protocol v1 beyond the basic watch: a client-made offer, server-side trickle ICE, play and
 * pause acknowledgements, seek on a live camera, stats. Over a real /ws with a werift peer.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { SignalingServer } from '../../../server/src/signaling/SignalingServer.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { parseClientMessage } from '../../../shared/protocol.js';
import { FakeCamera, FakeDirectory, h264Track, pcmaTrack } from '../../integration/webrtc/helpers/FakeCamera.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';
import { TestClient } from './wsClient.js';
import { LOOPBACK_ICE } from '../../helpers/loopbackPeer.js';

/** A receiving peer offering H.264 the way Chrome does: packetization-mode=0 before 1. */
function chromeLikePeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    ...LOOPBACK_ICE,
    // werift as an offerer with separate transports leaks the unused one's socket on close.
    bundlePolicy: 'max-bundle',
    codecs: {
      video: [
        new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: 102, parameters: 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f' }),
        new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: 106, parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 })],
    },
  });
}

describe('signaling protocol v1', () => {
  const front = new FakeCamera('front', [h264Track(0), pcmaTrack(1)]);
  let http: Server;
  let signaling: SignalingServer;
  let url: string;
  const clients: TestClient[] = [];
  const peers: RTCPeerConnection[] = [];

  const connect = async (): Promise<TestClient> => {
    const client = await TestClient.open(url);
    clients.push(client);
    return client;
  };

  before(async () => {
    http = createServer((_req, res) => res.writeHead(404).end());
    signaling = new SignalingServer({ server: http, cameras: new FakeDirectory([front]), logger: silentLogger(), peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(peers.map((p) => p.close()));
    await signaling.close();
    await new Promise((resolve) => http.close(resolve));
  });

  it('client-made offer: the answer keeps the packetization-mode=1 H.264 entry only', async () => {
    const client = await connect();
    const pc = chromeLikePeer();
    peers.push(pc);
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    client.send({ type: 'watch', id: 'o1', camera: 'front', offer: pc.localDescription!.sdp });
    const answer = await client.next('answer', (m) => m.id === 'o1');
    const video = answer.sdp.split('m=video')[1].split('m=audio')[0];
    assert.match(video, /a=rtpmap:106 H264\/90000/);
    assert.doesNotMatch(video, /a=rtpmap:102 /, 'the packetization-mode=0 entry is not answered');
    assert.match(answer.sdp, /a=sendonly/);
    assert.match(answer.sdp, /a=candidate:/, 'the answer carries the server candidates');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await waitFor(() => pc.connectionState === 'connected', 'the peer connection to come up with the answer');
    const playback = await client.next('playback', (m) => m.id === 'o1');
    assert.deepEqual(playback, { type: 'playback', id: 'o1', state: 'playing', seekable: false });
    client.send({ type: 'stop', id: 'o1' });
    await client.next('closed', (m) => m.id === 'o1');
  });

  it('trickle: the offer comes without candidates, then candidates, then null', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 't1', camera: 'front', trickle: true });
    const offer = await client.next('offer', (m) => m.id === 't1');
    assert.doesNotMatch(offer.sdp, /a=candidate:/);
    const first = await client.next('candidate', (m) => m.id === 't1' && m.candidate !== null);
    assert.match(first.candidate!.candidate, /^candidate:.* 127\.0\.0\.1 /);
    assert.equal(typeof first.candidate!.sdpMid, 'string');
    await client.next('candidate', (m) => m.id === 't1' && m.candidate === null);
  });

  it('pause and play are acknowledged and reach the camera; seek on a live camera is ERR_NOT_SEEKABLE', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'p1', camera: 'front' });
    await client.next('offer', (m) => m.id === 'p1');
    await client.next('playback', (m) => m.id === 'p1');
    client.send({ type: 'pause', id: 'p1' });
    assert.equal((await client.next('playback', (m) => m.id === 'p1')).state, 'paused');
    assert.equal(front.pausedLeases.length, 1);
    client.send({ type: 'play', id: 'p1' });
    assert.equal((await client.next('playback', (m) => m.id === 'p1')).state, 'playing');
    assert.equal(front.pausedLeases.length, 0);
    client.send({ type: 'seek', id: 'p1', seconds: 30 });
    const error = await client.next('error', (m) => m.id === 'p1');
    assert.equal(error.code, 'ERR_NOT_SEEKABLE');
    client.send({ type: 'stats', id: 'p1' });
    const stats = await client.next('stats', (m) => m.id === 'p1');
    assert.equal(stats.camera, 'front');
    assert.equal(stats.playback, 'playing');
    assert.equal(stats.stats.framesSent, 0);
    assert.equal(stats.stats.connection, 'new', 'no answer was sent: the peer connection has not started');
  });

  it('several cameras over one socket: each session answers for itself', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'a', camera: 'front' });
    client.send({ type: 'watch', id: 'b', camera: 'front' });
    const [a, b] = await Promise.all([client.next('offer', (m) => m.id === 'a'), client.next('offer', (m) => m.id === 'b')]);
    assert.notEqual(a.sdp, b.sdp);
    client.send({ type: 'stop', id: 'a' });
    await client.next('closed', (m) => m.id === 'a');
    client.send({ type: 'stats', id: 'b' });
    assert.equal((await client.next('stats', (m) => m.id === 'b')).id, 'b');
  });
});

describe('parseClientMessage (v1 additions)', () => {
  it('accepts seek, stats and watch with an offer; refuses bad positions', () => {
    assert.ok(parseClientMessage('{"type":"seek","id":"a","seconds":12.5}').ok);
    assert.ok(parseClientMessage('{"type":"stats","id":"a"}').ok);
    assert.ok(parseClientMessage('{"type":"watch","id":"a","camera":"c","offer":"v=0","trickle":true}').ok);
    for (const seconds of ['-1', '1e12', '"10"', 'null']) {
      const r = parseClientMessage(`{"type":"seek","id":"a","seconds":${seconds}}`);
      assert.ok(!r.ok && r.code === 'ERR_SIGNALING_INVALID', seconds);
    }
  });

  it('counts the 64 KiB limit in UTF-8 bytes', () => {
    const text = JSON.stringify({ type: 'answer', id: 'a', sdp: 'é'.repeat(40_000) });
    const r = parseClientMessage(text);
    assert.ok(!r.ok && r.code === 'ERR_LIMIT');
  });
});
