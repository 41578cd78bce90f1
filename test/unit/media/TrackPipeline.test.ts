import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTrackPipeline, presentedTrack, type PipelineOutput } from '../../../server/src/media/TrackPipeline.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { IDR, PPS, P_SLICE, SPS, rawRtp } from '../rtp/rtpFixtures.js';

const H264: Track = { index: 0, kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, control: 'rtsp://h/cam/0', direction: 'recvonly' };
const PCMU: Track = { index: 1, kind: 'audio', codec: 'PCMU', payloadType: 0, clockRate: 8000, fmtp: {}, control: 'rtsp://h/cam/1', direction: 'recvonly' };

function sink() {
  const frames: MediaFrame[] = [];
  const errors: CamrtcError[] = [];
  const profiles: string[] = [];
  let bFrames = 0;
  const out: PipelineOutput = { frame: (f) => frames.push(f), error: (e) => errors.push(e), profile: (_i, p) => profiles.push(p), bFrames: () => bFrames++ };
  return { out, frames, errors, profiles, bFrames: () => bFrames };
}

/** A B slice: first_mb 0, slice_type 1 ("1" "010" -> 0b1010_0000). */
const B_SLICE = Buffer.from([0x01, 0xa0, 0x11, 0x22, 0x80]);

describe('TrackPipeline: camera RTP to viewer frames', () => {
  it('audio: RTP padding and header extensions never reach viewers, only the payload', () => {
    const s = sink();
    const p = createTrackPipeline(PCMU, s.out);
    const payload = Buffer.from([1, 2, 3, 4]);
    p.push(rawRtp({ seq: 1, ts: 160, payloadType: 0, payload, padding: 4, extension: { profile: 0xbede, data: Buffer.from([0x10, 0xaa, 0, 0]) } }), 1, 0);
    assert.equal(s.frames.length, 1);
    assert.deepEqual(s.frames[0].payloads, [payload]);
  });

  it('video: padding and extensions stripped too; sequence numbers wrapping past 65535 are not a loss', () => {
    const s = sink();
    const p = createTrackPipeline(H264, s.out);
    const units = [[SPS, PPS, IDR(60)], [P_SLICE(30)], [P_SLICE(30)]];
    let seq = 65534;
    units.forEach((au, i) => {
      au.forEach((nalu, j) =>
        p.push(rawRtp({ seq: seq++, ts: 3000 * i, payload: nalu, marker: j === au.length - 1, padding: 3, extension: { profile: 0xbede, data: Buffer.alloc(4) } }), 1, i),
      );
    });
    assert.equal(s.errors.length, 0);
    assert.equal(s.frames.length, 3);
    assert.equal(s.frames[0].keyframe, true);
    const all = Buffer.concat(s.frames.flatMap((f) => f.payloads));
    assert.ok(!all.includes(Buffer.from([0xbe, 0xde])), 'no extension bytes in payloads');
  });

  it('a lost packet drops pictures until the next keyframe (no smeared P-frames), and is reported as packet-loss', () => {
    const s = sink();
    const p = createTrackPipeline(H264, s.out);
    p.push(rawRtp({ seq: 1, ts: 0, payload: IDR(), marker: true }), 1, 0);
    p.push(rawRtp({ seq: 3, ts: 3000, payload: P_SLICE(), marker: true }), 1, 0); // seq 2 lost
    p.push(rawRtp({ seq: 4, ts: 6000, payload: P_SLICE(), marker: true }), 1, 0);
    p.push(rawRtp({ seq: 5, ts: 9000, payload: IDR(), marker: true }), 1, 0);
    assert.deepEqual(s.frames.map((f) => f.keyframe), [true, true]);
    assert.equal(s.errors[0].details.reason, 'packet-loss');
  });

  it('reports the SPS profile-level-id once per change and B-frames once', () => {
    const s = sink();
    const p = createTrackPipeline(H264, s.out);
    let seq = 1;
    const au = (nalus: Buffer[], ts: number) => nalus.forEach((n, j) => p.push(rawRtp({ seq: seq++, ts, payload: n, marker: j === nalus.length - 1 }), 1, 0));
    au([SPS, PPS, IDR()], 0);
    au([B_SLICE], 3000);
    au([B_SLICE], 6000);
    au([SPS, PPS, IDR()], 9000);
    const high = Buffer.from(SPS);
    high[1] = 0x64;
    au([high, PPS, IDR()], 12000);
    assert.deepEqual(s.profiles, ['42c01e', '64c01e']);
    assert.equal(s.bFrames(), 1);
  });

  it("AAC is presented to viewers as the Opus it becomes, the camera's own track beside it (the restream's); other tracks unchanged", () => {
    const aac: Track = { ...PCMU, codec: 'MPEG4-GENERIC', payloadType: 97, clockRate: 16000, fmtp: { config: '1408' } };
    assert.deepEqual({ ...presentedTrack(aac), control: '' }, { ...aac, codec: 'OPUS', clockRate: 48000, channels: 2, fmtp: {}, control: '', cameraTrack: aac });
    assert.equal(presentedTrack(PCMU), PCMU);
  });
});
