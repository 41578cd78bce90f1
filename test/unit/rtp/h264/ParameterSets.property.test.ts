// Property tests for H.264 parameter sets (server/src/rtp/h264/ParameterSets.ts) and the slice
// header peek (slice.ts): never a throw on camera bytes, round trips where a writer exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { ParameterSets } from '../../../../server/src/rtp/h264/ParameterSets.js';
import { sliceType, hasBSlice, SliceType } from '../../../../server/src/rtp/h264/slice.js';
import { parseSps } from '../../../../server/src/rtp/h264/sps.js';
import { demoAccessUnits } from '../rtpFixtures.js';
import { assertFast, runs } from '../../../helpers/property.js';

const nalu = (type: number, maxBody = 60): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength: 1, maxLength: maxBody }).map((b) => Buffer.concat([Buffer.from([0x60 | type]), b]));
const DEMO_SPS = demoAccessUnits().flat().find((n) => (n[0] & 0x1f) === 7)!;

test('sprop-parameter-sets round-trips: the SPS and PPS read are the ones written, and sprop writes them back', () => {
  fc.assert(fc.property(fc.oneof(nalu(7), fc.constant(DEMO_SPS)), nalu(8), fc.array(nalu(6), { maxLength: 2 }), fc.constantFrom(',', ', ', ' ,'), (sps, pps, others, sep) => {
    const ps = new ParameterSets();
    const sprop = [sps, ...others, pps].map((n) => n.toString('base64')).join(sep);
    assert.equal(ps.setFromSprop(sprop), undefined);
    assert.deepEqual([ps.sps, ps.pps], [sps, pps]);
    assert.equal(ps.sprop, `${sps.toString('base64')},${pps.toString('base64')}`);
    // The SPS info is what parseSps says of it, or nothing when it does not parse.
    const info = parseSps(sps);
    assert.deepEqual(ps.info, info instanceof CamrtcError ? undefined : info);
    assert.equal(ps.profileLevelId, sps.length >= 4 ? sps.subarray(1, 4).toString('hex') : undefined);
  }), { numRuns: runs(1500) });
});

test('an IDR gets the latest SPS and PPS in front, once, and AUDs are dropped', () => {
  const body = fc.array(fc.oneof(nalu(1), nalu(5), nalu(6), nalu(9), nalu(7), nalu(8)), { minLength: 1, maxLength: 8 });
  fc.assert(fc.property(nalu(7), nalu(8), body, fc.boolean(), (sps, pps, nalus, keyframe) => {
    const ps = new ParameterSets(`${sps.toString('base64')},${pps.toString('base64')}`);
    const out = ps.prepare({ timestamp: 0, nalus, keyframe } as Parameters<ParameterSets['prepare']>[0]);
    const type = (n: Buffer) => n[0] & 0x1f;
    assert.ok(out.every((n) => type(n) !== 9), 'no AUD');
    const hasBoth = nalus.some((n) => type(n) === 7) && nalus.some((n) => type(n) === 8);
    if (keyframe && !hasBoth) {
      // The in-band ones (if any) are the latest: they replaced the SDP's.
      const lastSps = [...nalus].reverse().find((n) => type(n) === 7);
      const lastPps = [...nalus].reverse().find((n) => type(n) === 8);
      assert.deepEqual(out.slice(0, 2), [lastSps ?? sps, lastPps ?? pps]);
      assert.deepEqual(out.slice(2), nalus.filter((n) => ![7, 8, 9].includes(type(n))));
    } else {
      assert.deepEqual(out, nalus.filter((n) => type(n) !== 9));
    }
  }), { numRuns: runs(2000) });
});

test('arbitrary sprop text never throws: it is read, or refused with a typed error', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')), { maxLength: 5 }).map((l) => l.join(',')));
  fc.assert(fc.property(text, (t) => {
    const ps = new ParameterSets();
    const r = ps.setFromSprop(t);
    if (r !== undefined) assert.ok(r instanceof CamrtcError && (r.code === 'ERR_PARSE_SDP' || r.code === 'ERR_LIMIT'), String(r));
    if (ps.sps) assert.equal(ps.sps[0] & 0x1f, 7);
    if (ps.pps) assert.equal(ps.pps[0] & 0x1f, 8);
  }), { numRuns: runs(3000) });
  assertFast('a 1 MB sprop', 500, () => new ParameterSets('Z'.repeat(1_000_000) + ',' + ','.repeat(1_000_000)));
});

// ---- slice headers -------------------------------------------------------------------------------

/** Writes exp-Golomb codes (7.2) and the emulation prevention bytes a camera would (7.4.1). */
function sliceNalu(type: number, firstMb: number, sliceTypeValue: number, tail: Uint8Array): Buffer {
  let bits = '';
  for (const v of [firstMb, sliceTypeValue]) {
    const code = (v + 1).toString(2);
    bits += '0'.repeat(code.length - 1) + code;
  }
  bits += '1';
  while (bits.length % 8) bits += '0';
  const rbsp = [...Array.from({ length: bits.length / 8 }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)), ...tail];
  const escaped: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      escaped.push(3);
      zeros = 0;
    }
    escaped.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from([0x60 | type, ...escaped]);
}

test('the slice type written in a slice header is the one read (modulo 5), emulation prevention included', () => {
  fc.assert(fc.property(fc.constantFrom(1, 5), fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2 ** 20 })), fc.integer({ min: 0, max: 9 }), fc.uint8Array({ maxLength: 20 }),
    (type, firstMb, st, tail) => {
      const n = sliceNalu(type, firstMb, st, tail);
      assert.equal(sliceType(n), st % 5);
      assert.equal(hasBSlice([n]), st % 5 === SliceType.B);
    }), { numRuns: runs(3000) });
});

test('arbitrary bytes never make the slice peek throw: a slice type 0-4 or undefined', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
    const t = sliceType(Buffer.from(b));
    assert.ok(t === undefined || (Number.isInteger(t) && t >= 0 && t <= 4));
    if (b.length === 0 || ![1, 2, 3, 4, 5].includes(b[0] & 0x1f)) assert.equal(t, undefined, 'not a slice');
  }), { numRuns: runs(5000) });
  assertFast('sliceType of a 1 MB slice of zeros', 100, () => sliceType(Buffer.concat([Buffer.from([0x65]), Buffer.alloc(1_000_000)])));
});
