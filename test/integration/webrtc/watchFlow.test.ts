/**
 * The whole signaling exchange over a real WebSocket, with a werift peer connection as the browser:
 * watch -> status -> offer -> answer -> media, PLI reaching the camera, and a clean stop.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { SignalingServer } from '../../../server/src/signaling/SignalingServer.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { repoRoot } from '../../helpers/paths.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { FakeCamera, FakeDirectory, h264Track } from './helpers/FakeCamera.js';
import { H264FrameSource } from './helpers/h264Frames.js';
import { waitFor } from './helpers/waitFor.js';
import { LOOPBACK_ICE } from '../../helpers/loopbackPeer.js';

describe('watch flow over signaling', () => {
  const camera = new FakeCamera('front');
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  let http: Server;
  let signaling: SignalingServer;
  let client: TestClient;
  let browser: RTCPeerConnection;
  const received: RtpPacket[] = [];

  before(async () => {
    http = createServer();
    signaling = new SignalingServer({ server: http, cameras: new FakeDirectory([camera]), logger: silentLogger(), peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    client = await TestClient.open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`);
    browser = new RTCPeerConnection({
      ...LOOPBACK_ICE,
      codecs: {
        video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }], parameters: 'packetization-mode=1;profile-level-id=42e01f' })],
      },
    });
    browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp.clone())));
  });

  after(async () => {
    await client.close();
    await signaling.close();
    await browser.close();
    await new Promise((resolve) => http.close(resolve));
  });

  it('the camera starts on watch, and the offer comes once its tracks are known', async () => {
    camera.setStatus({ state: 'connecting' });
    client.send({ type: 'hello', version: 1 });
    client.send({ type: 'watch', id: 'cam-1', camera: 'front' });
    const status = await client.next('status');
    assert.deepEqual(status, { type: 'status', id: 'cam-1', camera: 'front', state: 'connecting' });
    assert.equal(camera.leases.size, 1, 'watch holds a lease on the camera (which starts it) before its tracks are known');
    assert.equal(camera.sinks.size, 0, 'no frames go through the session: the viewer subscribes once it exists');
    assert.equal(client.messages.some((m) => m.type === 'offer'), false);
    camera.setTracks([h264Track(0)]);
    camera.setStatus({ state: 'live' });
    const offer = await client.next('offer');
    await browser.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await browser.setLocalDescription(await browser.createAnswer());
    client.send({ type: 'answer', id: 'cam-1', sdp: browser.localDescription!.sdp });
    await waitFor(() => browser.connectionState === 'connected', 'browser connected');
  });

  it('frames pushed by the camera reach the browser, starting at a keyframe', async () => {
    assert.equal(camera.sinks.size, 1, 'the viewer subscribed to the camera through the lease');
    await waitFor(() => camera.keyframeRequests > 0, 'the viewer asks for a keyframe once connected');
    let sent = 0;
    for (let i = 0; i < 30; i++) {
      const frame = clip.nextFrame();
      camera.push(frame);
      sent += frame.payloads.length;
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => received.length >= sent, 'all packets received');
    assert.equal(received[0].payload[0] & 0x1f, 7, 'first packet is the SPS');
  });

  it("the browser's PLI reaches the camera as a keyframe request", async () => {
    const before = camera.keyframeRequests;
    const receiver = browser.getTransceivers()[0].receiver;
    await receiver.sendRtcpPLI(received[0].header.ssrc);
    await waitFor(() => camera.keyframeRequests > before, 'keyframe request');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(camera.keyframeRequests, before + 1, 'one PLI, one request: the keyframe path is not taken twice');
  });

  it('stop closes the session and detaches it from the camera', async () => {
    client.send({ type: 'stop', id: 'cam-1' });
    await client.next('closed', (m) => m.id === 'cam-1');
    assert.equal(camera.sinks.size, 0);
    assert.equal(camera.leases.size, 0, 'the lease is released');
  });
});
