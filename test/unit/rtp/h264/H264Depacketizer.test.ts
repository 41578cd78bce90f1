import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseRtpPacket, type RtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import {
  H264Depacketizer,
  MAX_ACCESS_UNIT_SIZE,
  MAX_NALUS_PER_ACCESS_UNIT,
  type H264AccessUnit,
} from '../../../../server/src/rtp/h264/H264Depacketizer.js';
import { packetizeH264 } from '../../../../server/src/rtp/h264/H264Packetizer.js';
import { AUD, IDR, PPS, P_SLICE, SEI, SPS, demoAccessUnits, hex, packetsForAccessUnits, rawRtp, type RawRtp } from '../rtpFixtures.js';

function pkt(p: RawRtp | Buffer): RtpPacket {
  const r = parseRtpPacket(Buffer.isBuffer(p) ? p : rawRtp(p));
  assert.ok(!(r instanceof CamrtcError));
  return r;
}

/** Feeds packets; returns, per packet, what push() (and next()) gave. */
function feed(d: H264Depacketizer, packets: Array<RawRtp | Buffer>): Array<Array<H264AccessUnit | CamrtcError>> {
  return packets.map((p) => {
    const out: Array<H264AccessUnit | CamrtcError> = [];
    for (let r = d.push(pkt(p)); r !== null; r = d.next()) out.push(r);
    return out;
  });
}

function units(results: Array<Array<H264AccessUnit | CamrtcError>>): H264AccessUnit[] {
  return results.flat().filter((r): r is H264AccessUnit => !(r instanceof CamrtcError));
}

function errors(results: Array<Array<H264AccessUnit | CamrtcError>>): CamrtcError[] {
  return results.flat().filter((r): r is CamrtcError => r instanceof CamrtcError);
}

function fuA(nalu: Buffer, parts: number): Buffer[] {
  const body = nalu.subarray(1);
  const size = Math.ceil(body.length / parts);
  return Array.from({ length: parts }, (_, i) =>
    Buffer.concat([
      Buffer.from([(nalu[0] & 0xe0) | 28, (i === 0 ? 0x80 : 0) | (i === parts - 1 ? 0x40 : 0) | (nalu[0] & 0x1f)]),
      body.subarray(i * size, (i + 1) * size),
    ]),
  );
}

for (const maxPayload of [1200, 1400, 150]) {
  test(`demo clip round trip at ${maxPayload}-byte payloads: same NALUs, each unit on its marker packet`, () => {
    const clip = demoAccessUnits();
    assert.equal(clip.length, 100);
    const packets = packetsForAccessUnits(clip, { maxPayload, seq: 65500 }); // wraps the sequence number
    const d = new H264Depacketizer();
    const results = feed(d, packets);
    assert.deepEqual(errors(results), []);
    const markers = packets.map((p) => (p[1] & 0x80) !== 0);
    results.forEach((r, i) => assert.equal(r.length, markers[i] ? 1 : 0, `packet ${i}`));
    const got = units(results);
    assert.equal(got.length, clip.length);
    got.forEach((au, i) => {
      assert.deepEqual(au.nalus, clip[i]);
      assert.equal(au.timestamp, 5000 + i * 3600);
      assert.equal(au.keyframe, i % 25 === 0);
    });
  });
}

test('STAP-A with SPS and PPS, then an IDR in FU-A', () => {
  const idr = IDR(3000);
  const stap = Buffer.concat([hex('78'), Buffer.from([0, SPS.length]), SPS, Buffer.from([0, PPS.length]), PPS]);
  const frags = fuA(idr, 3);
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 90, payload: stap },
    ...frags.map((payload, i) => ({ seq: 2 + i, ts: 90, payload, marker: i === 2 })),
  ]);
  assert.deepEqual(results.map((r) => r.length), [0, 0, 0, 1]);
  assert.deepEqual(units(results)[0], { timestamp: 90, nalus: [SPS, PPS, idr], keyframe: true });
});

test('issue gortsplib/649 (CostarHD): FU-A with start and end bit in one packet', () => {
  const idr = IDR(50);
  const payload = Buffer.concat([hex('7c c5'), idr.subarray(1)]);
  const results = feed(new H264Depacketizer(), [{ seq: 1, ts: 1, payload: Buffer.concat([hex('78'), Buffer.from([0, SPS.length]), SPS, Buffer.from([0, PPS.length]), PPS]) }, { seq: 2, ts: 1, payload, marker: true }]);
  assert.deepEqual(units(results)[0].nalus, [SPS, PPS, idr]);
});

test('Annex-B start codes inside single-NALU payloads are split', () => {
  const idr = IDR(30);
  const results = feed(new H264Depacketizer(), [
    // The whole access unit in one payload, starting with a start code (NAL type 0 to a naive parser).
    { seq: 1, ts: 1, marker: true, payload: Buffer.concat([hex('00000001'), SPS, hex('00000001'), PPS, hex('000001'), idr]) },
    // SPS, start code, PPS in one "single NALU" packet, then the slice.
    { seq: 2, ts: 2, payload: Buffer.concat([SPS, hex('00000001'), PPS]) },
    { seq: 3, ts: 2, marker: true, payload: idr },
  ]);
  assert.deepEqual(units(results).map((u) => u.nalus), [[SPS, PPS, idr], [SPS, PPS, idr]]);
});

test('padding and header extensions do not reach the NALUs', () => {
  const idr = IDR(40);
  const [a, b] = fuA(idr, 2);
  const results = feed(new H264Depacketizer(), [
    { seq: 10, ts: 7, payload: SPS, padding: 3, extension: { profile: 0xbede, data: hex('10ff0000') } },
    { seq: 11, ts: 7, payload: PPS, csrc: [5] },
    { seq: 12, ts: 7, payload: a, padding: 1 },
    { seq: 13, ts: 7, payload: b, marker: true, padding: 8, extension: { profile: 0x1000, data: hex('0000000000000000') } },
  ]);
  assert.deepEqual(units(results)[0].nalus, [SPS, PPS, idr]);
});

test('Tapo/Reolink: a marker on SPS and PPS does not end the access unit', () => {
  const idr = IDR(2000);
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 3600, payload: SPS, marker: true },
    { seq: 2, ts: 3600, payload: PPS, marker: true },
    { seq: 3, ts: 3600, payload: SEI, marker: true },
    ...fuA(idr, 2).map((payload, i) => ({ seq: 4 + i, ts: 3600, payload, marker: i === 1 })),
    { seq: 6, ts: 7200, payload: P_SLICE(), marker: true },
  ]);
  assert.deepEqual(results.map((r) => r.length), [0, 0, 0, 0, 1, 1]);
  const [key, p] = units(results);
  assert.deepEqual(key.nalus, [SPS, PPS, SEI, idr]);
  assert.equal(key.keyframe, true);
  assert.deepEqual(p.nalus, [P_SLICE()]);
  assert.equal(p.keyframe, false);
});

test('camera that never sets the marker: a unit ends when the timestamp changes', () => {
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: SPS },
    { seq: 2, ts: 0, payload: PPS },
    { seq: 3, ts: 0, payload: IDR() },
    { seq: 4, ts: 3600, payload: P_SLICE(20, 1) },
    { seq: 5, ts: 7200, payload: P_SLICE(20, 2) },
  ]);
  assert.deepEqual(results.map((r) => r.length), [0, 0, 0, 1, 1]);
  assert.deepEqual(units(results).map((u) => [u.timestamp, u.nalus.length, u.keyframe]), [[0, 3, true], [3600, 1, false]]);
});

test('SPS/PPS with the previous picture\'s timestamp and no marker start the next unit', () => {
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: P_SLICE() },
    { seq: 2, ts: 0, payload: SPS },
    { seq: 3, ts: 0, payload: PPS },
    { seq: 4, ts: 3600, payload: IDR() },
    { seq: 5, ts: 7200, payload: P_SLICE() },
  ]);
  // Without a marker the P picture is complete only when the next picture's slice shows up.
  assert.deepEqual(results.map((r) => r.length), [0, 0, 0, 1, 1]);
  const [p, key] = units(results);
  assert.deepEqual(p.nalus, [P_SLICE()]);
  assert.deepEqual(key, { timestamp: 3600, nalus: [SPS, PPS, IDR()], keyframe: true });
});

test('x264 sliced threads behind rtph264pay config-interval=-1: SPS PPS IDR SPS PPS IDR is one picture', () => {
  // The second IDR slice continues the picture: first_mb_in_slice > 0 (its first slice-header bit is 0).
  const secondSlice = Buffer.concat([Buffer.from([0x65, 0x40]), Buffer.alloc(30, 0x33)]);
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: SPS },
    { seq: 2, ts: 0, payload: PPS },
    { seq: 3, ts: 0, payload: IDR() },
    { seq: 4, ts: 0, payload: SPS },
    { seq: 5, ts: 0, payload: PPS },
    { seq: 6, ts: 0, payload: secondSlice, marker: true },
    { seq: 7, ts: 3600, payload: P_SLICE(), marker: true },
  ]);
  assert.deepEqual(results.map((r) => r.length), [0, 0, 0, 0, 0, 1, 1]);
  const [key, p] = units(results);
  assert.deepEqual(key.nalus, [SPS, PPS, IDR(), SPS, PPS, secondSlice], 'both slices in one access unit');
  assert.equal(key.keyframe, true);
  assert.deepEqual(p.nalus, [P_SLICE()]);
});

test('access unit delimiters stay in the unit (ParameterSets drops them)', () => {
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: AUD },
    { seq: 2, ts: 0, payload: P_SLICE(), marker: true },
  ]);
  assert.deepEqual(units(results)[0].nalus, [AUD, P_SLICE()]);
});

test('a sequence gap in the middle of an FU-A drops that unit, reports the loss, and recovers', () => {
  const idr = IDR(4000);
  const frags = fuA(idr, 4);
  const d = new H264Depacketizer();
  const results = feed(d, [
    { seq: 100, ts: 0, payload: SPS },
    { seq: 101, ts: 0, payload: PPS },
    { seq: 102, ts: 0, payload: frags[0] },
    // 103 lost
    { seq: 104, ts: 0, payload: frags[2] },
    { seq: 105, ts: 0, payload: frags[3], marker: true },
    { seq: 106, ts: 3600, payload: P_SLICE(), marker: true },
  ]);
  const errs = errors(results);
  assert.equal(errs.length, 1);
  assert.equal(errs[0].code, 'ERR_PARSE_H264');
  assert.deepEqual(errs[0].details, { reason: 'packet-loss', lost: 1 });
  assert.deepEqual(results.map((r) => r.length), [0, 0, 0, 1, 0, 1]);
  assert.deepEqual(units(results).map((u) => u.timestamp), [3600]);
  assert.deepEqual(d.stats, { lostPackets: 1, droppedAccessUnits: 1 });
});

test('a gap before a new timestamp drops both neighbours, never a unit with holes', () => {
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: P_SLICE(20, 1) },
    // 2 lost (maybe the end of ts 0 with its marker, maybe the start of ts 3600)
    { seq: 3, ts: 3600, payload: P_SLICE(20, 2), marker: true },
    { seq: 4, ts: 7200, payload: P_SLICE(20, 3), marker: true },
  ]);
  assert.equal(errors(results).length, 1);
  assert.deepEqual(units(results).map((u) => u.timestamp), [7200]);
});

test('joining mid-NALU: FU-A continuations without a start are dropped until the next start', () => {
  const idr = IDR(3000);
  const frags = fuA(idr, 3);
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: frags[1] },
    { seq: 2, ts: 0, payload: frags[2], marker: true },
    ...frags.map((payload, i) => ({ seq: 3 + i, ts: 3600, payload, marker: i === 2 })),
  ]);
  assert.deepEqual(errors(results), []);
  assert.deepEqual(units(results).map((u) => u.nalus), [[idr]]);
});

test('an FU-A that never ends is dropped when the next NALU starts', () => {
  const [start] = fuA(IDR(3000), 3);
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: start },
    { seq: 2, ts: 3600, payload: P_SLICE(), marker: true },
  ]);
  assert.deepEqual(errors(results).map((e) => e.code), ['ERR_PARSE_H264']);
  assert.deepEqual(units(results).map((u) => u.timestamp), [3600]);
});

test('duplicate and late packets are ignored', () => {
  const results = feed(new H264Depacketizer(), [
    { seq: 1, ts: 0, payload: SPS },
    { seq: 1, ts: 0, payload: SPS },
    { seq: 2, ts: 0, payload: IDR(), marker: true },
    { seq: 1, ts: 0, payload: SPS },
    { seq: 3, ts: 3600, payload: P_SLICE(), marker: true },
  ]);
  assert.deepEqual(errors(results), []);
  assert.deepEqual(units(results).map((u) => u.nalus.length), [2, 1]);
});

test('malformed payloads are reported and do not poison the next unit', async (t) => {
  const cases: Array<[string, Buffer, string]> = [
    ['STAP-A NALU size past the end', Buffer.concat([hex('78 0050'), SPS]), 'ERR_PARSE_H264'],
    ['STAP-A cut inside a size field', Buffer.concat([hex('78'), Buffer.from([0, SPS.length]), SPS, hex('00')]), 'ERR_PARSE_H264'],
    ['FU-A without its header', hex('7c'), 'ERR_PARSE_H264'],
    ['STAP-B (interleaved mode)', hex('19 0000 0004 68cb8cb2'), 'ERR_PARSE_H264'],
    ['MTAP16', hex('1a 00'), 'ERR_PARSE_H264'],
    ['FU-B', hex('1d 85 0000 aa'), 'ERR_PARSE_H264'],
    ['reserved type 30', hex('1e aa'), 'ERR_PARSE_H264'],
    ['NAL type 0 without a start code', hex('00 aa'), 'ERR_PARSE_H264'],
  ];
  for (const [name, payload, code] of cases) {
    await t.test(name, () => {
      const results = feed(new H264Depacketizer(), [
        { seq: 1, ts: 0, payload: SPS },
        { seq: 2, ts: 0, payload, marker: true },
        { seq: 3, ts: 3600, payload: P_SLICE(), marker: true },
      ]);
      assert.deepEqual(errors(results).map((e) => e.code), [code]);
      assert.deepEqual(units(results).map((u) => u.timestamp), [3600]);
    });
  }
});

test(`more than ${MAX_NALUS_PER_ACCESS_UNIT} NALUs in one unit is ERR_LIMIT`, () => {
  const slice = hex('01aa');
  const packets: RawRtp[] = [];
  for (let i = 0; i <= MAX_NALUS_PER_ACCESS_UNIT; i++) packets.push({ seq: i, ts: 0, payload: slice });
  packets.push({ seq: packets.length, ts: 0, payload: slice, marker: true });
  packets.push({ seq: packets.length, ts: 3600, payload: P_SLICE(), marker: true });
  const results = feed(new H264Depacketizer(), packets);
  assert.deepEqual(errors(results).map((e) => e.code), ['ERR_LIMIT']);
  assert.deepEqual(units(results).map((u) => u.timestamp), [3600]);
});

test('an access unit over 8 MiB is ERR_LIMIT, and the depacketizer holds no more than that', () => {
  const chunk = Buffer.alloc(60000, 0x55);
  const packets: RawRtp[] = [{ seq: 0, ts: 0, payload: Buffer.concat([hex('7c85'), chunk]) }];
  const count = Math.ceil(MAX_ACCESS_UNIT_SIZE / chunk.length) + 2;
  for (let i = 1; i < count; i++) packets.push({ seq: i, ts: 0, payload: Buffer.concat([hex('7c05'), chunk]) });
  packets.push({ seq: count, ts: 0, payload: Buffer.concat([hex('7c45'), chunk]), marker: true });
  packets.push({ seq: count + 1, ts: 3600, payload: P_SLICE(), marker: true });
  const results = feed(new H264Depacketizer(), packets);
  assert.deepEqual(errors(results).map((e) => e.code), ['ERR_LIMIT']);
  assert.deepEqual(units(results).map((u) => u.timestamp), [3600]);
});

test('reset() forgets sequence numbers and partial units (a new RTSP session)', () => {
  const d = new H264Depacketizer();
  feed(d, [{ seq: 500, ts: 0, payload: fuA(IDR(3000), 2)[0] }]);
  d.reset();
  const results = feed(d, [{ seq: 7, ts: 90, payload: P_SLICE(), marker: true }]);
  assert.deepEqual(errors(results), []);
  assert.deepEqual(units(results).map((u) => u.nalus), [[P_SLICE()]]);
});

test('random packet sequences never throw and never exceed the limits', () => {
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    // Structured: a random NAL/FU/STAP header byte pair then bytes, to reach deep branches.
    fc.tuple(fc.constantFrom(1, 5, 6, 7, 8, 9, 24, 28, 0, 25, 29, 31), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })).map(([type, second, rest]) =>
      Buffer.concat([Buffer.from([0x60 | type, second]), Buffer.from(rest)]),
    ),
  );
  const packet = fc.record({ seqStep: fc.constantFrom(1, 1, 1, 1, 0, 2, 65535, 40000), tsStep: fc.constantFrom(0, 0, 0, 3600), marker: fc.boolean(), payload });
  fc.assert(
    fc.property(fc.array(packet, { maxLength: 80 }), (list) => {
      const d = new H264Depacketizer();
      let seq = 0;
      let ts = 0;
      for (const p of list) {
        seq = (seq + p.seqStep) & 0xffff;
        ts = (ts + p.tsStep) >>> 0;
        for (let r = d.push(pkt({ seq, ts, marker: p.marker, payload: p.payload })); r !== null; r = d.next()) {
          if (r instanceof CamrtcError) {
            assert.ok(r.code === 'ERR_PARSE_H264' || r.code === 'ERR_LIMIT');
            continue;
          }
          assert.ok(r.nalus.length > 0 && r.nalus.length <= MAX_NALUS_PER_ACCESS_UNIT);
          assert.ok(r.nalus.every((n) => n.length > 0));
          assert.ok(r.nalus.reduce((s, n) => s + n.length, 0) <= MAX_ACCESS_UNIT_SIZE);
          assert.ok(r.nalus.some((n) => (n[0] & 0x1f) >= 1 && (n[0] & 0x1f) <= 5), 'a unit holds a slice');
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('packetizer output of random access units depacketizes unit by unit', () => {
  const body = fc.integer({ min: 1, max: 4000 }).chain((len) => fc.uint8Array({ minLength: len, maxLength: len })).map((a) => Buffer.from(a.map((b) => b || 7)));
  const unit = fc.tuple(fc.boolean(), fc.array(body, { minLength: 1, maxLength: 4 })).map(([key, bodies]) => {
    const slices = bodies.map((b) => Buffer.concat([Buffer.from([key ? 0x65 : 0x41]), b]));
    return key ? [SPS, PPS, ...slices] : slices;
  });
  fc.assert(
    fc.property(fc.array(unit, { minLength: 1, maxLength: 6 }), fc.integer({ min: 100, max: 1400 }), (aus, maxPayload) => {
      const results = feed(new H264Depacketizer(), packetsForAccessUnits(aus, { maxPayload }));
      assert.deepEqual(errors(results), []);
      assert.deepEqual(units(results).map((u) => u.nalus), aus);
      for (const p of aus.flatMap((au) => packetizeH264(au, maxPayload))) assert.ok(p.length <= maxPayload);
    }),
    { numRuns: 200 },
  );
});
