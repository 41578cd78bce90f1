import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import { Backoff } from '../../../server/src/media/Backoff.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { IDR, PPS, P_SLICE, SPS, rawRtp } from '../rtp/rtpFixtures.js';

const H264: Track = {
  index: 0, kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000,
  fmtp: { 'profile-level-id': '42e01f', 'sprop-parameter-sets': `${SPS.toString('base64')},${PPS.toString('base64')}` },
  control: 'rtsp://h/cam/0', direction: 'recvonly',
};

class Upstream extends EventEmitter implements UpstreamSession {
  keyframeRequests = 0;
  async start() {
    return { tracks: [H264] };
  }
  async pause() {}
  async play() {}
  async close() {}
  requestKeyframe(): void {
    this.keyframeRequests++;
  }
}

async function live() {
  const up = new Upstream();
  const source = new LiveCamera({ camera: { name: 'cam', url: 'rtsp://192.0.2.1/cam', transport: 'tcp', preload: false, idleTimeoutMs: 10 }, backoff: new Backoff(), createSession: () => up });
  const frames: MediaFrame[] = [];
  const lease = source.acquire();
  lease.subscribe({ onFrame: (f) => frames.push(f) });
  const tracks = await source.tracks();
  let seq = 100;
  const send = (nalu: Buffer, ts: number, ssrc = 1) => up.emit('rtp', 0, rawRtp({ seq: seq++, ts, payload: nalu, marker: true, ssrc }));
  return { up, source, lease, frames, tracks, send, setSeq: (s: number) => (seq = s) };
}

describe('LiveCamera: GOP cache and keyframe requests', () => {
  it('tells viewers the profile its SPS really has (sprop says 42c01e, the SDP said 42e01f)', async () => {
    const { source, tracks } = await live();
    assert.equal(tracks[0].fmtp['profile-level-id'], '42c01e');
    await source.close();
  });

  it('requestKeyframe returns the GOP from the last keyframe; the camera is not asked while it is cached', async () => {
    const { up, source, send } = await live();
    send(P_SLICE(), 0);
    assert.deepEqual(source.requestKeyframe(), [], 'nothing cached yet');
    assert.equal(up.keyframeRequests, 1, 'so the camera is asked');
    send(IDR(), 3000);
    send(P_SLICE(), 6000);
    const gop = source.requestKeyframe();
    assert.deepEqual(gop.map((f) => [f.keyframe, f.timestamp]), [[true, 3000], [false, 6000]]);
    assert.equal(up.keyframeRequests, 1);
    await source.close();
  });

  it('many viewers asking with nothing cached: at most one upstream request per interval', async () => {
    const { up, source, lease } = await live();
    const others = [source.acquire(), source.acquire()];
    for (let i = 0; i < 50; i++) [lease, ...others][i % 3].requestKeyframe();
    assert.equal(up.keyframeRequests, 1);
    await source.close();
  });

  it('camera SSRC change: new generation for viewers, GOP emptied, sequence restart is not mistaken for late packets', async () => {
    const { source, frames, send, setSeq } = await live();
    send(IDR(), 0);
    send(P_SLICE(), 3000);
    setSeq(10); // new stream: sequence numbers "behind" the old ones
    send(P_SLICE(), 500_000, 2);
    assert.equal(source.cachedGop().length, 0);
    send(IDR(), 503_000, 2);
    send(P_SLICE(), 506_000, 2);
    assert.equal(frames.length, 4, 'the P-frame before the new keyframe is dropped, the rest delivered');
    assert.ok(frames[2].generation > frames[0].generation);
    assert.equal(frames[2].keyframe, true);
    assert.equal(source.cachedGop().length, 2);
    await source.close();
  });
});
