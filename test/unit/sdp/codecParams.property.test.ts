// Property tests for codec parameters from fmtp (server/src/sdp/codecParams.ts): parameter sets
// round-trip through base64 (standard or URL-safe), the rest is bounded and well-formed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_PARAMETER_SETS, h264Params, h265Params } from '../../../server/src/sdp/codecParams.js';
import { parseSessionDescription } from '../../../server/src/sdp/SessionDescription.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { CAMERA_SDP_MISSING } from '../../helpers/paths.js';
import { assertFast, cameraSdps, runs } from '../../helpers/property.js';

const nalus = fc.array(fc.uint8Array({ minLength: 1, maxLength: 60 }).map((b) => Buffer.from(b)), { minLength: 1, maxLength: 20 });
const encoding = fc.constantFrom<BufferEncoding>('base64', 'base64url');

test('sprop-parameter-sets gives back the parameter sets written, the first SPS and PPS among them', () => {
  fc.assert(fc.property(nalus, encoding, fc.constantFrom(',', ', '), (sets, enc, sep) => {
    const p = h264Params({ fmtp: { 'sprop-parameter-sets': sets.map((s) => s.toString(enc)).join(sep) } });
    const kept = sets.slice(0, MAX_PARAMETER_SETS);
    assert.deepEqual(p.parameterSets, kept);
    assert.deepEqual(p.sps, kept.find((b) => (b[0] & 0x1f) === 7));
    assert.deepEqual(p.pps, kept.find((b) => (b[0] & 0x1f) === 8));
  }), { numRuns: runs(2000) });
});

test('sprop-vps, -sps, -pps give back the first unit written in each', () => {
  fc.assert(fc.property(nalus, nalus, nalus, encoding, (v, s, p, enc) => {
    const out = h265Params({ fmtp: { 'sprop-vps': v.map((b) => b.toString(enc)).join(','), 'sprop-sps': s[0].toString(enc), 'sprop-pps': p.map((b) => b.toString(enc)).join(',') } });
    assert.deepEqual(out, { vps: v[0], sps: s[0], pps: p[0] });
  }), { numRuns: runs(1000) });
});

const fmtpValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('', ',', '====', 'Z0IAH+kCwCg=', '42e01f', '42E01F', '42e01', '1', '2', '3', '01', ' 1', 'AA==,,,BB'));
const fmtp = fc.dictionary(fc.constantFrom('sprop-parameter-sets', 'profile-level-id', 'packetization-mode', 'sprop-vps', 'sprop-sps', 'sprop-pps', 'x'), fmtpValue);

test('arbitrary fmtp values never throw and give well-formed parameters', () => {
  fc.assert(fc.property(fmtp, (f) => {
    const p = h264Params({ fmtp: f });
    if (p.profileLevelId !== undefined) assert.match(p.profileLevelId, /^[0-9a-f]{6}$/i);
    assert.ok([0, 1, 2].includes(p.packetizationMode));
    assert.ok(p.parameterSets.length <= MAX_PARAMETER_SETS && p.parameterSets.every((b) => b.length > 0));
    if (p.sps) assert.equal(p.sps[0] & 0x1f, 7);
    if (p.pps) assert.equal(p.pps[0] & 0x1f, 8);
    const h = h265Params({ fmtp: f });
    for (const b of [h.vps, h.sps, h.pps]) if (b) assert.ok(b.length > 0);
  }), { numRuns: runs(3000) });
  assertFast('h264Params of a 1 MB sprop', 500, () => h264Params({ fmtp: { 'sprop-parameter-sets': 'QUFB,'.repeat(200_000), 'profile-level-id': 'f'.repeat(100_000) } }));
});

test('the real cameras\' H.264 and H.265 tracks give their parameter sets', { skip: cameraSdps().length ? false : CAMERA_SDP_MISSING }, () => {
  let h264 = 0;
  for (const { file, text } of cameraSdps()) {
    const sdp = parseSessionDescription(text, 'rtsp://192.0.2.10/x');
    if (sdp instanceof CamrtcError) continue;
    for (const t of sdp.tracks) {
      const enc = t.codec;
      if (enc === 'H264' && t.fmtp['sprop-parameter-sets']) {
        h264++;
        const p = h264Params(t);
        assert.ok(p.parameterSets.length > 0, `${file}: ${t.fmtp['sprop-parameter-sets']}`);
        assert.ok(p.sps === undefined || (p.sps[0] & 0x1f) === 7);
      }
      if (enc === 'H265') h265Params(t);
    }
  }
  assert.ok(h264 > 5, 'the real SDPs carry H.264 parameter sets');
});
