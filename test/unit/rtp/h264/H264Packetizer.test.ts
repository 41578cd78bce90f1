import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { H264Packetizer, packetizeH264 } from '../../../../server/src/rtp/h264/H264Packetizer.js';
import { H264Depacketizer } from '../../../../server/src/rtp/h264/H264Depacketizer.js';
import { parseRtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import { IDR, PPS, SEI, SPS, demoAccessUnits, hex, rawRtp } from '../rtpFixtures.js';

test('SPS, PPS and SEI travel in one STAP-A; the IDR that does not fit goes alone', () => {
  const idr = IDR(1190);
  const payloads = packetizeH264([SPS, PPS, SEI, idr], 1200);
  assert.equal(payloads.length, 2);
  const stap = Buffer.concat([
    hex('78'), // F=0, NRI=3 (the highest of the three), type 24
    Buffer.from([0, SPS.length]), SPS,
    Buffer.from([0, PPS.length]), PPS,
    Buffer.from([0, SEI.length]), SEI,
  ]);
  assert.deepEqual(payloads[0], stap);
  assert.equal(payloads[1], idr, 'a NALU that fits alone is sent as is, without a copy');
});

test('a NALU exactly maxPayload long is a single packet; one byte more makes two FU-A fragments', () => {
  assert.deepEqual(packetizeH264([IDR(100)], 100).length, 1);
  const frags = packetizeH264([IDR(101)], 100);
  assert.equal(frags.length, 2);
  assert.deepEqual(frags.map((f) => f.subarray(0, 2)), [hex('7c85'), hex('7c45')]);
});

test('FU-A fragments are near-equal, within maxPayload, and rebuild the NALU', () => {
  const nalu = Buffer.concat([hex('65'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i % 251) + 1))]);
  const frags = packetizeH264([nalu], 1200);
  assert.equal(frags.length, 5);
  for (const f of frags) {
    assert.ok(f.length <= 1200);
    assert.equal(f[0], 0x7c); // NRI of the IDR (3), type 28
    assert.equal(f[1] & 0x1f, 5);
  }
  assert.ok(Math.max(...frags.map((f) => f.length)) - Math.min(...frags.map((f) => f.length)) <= 1);
  assert.deepEqual(frags.map((f) => f[1] & 0xc0), [0x80, 0, 0, 0, 0x40]);
  assert.deepEqual(Buffer.concat([hex('65'), ...frags.map((f) => f.subarray(2))]), nalu);
});

test('aggregation stops when the next NALU would overflow the STAP-A', () => {
  const small = Array.from({ length: 5 }, (_, i) => Buffer.concat([hex('06'), Buffer.alloc(29, i + 1)]));
  // Each takes 2 + 30 bytes in a STAP-A: 1 + 3 * 32 = 97 <= 100, a fourth would not fit.
  const payloads = packetizeH264(small, 100);
  assert.deepEqual(payloads.map((p) => p.length), [97, 65]);
});

test('the demo clip packetizes within 1200 bytes per payload', () => {
  for (const au of demoAccessUnits()) {
    for (const payload of packetizeH264(au, 1200)) assert.ok(payload.length <= 1200 && payload.length > 0);
  }
});

test('an invalid maxPayload is a programming error', () => {
  assert.throws(() => packetizeH264([SPS], 2), RangeError);
  assert.throws(() => new H264Packetizer(0), RangeError);
  assert.equal(new H264Packetizer(1200).packetize([SPS, PPS]).length, 1);
});

test('any NALU list survives packetize -> depacketize, every payload within maxPayload', () => {
  // NAL header with a valid single-NALU type; body without zero bytes so no start code appears.
  const nalu = fc
    .tuple(fc.integer({ min: 1, max: 23 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 255 }))
    .map(([type, nri, len, fill]) => Buffer.concat([Buffer.from([(nri << 5) | type]), Buffer.alloc(len, fill)]));
  fc.assert(
    fc.property(fc.array(nalu, { minLength: 1, maxLength: 12 }), fc.integer({ min: 3, max: 1500 }), (random, maxPayload) => {
      // Put a slice last so the marker ends the access unit.
      const nalus: Buffer[] = [...random, hex('419a01')];
      const payloads = packetizeH264(nalus, maxPayload);
      for (const p of payloads) assert.ok(p.length <= maxPayload);
      const d = new H264Depacketizer();
      let result: ReturnType<H264Depacketizer['push']> = null;
      const found: Buffer[] = [];
      payloads.forEach((payload, i) => {
        const pkt = parseRtpPacket(rawRtp({ seq: i, ts: 100, marker: i === payloads.length - 1, payload }));
        assert.ok(!(pkt instanceof CamrtcError));
        result = d.push(pkt);
        for (let r = result; r !== null; r = d.next()) {
          assert.ok(!(r instanceof CamrtcError), r instanceof CamrtcError ? r.message : '');
          found.push(...r.nalus);
        }
      });
      // SPS/PPS/AUD after a slice start a new access unit, so compare the concatenation.
      assert.deepEqual(found, nalus);
    }),
    { numRuns: 300 },
  );
});
