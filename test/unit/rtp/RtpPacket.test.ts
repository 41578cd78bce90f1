import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { parseRtpPacket, serializeRtpPacket, writeRtpHeader, RTP_HEADER_SIZE, type RtpPacket } from '../../../server/src/rtp/RtpPacket.js';
import { hex, rawRtp } from './rtpFixtures.js';

function parsed(buf: Buffer): RtpPacket {
  const p = parseRtpPacket(buf);
  assert.ok(!(p instanceof CamrtcError), p instanceof CamrtcError ? p.message : '');
  return p;
}

function parseError(buf: Buffer): CamrtcError {
  const p = parseRtpPacket(buf);
  assert.ok(p instanceof CamrtcError, 'expected a parse error');
  assert.equal(p.code, 'ERR_PARSE_RTP');
  return p;
}

test('parses the fixed header of a real H.264 packet', () => {
  // Marker set, PT 96, seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304, payload an FU-A end fragment.
  const p = parsed(hex('80e0 1234 deadbeef 01020304 7c45 aabbcc'));
  assert.equal(p.marker, true);
  assert.equal(p.payloadType, 96);
  assert.equal(p.sequenceNumber, 0x1234);
  assert.equal(p.timestamp, 0xdeadbeef);
  assert.equal(p.ssrc, 0x01020304);
  assert.deepEqual(p.csrc, []);
  assert.deepEqual(p.payload, hex('7c45aabbcc'));
  assert.equal(p.paddingLength, 0);
  assert.equal(p.extension, undefined);
});

test('payload is a view into the packet, not a copy', () => {
  const buf = rawRtp({ seq: 1, ts: 2, payload: hex('6588aa') });
  const p = parsed(buf);
  assert.equal(p.payload.buffer, buf.buffer);
  assert.equal(p.payload.byteOffset, buf.byteOffset + RTP_HEADER_SIZE);
});

test('CSRC list is read and skipped', () => {
  const p = parsed(rawRtp({ seq: 7, ts: 9, csrc: [0xa, 0xb, 0xc], payload: hex('41 9a') }));
  assert.deepEqual(p.csrc, [0xa, 0xb, 0xc]);
  assert.deepEqual(p.payload, hex('419a'));
});

test('header extension is skipped and exposed', () => {
  // One-byte-header extension (RFC 8285 profile 0xBEDE) as some cameras and WebRTC stacks send.
  const data = hex('10ff0000 22aabb00');
  const p = parsed(rawRtp({ seq: 1, ts: 1, extension: { profile: 0xbede, data }, payload: hex('6588') }));
  assert.deepEqual(p.payload, hex('6588'));
  assert.equal(p.extension?.profile, 0xbede);
  assert.deepEqual(p.extension?.data, data);
});

test('padding is removed from the payload', () => {
  const p = parsed(rawRtp({ seq: 1, ts: 1, payload: hex('419a0102'), padding: 4 }));
  assert.deepEqual(p.payload, hex('419a0102'));
  assert.equal(p.paddingLength, 4);
});

test('padding, extension and CSRCs together', () => {
  const p = parsed(rawRtp({ seq: 3, ts: 4, csrc: [1], extension: { profile: 1, data: hex('01020304') }, payload: hex('65'), padding: 3 }));
  assert.deepEqual(p.payload, hex('65'));
  assert.deepEqual(p.csrc, [1]);
});

test('malformed packets give ERR_PARSE_RTP', async (t) => {
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['shorter than the fixed header', hex('80600001000000010000')],
    ['version 1', hex('40600001 00000001 00000001 65')],
    ['version 0 (an RTSP interleaved frame misread)', hex('00600001 00000001 00000001 65')],
    ['CSRC count past the end', hex('8f600001 00000001 00000001 00000000')],
    ['extension header truncated', hex('90600001 00000001 00000001 bede')],
    ['extension length past the end', hex('90600001 00000001 00000001 bede0004 00000000')],
    ['padding count of zero', hex('a0600001 00000001 00000001 650000')],
    ['padding longer than the payload', hex('a0600001 00000001 00000001 6509')],
  ];
  for (const [name, buf] of cases) await t.test(name, () => void parseError(buf));
});

test('padding may consume the whole payload', () => {
  const p = parsed(hex('a0600001 00000001 00000001 000003'));
  assert.equal(p.payload.length, 0);
});

test('serialize then parse gives the same header and payload', () => {
  fc.assert(
    fc.property(
      fc.record({
        marker: fc.boolean(),
        payloadType: fc.integer({ min: 0, max: 127 }),
        sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
        timestamp: fc.integer({ min: 0, max: 0xffffffff }),
        ssrc: fc.integer({ min: 0, max: 0xffffffff }),
        csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
        payload: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
      }),
      (h) => {
        const p = parsed(serializeRtpPacket(h));
        assert.equal(p.marker, h.marker);
        assert.equal(p.payloadType, h.payloadType);
        assert.equal(p.sequenceNumber, h.sequenceNumber);
        assert.equal(p.timestamp, h.timestamp);
        assert.equal(p.ssrc, h.ssrc);
        assert.deepEqual(p.csrc, h.csrc);
        assert.deepEqual(p.payload, h.payload);
      },
    ),
  );
});

test('writeRtpHeader wraps sequence numbers and timestamps to their field width', () => {
  const buf = Buffer.alloc(12);
  assert.equal(writeRtpHeader(buf, { marker: false, payloadType: 8, sequenceNumber: 0x10005, timestamp: 2 ** 32 + 7, ssrc: 1 }), 12);
  const p = parsed(Buffer.concat([buf, hex('d5')]));
  assert.equal(p.sequenceNumber, 5);
  assert.equal(p.timestamp, 7);
});

test('arbitrary bytes never throw and a parsed payload stays inside the packet', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, forceV2) => {
      const buf = Buffer.from(bytes);
      if (forceV2 && buf.length > 0) buf[0] = 0x80 | (buf[0] & 0x3f);
      const p = parseRtpPacket(buf);
      if (p instanceof CamrtcError) {
        assert.equal(p.code, 'ERR_PARSE_RTP');
        return;
      }
      assert.ok(p.payload.byteOffset >= buf.byteOffset + RTP_HEADER_SIZE);
      assert.ok(p.payload.byteOffset + p.payload.length + p.paddingLength <= buf.byteOffset + buf.length);
    }),
    { numRuns: 5000 },
  );
});
