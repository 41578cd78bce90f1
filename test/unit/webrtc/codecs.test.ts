import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FALLBACK_PROFILE_LEVEL_ID, h264Fmtp, planCodecs } from '../../../server/src/webrtc/codecs.js';
import type { Track } from '../../../server/src/sdp/Track.js';

function track(partial: Partial<Track> & Pick<Track, 'index' | 'kind' | 'codec'>): Track {
  return { payloadType: 96, clockRate: 90000, fmtp: {}, control: 'rtsp://127.0.0.1/x', direction: 'recvonly', ...partial };
}

describe('h264Fmtp', () => {
  it('keeps the camera profile-level-id with its leading zeros, lower-cased', () => {
    assert.equal(h264Fmtp({ fmtp: { 'profile-level-id': '4D0029' } }), 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d0029');
    assert.match(h264Fmtp({ fmtp: { 'profile-level-id': '000029' } }), /profile-level-id=000029$/);
  });

  it(`falls back to ${FALLBACK_PROFILE_LEVEL_ID} when the camera gives none or garbage`, () => {
    for (const fmtp of [{} as Record<string, string>, { 'profile-level-id': '' }, { 'profile-level-id': '64002' }, { 'profile-level-id': 'zz0029' }, { 'profile-level-id': '640028;x=1' }]) {
      assert.match(h264Fmtp({ fmtp }), new RegExp(`profile-level-id=${FALLBACK_PROFILE_LEVEL_ID}$`), JSON.stringify(fmtp));
    }
  });

  it('always offers packetization-mode=1 even when the camera says mode 0', () => {
    assert.match(h264Fmtp({ fmtp: { 'packetization-mode': '0' } }), /packetization-mode=1/);
  });
});

describe('planCodecs', () => {
  it('H264 + PCMA camera: video first with nack/pli, PCMA on payload type 8', () => {
    const plan = planCodecs([
      track({ index: 1, kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000 }),
      track({ index: 0, kind: 'video', codec: 'H264' }),
    ]);
    assert.deepEqual(plan.choices.map((c) => [c.kind, c.track.index, c.codec.mimeType, c.codec.payloadType]), [
      ['video', 0, 'video/H264', 96],
      ['audio', 1, 'audio/PCMA', 8],
    ]);
    assert.deepEqual(plan.choices[0].codec.rtcpFeedback.map((f) => `${f.type} ${f.parameter ?? ''}`.trim()), ['nack', 'nack pli']);
    assert.deepEqual(plan.unsupported, []);
  });

  it('PCMU keeps payload type 0; Opus is announced as 48000/2', () => {
    const pcmu = planCodecs([track({ index: 0, kind: 'audio', codec: 'PCMU', payloadType: 0, clockRate: 8000 })]);
    assert.equal(pcmu.choices[0].codec.payloadType, 0);
    const opus = planCodecs([track({ index: 0, kind: 'audio', codec: 'OPUS', payloadType: 101, clockRate: 48000, channels: 1 })]);
    assert.equal(opus.choices[0].codec.clockRate, 48000);
    assert.equal(opus.choices[0].codec.channels, 2);
  });

  it('H.265 only when the viewer can decode it', () => {
    const hevc = [track({ index: 0, kind: 'video', codec: 'H265' })];
    assert.equal(planCodecs(hevc).choices.length, 0);
    assert.equal(planCodecs(hevc).unsupported[0].codec, 'H265');
    assert.equal(planCodecs(hevc, { h265: true }).choices[0].codec.mimeType, 'video/H265');
  });

  it('AAC and 16 kHz G.711 are not forwardable; metadata tracks are ignored', () => {
    const plan = planCodecs([
      track({ index: 0, kind: 'video', codec: 'H264' }),
      track({ index: 1, kind: 'audio', codec: 'MPEG4-GENERIC', clockRate: 16000 }),
      track({ index: 2, kind: 'audio', codec: 'PCMA', clockRate: 16000 }),
      track({ index: 3, kind: 'application', codec: 'VND.ONVIF.METADATA' }),
    ]);
    assert.deepEqual(plan.choices.map((c) => c.track.index), [0]);
    assert.deepEqual(plan.unsupported.map((t) => t.index), [1, 2]);
  });

  it('carries at most one video and one audio track', () => {
    const plan = planCodecs([
      track({ index: 0, kind: 'video', codec: 'H264' }),
      track({ index: 1, kind: 'video', codec: 'H264' }),
      track({ index: 2, kind: 'audio', codec: 'PCMU', clockRate: 8000 }),
      track({ index: 3, kind: 'audio', codec: 'PCMA', clockRate: 8000 }),
    ]);
    assert.deepEqual(plan.choices.map((c) => c.track.index), [0, 2]);
  });
});

describe('planCodecs: H.264 fallback entry', () => {
  const track = (profile: string) => ({ index: 0, kind: 'video' as const, codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: { 'profile-level-id': profile }, control: 'rtsp://h/0', direction: 'recvonly' as const });
  it('a High stream is offered as High first, then Constrained Baseline for browsers that list no High receive profile', () => {
    const [video] = planCodecs([track('640028')]).choices;
    assert.match(video.codec.parameters ?? '', /profile-level-id=640028/);
    assert.deepEqual(video.alternatives?.map((c) => [c.payloadType, c.parameters]), [[97, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f']]);
  });
  it('a Constrained Baseline stream needs no fallback', () => {
    assert.equal(planCodecs([track('42e01f')]).choices[0].alternatives, undefined);
  });
});
