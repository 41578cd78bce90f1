/**
 * The whole server as `npm start` builds it, in one process: the built-in demo camera (a real RTSP
 * server on loopback) -> RtspSession -> Source -> Viewer -> a werift peer standing in for the browser,
 * negotiated over the real /ws endpoint. Node only, so it runs in `npm test`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RtpPacket } from 'werift';
import { App } from '../../server/src/App.js';
import { loadConfig } from '../../server/src/config/Config.js';
import { silentLogger } from '../../server/src/log/logger.js';
import { TestClient } from '../unit/signaling/wsClient.js';
import { waitFor } from './webrtc/helpers/waitFor.js';
import { loopbackPeer } from '../helpers/loopbackPeer.js';

/** NAL unit type of the first NALU in an H.264 RTP payload (STAP-A: of its first aggregated NALU). */
function firstNaluType(payload: Buffer): number {
  const t = payload[0] & 0x1f;
  if (t === 24) return payload[3] & 0x1f;
  if (t === 28) return payload[1] & 0x1f;
  return t;
}

describe('camrtc server with the built-in demo camera', () => {
  let app: App;
  let base: string;

  before(async () => {
    const config = loadConfig({
      host: '127.0.0.1',
      port: 0,
      demo: true,
      logLevel: 'silent',
      // A camera nobody listens on, with credentials that must never leak.
      cameras: [{ name: 'offline', url: 'rtsp://admin:n0t-for-you@127.0.0.1:9/stream', idleTimeoutMs: 0 }],
      webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
    });
    app = await App.start(config, { logger: silentLogger() });
    base = `http://127.0.0.1:${app.port}`;
  });

  after(async () => {
    await app.close();
  });

  it('GET /healthz answers ok and GET /api/cameras lists the cameras without credentials', async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const list = await fetch(`${base}/api/cameras`);
    const text = await list.text();
    assert.deepEqual((JSON.parse(text) as Array<{ name: string }>).map((c) => c.name).sort(), ['demo', 'offline']);
    assert.ok(!text.includes('n0t-for-you') && !text.includes('rtsp://'), text);
  });

  it('a viewer receives the demo camera over WebRTC: H.264 starting at a keyframe, and PCMA audio', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws`);
    const pc = loopbackPeer();
    const video: RtpPacket[] = [];
    const audio: RtpPacket[] = [];
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => (track.kind === 'video' ? video : audio).push(rtp.clone())));
    try {
      client.send({ type: 'watch', id: 'v1', camera: 'demo' });
      const offer = await client.next('offer');
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      client.send({ type: 'answer', id: 'v1', sdp: pc.localDescription!.sdp });
      await waitFor(() => video.length >= 60 && audio.length >= 10, '60 video and 10 audio packets', 15_000);
      assert.ok([5, 7, 8].includes(firstNaluType(video[0].payload)), `first video packet starts with NAL type ${firstNaluType(video[0].payload)}`);
      for (let i = 1; i < video.length; i++) {
        assert.equal(video[i].header.sequenceNumber, (video[i - 1].header.sequenceNumber + 1) & 0xffff, 'continuous sequence numbers');
      }
      assert.ok(video.every((p) => p.payload.length <= 1200), 'payloads of at most 1200 bytes');
      assert.ok(audio.every((p) => p.header.payloadType === 8));
      assert.equal(app.demoCamera!.clientCount, 1, 'one RTSP session upstream');
    } finally {
      client.send({ type: 'stop', id: 'v1' });
      await client.close();
      await pc.close();
    }
  });

  it('hostile signaling messages get error replies and the server keeps serving', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws`);
    try {
      client.send('{not json');
      const e1 = await client.next('error');
      assert.equal(e1.code, 'ERR_SIGNALING_INVALID');
      client.send({ type: 'watch', id: 'x', camera: '../../etc/passwd' });
      const e2 = await client.next('error');
      assert.equal(e2.code, 'ERR_SIGNALING_INVALID');
      client.send({ type: 'watch', id: 'y', camera: 'nope' });
      const e3 = await client.next('error');
      assert.equal(e3.code, 'ERR_CAMERA_UNKNOWN');
      client.send({ type: 'list' });
      const cams = await client.next('cameras');
      assert.ok(cams.cameras.some((c) => c.name === 'demo'));
    } finally {
      await client.close();
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('an unreachable camera shows a readable, credential-free reason to its viewer', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws`);
    try {
      client.send({ type: 'watch', id: 'o1', camera: 'offline' });
      const status = await client.next('status', (m) => m.state === 'retrying');
      assert.equal(status.error?.code, 'ERR_RTSP_CONNECT');
      assert.match(status.error!.message, /offline/);
      assert.ok(!JSON.stringify(client.messages).includes('n0t-for-you'));
    } finally {
      await client.close();
    }
  });

  it('close() sends TEARDOWN to the camera', async () => {
    const demo = app.demoCamera!;
    await app.close();
    assert.ok(demo.requests.some((r) => r.method === 'TEARDOWN'), demo.requests.map((r) => r.method).join(','));
  });
});
