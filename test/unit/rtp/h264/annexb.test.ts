import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hasStartCode, splitAnnexB } from '../../../../server/src/rtp/h264/annexb.js';
import { hex } from '../rtpFixtures.js';

test('splits 3- and 4-byte start codes', () => {
  assert.deepEqual(splitAnnexB(hex('00000001 6742 000001 68ce 00000001 6588')), [hex('6742'), hex('68ce'), hex('6588')]);
});

test('bytes before the first start code are a NALU of their own', () => {
  // A camera's "single NALU" RTP payload: SPS, then a start code and the PPS.
  assert.deepEqual(splitAnnexB(hex('6742 00000001 68ce')), [hex('6742'), hex('68ce')]);
});

test('trailing zeros and empty NALUs are dropped', () => {
  assert.deepEqual(splitAnnexB(hex('000001 000001 6588 0000 000001 0000')), [hex('6588')]);
  assert.deepEqual(splitAnnexB(Buffer.alloc(0)), []);
});

test('NALUs are views into the input', () => {
  const input = hex('00000001 6588aa');
  assert.equal(splitAnnexB(input)[0].buffer, input.buffer);
});

test('hasStartCode finds 00 00 01 anywhere', () => {
  assert.equal(hasStartCode(hex('65880000 01')), true);
  assert.equal(hasStartCode(hex('65880000 0301')), false);
});

test('joining NALUs with start codes and splitting gives them back', () => {
  // Emulation prevention guarantees a NALU has no 00 00 0x (x <= 3) and does not end with 00.
  const nalu = fc.uint8Array({ minLength: 1, maxLength: 50 }).map((a) => Buffer.from(a.map((b) => b || 1)));
  fc.assert(
    fc.property(fc.array(nalu, { maxLength: 10 }), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), (nalus, long) => {
      const stream = Buffer.concat(nalus.flatMap((n, i) => [long[i] ? hex('00000001') : hex('000001'), n]));
      assert.deepEqual(splitAnnexB(stream), nalus);
    }),
  );
});
