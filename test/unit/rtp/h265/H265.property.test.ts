// Property tests for H.265 from a camera (server/src/rtp/h265/): the RFC 7798 depacketizer gives back
// what the packetizer was given, never throws on arbitrary payloads and respects its bounds; the
// parameter sets from the SDP and in-band are what a browser needs in front of a keyframe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseRtpPacket, type RtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import { H265Depacketizer, MAX_H265_ACCESS_UNIT_SIZE, MAX_H265_NALUS_PER_ACCESS_UNIT, type H265AccessUnit } from '../../../../server/src/rtp/h265/H265Depacketizer.js';
import { packetizeH265 } from '../../../../server/src/rtp/h265/H265Packetizer.js';
import { H265ParameterSets } from '../../../../server/src/rtp/h265/H265ParameterSets.js';
import { h265NaluType } from '../../../../server/src/rtp/h265/nal.js';
import { rawRtp } from '../rtpFixtures.js';
import { assertFast, runs } from '../../../helpers/property.js';

const pkt = (payload: Buffer, seq: number, ts: number, marker: boolean): RtpPacket => parseRtpPacket(rawRtp({ seq, ts, payload, marker })) as RtpPacket;

function drain(d: H265Depacketizer, p: RtpPacket, out: Array<H265AccessUnit | CamrtcError>): void {
  for (let r = d.push(p); r !== null; r = d.next()) out.push(r);
}

/** A NAL unit of `type` with a valid header (layer 0, TemporalId 0) and a random body. */
const nalu = (types: fc.Arbitrary<number>, maxBody = 3000): fc.Arbitrary<Buffer> =>
  fc.tuple(types, fc.uint8Array({ minLength: 1, maxLength: maxBody })).map(([t, body]) => Buffer.concat([Buffer.from([t << 1, 0x01]), body]));

/** One picture: optional parameter sets and SEI, then its slices (all IRAP or all not). */
const accessUnit = fc.tuple(fc.boolean(), fc.subarray([32, 33, 34, 39]), fc.integer({ min: 1, max: 3 })).chain(([irap, prefix, slices]) =>
  fc.tuple(fc.tuple(...prefix.map((t) => nalu(fc.constant(t), 60))), fc.array(nalu(irap ? fc.integer({ min: 16, max: 21 }) : fc.integer({ min: 0, max: 9 })), { minLength: slices, maxLength: slices }))
    .map(([p, s]) => ({ nalus: [...p, ...s], keyframe: irap })));

test('packetized access units come back as they were: same NAL units, keyframe flag, timestamp', () => {
  fc.assert(fc.property(fc.array(accessUnit, { minLength: 1, maxLength: 5 }), fc.integer({ min: 100, max: 1400 }), fc.nat(0xffff), (aus, mtu, seq0) => {
    const d = new H265Depacketizer();
    const out: Array<H265AccessUnit | CamrtcError> = [];
    let seq = seq0;
    aus.forEach((au, i) => {
      const payloads = packetizeH265(au.nalus, mtu);
      payloads.forEach((p, j) => drain(d, pkt(p, seq++, i * 3000, j === payloads.length - 1), out));
    });
    assert.deepEqual(out.map((r) => (r instanceof CamrtcError ? r.message : { timestamp: r.timestamp, nalus: r.nalus.map((n) => n.toString('hex')), keyframe: r.keyframe })),
      aus.map((au, i) => ({ timestamp: i * 3000, nalus: au.nalus.map((n) => n.toString('hex')), keyframe: au.keyframe })));
  }), { numRuns: runs(500) });
});

/** Payloads that look like RFC 7798 (single, AP, FU, PACI, reserved types) with random contents. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.integer({ min: 0, max: 63 }), fc.uint8Array({ maxLength: 200 })).map(([t, b]) => Buffer.concat([Buffer.from([t << 1, 1]), b])),
  fc.tuple(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 63 }), fc.uint8Array({ maxLength: 200 })).map(([s, e, t, b]) => Buffer.concat([Buffer.from([49 << 1, 1, (s ? 0x80 : 0) | (e ? 0x40 : 0) | t]), b])),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.uint8Array({ maxLength: 60 })), { maxLength: 6 }).map((units) =>
    Buffer.concat([Buffer.from([48 << 1, 1]), ...units.flatMap(([size, b]) => [Buffer.from([size >> 8, size & 0xff]), Buffer.from(b)])])),
);
const packetStream = fc.array(fc.record({ payload, seqStep: fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 0, max: 0xffff })), tsStep: fc.constantFrom(0, 0, 3000, -3000, 0x7fffffff), marker: fc.boolean() }), { maxLength: 60 });

test('arbitrary payloads never make the depacketizer throw; it returns access units within bounds or typed errors', () => {
  fc.assert(fc.property(packetStream, fc.boolean(), (stream, donl) => {
    const d = new H265Depacketizer({ donl });
    const out: Array<H265AccessUnit | CamrtcError> = [];
    let seq = 0;
    let ts = 0;
    for (const p of stream) {
      seq = (seq + p.seqStep) & 0xffff;
      ts = (ts + p.tsStep) >>> 0;
      drain(d, pkt(p.payload, seq, ts, p.marker), out);
    }
    for (const r of out) {
      if (r instanceof CamrtcError) {
        assert.ok(r.code === 'ERR_PARSE_H265' || r.code === 'ERR_LIMIT', r.code);
        continue;
      }
      assert.ok(r.nalus.length >= 1 && r.nalus.length <= MAX_H265_NALUS_PER_ACCESS_UNIT);
      assert.ok(r.nalus.reduce((n, b) => n + b.length, 0) <= MAX_H265_ACCESS_UNIT_SIZE);
      assert.ok(r.nalus.every((n) => n.length >= 2));
      assert.equal(r.keyframe, r.nalus.some((n) => h265NaluType(n) >= 16 && h265NaluType(n) <= 23));
    }
  }), { numRuns: runs(3000) });
});

test('a flood of tiny NAL units or endless FU fragments is cut at the bounds, quickly', () => {
  const d = new H265Depacketizer();
  const out: Array<H265AccessUnit | CamrtcError> = [];
  // An AP of 20000 two-byte units (a 64 KiB packet), then FU continuations without an end.
  const ap = Buffer.concat([Buffer.from([48 << 1, 1]), ...Array.from({ length: 16_000 }, () => Buffer.from([0, 2, 1 << 1, 1]))]);
  assertFast('an AP of 16000 NAL units', 300, () => drain(d, pkt(ap, 1, 0, true), out));
  assert.ok(out.some((r) => r instanceof CamrtcError && r.code === 'ERR_LIMIT'));
  const start = Buffer.concat([Buffer.from([49 << 1, 1, 0x80 | 19]), Buffer.alloc(1400)]);
  const middle = Buffer.concat([Buffer.from([49 << 1, 1, 19]), Buffer.alloc(1400)]);
  const fu = new H265Depacketizer();
  const fuOut: Array<H265AccessUnit | CamrtcError> = [];
  assertFast('10000 FU fragments', 2000, () => {
    drain(fu, pkt(start, 0, 0, false), fuOut);
    for (let i = 1; i <= 10_000; i++) drain(fu, pkt(middle, i, 0, false), fuOut);
  });
  assert.ok(fuOut.some((r) => r instanceof CamrtcError && r.code === 'ERR_LIMIT'));
});

const b64Nalu = (type: number) => nalu(fc.constant(type), 80);

test('parameter sets from the SDP are kept as given and put in front of a keyframe that lacks them', () => {
  fc.assert(fc.property(b64Nalu(32), b64Nalu(33), b64Nalu(34), fc.array(nalu(fc.integer({ min: 16, max: 21 }), 50), { minLength: 1, maxLength: 3 }), fc.boolean(),
    (vps, sps, pps, slices, aud) => {
      const sets = new H265ParameterSets({ 'sprop-vps': vps.toString('base64'), 'sprop-sps': ` ${sps.toString('base64')} `, 'sprop-pps': pps.toString('base64') });
      assert.ok(sets.complete);
      assert.deepEqual([sets.get(32), sets.get(33), sets.get(34)], [vps, sps, pps]);
      const audNalu = Buffer.from([35 << 1, 1, 0x50]);
      const out = sets.prepare({ timestamp: 0, keyframe: true, nalus: [...(aud ? [audNalu] : []), ...slices] });
      assert.deepEqual(out, [vps, sps, pps, ...slices]);
      // A non-keyframe only loses its AUD.
      assert.deepEqual(sets.prepare({ timestamp: 0, keyframe: false, nalus: [...(aud ? [audNalu] : []), ...slices] }), slices);
    }), { numRuns: runs(1000) });
});

test('arbitrary fmtp values and in-band units never make the parameter sets throw', () => {
  const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.array(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')), { maxLength: 4 }).map((l) => l.join(',')));
  fc.assert(fc.property(fc.record({ 'sprop-vps': value, 'sprop-sps': value, 'sprop-pps': value }, { requiredKeys: [] }), fc.array(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)), { maxLength: 6 }), fc.boolean(),
    (fmtp, nalus, keyframe) => {
      const sets = new H265ParameterSets(fmtp);
      const out = sets.prepare({ timestamp: 0, keyframe, nalus });
      assert.ok(out.every((n) => h265NaluType(n) !== 35), 'no AUD reaches the browser');
      for (const t of [32, 33, 34]) if (sets.get(t)) assert.equal(h265NaluType(sets.get(t)!), t);
    }), { numRuns: runs(2000) });
  assertFast('a huge sprop-vps', 300, () => new H265ParameterSets({ 'sprop-vps': 'QAEM'.repeat(100_000), 'sprop-sps': ','.repeat(200_000) }));
});
