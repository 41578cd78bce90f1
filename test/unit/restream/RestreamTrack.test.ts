// One restreamed track: the shared RTP stream built from camera frames, and how a client starts on
// it (the cached GOP replayed, or the next keyframe). Frames are made here; no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { MAX_REPLAY_BYTES, PacketGop } from '../../../server/src/restream/PacketGop.js';
import { RestreamTrack } from '../../../server/src/restream/RestreamTrack.js';

const H264 = { kind: 'video', codec: 'H264', clockRate: 90000, payloadType: 96 } as const;
const PCMA = { kind: 'audio', codec: 'PCMA', clockRate: 8000, payloadType: 8 } as const;

let clock = 1000;
function frame(n: number, keyframe: boolean, over: Partial<MediaFrame> = {}): MediaFrame {
  clock += 40;
  return { trackIndex: 0, kind: 'video', timestamp: 3600 * n, keyframe, payloads: [Buffer.from([keyframe ? 0x65 : 0x41, n]), Buffer.from([0x00, n])], generation: 1, receivedAt: clock, ...over };
}

function collect(track: RestreamTrack): Buffer[] {
  const out: Buffer[] = [];
  track.on('packet', (p) => out.push(p));
  return out;
}

const seq = (p: Buffer): number => p.readUInt16BE(2);
const ts = (p: Buffer): number => p.readUInt32BE(4);
const marker = (p: Buffer): boolean => (p[1] & 0x80) !== 0;

test('one RTP stream: payload type, SSRC, consecutive sequence numbers, the camera\'s spacing, the marker on a frame\'s last packet', () => {
  const track = new RestreamTrack(0, H264, () => undefined);
  const out = collect(track);
  track.push(frame(0, true));
  track.push(frame(1, false));
  assert.equal(out.length, 4);
  for (let i = 1; i < 4; i++) assert.equal(seq(out[i]), (seq(out[0]) + i) & 0xffff);
  assert.ok(out.every((p) => p[0] === 0x80 && (p[1] & 0x7f) === 96 && p.readUInt32BE(8) === track.ssrc));
  assert.deepEqual(out.map(marker), [false, true, false, true]);
  assert.equal((ts(out[2]) - ts(out[0])) >>> 0, 3600);
  assert.deepEqual([...out[0].subarray(12)], [0x65, 0]);
  assert.equal(track.nextSequenceNumber, (seq(out[3]) + 1) & 0xffff);
  assert.equal(track.currentTimestamp, ts(out[3]));
});

test('video waits for a keyframe: at the start and after the camera restarted (new generation), with timestamps that go on', () => {
  const track = new RestreamTrack(0, H264, () => undefined);
  const out = collect(track);
  track.push(frame(0, false));
  assert.equal(out.length, 0, 'a P-frame before any keyframe is dropped');
  track.push(frame(1, true));
  track.push(frame(2, false));
  const before = out.length;
  track.push(frame(900, false, { generation: 2 }));
  assert.equal(out.length, before, "a restarted camera's P-frame is dropped");
  track.push(frame(901, true, { generation: 2 }));
  assert.equal(out.length, before + 2);
  const last = out[before - 1];
  const next = out[before];
  assert.equal(seq(next), (seq(last) + 1) & 0xffff, 'no sequence gap across the restart');
  assert.ok(((ts(next) - ts(last)) | 0) > 0, 'the timeline goes forward across the restart');
});

test('a client starting with a GOP cached gets it first: same sequence numbers, the frames before the last squeezed 1 ms apart', () => {
  const track = new RestreamTrack(0, H264, () => undefined);
  const shared = collect(track);
  for (let n = 0; n < 5; n++) track.push(frame(n, n === 0));
  const join = track.join();
  assert.ok(join.first && !join.startsAt);
  const first = join.first;
  assert.equal(first.length, 10);
  assert.deepEqual(first.map(seq), shared.map(seq));
  assert.equal(join.seq, seq(shared[0]));
  assert.equal(join.rtptime, ts(first[0]));
  assert.equal(first[0][12], 0x65, 'the replay starts with the keyframe');
  const lastTs = ts(shared[9]);
  // 1 ms at 90 kHz.
  assert.deepEqual(first.map(ts), [4, 4, 3, 3, 2, 2, 1, 1, 0, 0].map((k) => (lastTs - 90 * k) >>> 0));
  assert.equal(first[9], shared[9], "the last frame's packets are the shared ones");
  assert.equal(ts(shared[0]), lastTs - 4 * 3600, 'the shared packets are not touched');
  // The next shared packet follows the replay without a gap.
  track.push(frame(5, false));
  assert.equal(seq(shared[10]), (seq(first[9]) + 1) & 0xffff);
});

test('without a GOP (or resumed after the GOP began) a client waits for the next keyframe, and the camera is asked for one', () => {
  let asked = 0;
  const track = new RestreamTrack(0, H264, () => asked++);
  const shared = collect(track);
  const empty = track.join();
  assert.ok(empty.startsAt && !empty.first);
  assert.equal(asked, 1);
  track.push(frame(0, true));
  track.push(frame(1, false));
  assert.deepEqual(shared.map((p) => empty.startsAt!(p)), [true, false, false, false]);
  const resumedLater = track.join(performance.now() + 1_000);
  assert.ok(resumedLater.startsAt, 'paused after the GOP began: it has part of it already');
  assert.equal(asked, 2);
  const resumedBefore = track.join(0);
  assert.ok(resumedBefore.first, 'paused before the GOP began: none of it was sent to the client');
});

test('audio starts with the next packet; a reset (last client gone) forgets the GOP', () => {
  const audio = new RestreamTrack(1, PCMA, () => undefined);
  assert.deepEqual(audio.join(), {});
  const video = new RestreamTrack(0, H264, () => undefined);
  video.push(frame(0, true));
  assert.equal(video.cachedFrames, 1);
  video.reset();
  assert.equal(video.cachedFrames, 0);
  assert.ok(video.join().startsAt);
});

test('a GOP too big to replay without getting a client dropped as slow is not kept: clients wait for the next keyframe', () => {
  const gop = new PacketGop();
  const big = Buffer.alloc(64 * 1024);
  gop.push([big], 0, true, 1);
  for (let i = 1; gop.frames > 0; i++) gop.push([big], i, false, 1);
  assert.equal(gop.replay(90000), undefined);
  assert.ok(gop.bytes <= MAX_REPLAY_BYTES);
  gop.push([big], 99, false, 1);
  assert.equal(gop.frames, 0, 'P-frames without their keyframe are not kept');
  gop.push([big], 100, true, 1);
  assert.equal(gop.frames, 1);
});
