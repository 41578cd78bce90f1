import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { isRtcpPacket, parseRtcp, RTCP_RR, RTCP_SDES, RTCP_SR } from '../../../server/src/rtp/rtcp.js';
import { hex, rawRtp } from './rtpFixtures.js';

// A sender report with no report blocks followed by an SDES CNAME, as a camera sends them.
const SR = hex('80c80006 11223344 e8a1b2c3 80000000 00015f90 00000064 0000fa00');
const SDES = hex('81ca0003 11223344 0103 63616d 000000');

test('splits a compound SR + SDES and reads the sender info', () => {
  const packets = parseRtcp(Buffer.concat([SR, SDES]));
  assert.ok(!(packets instanceof CamrtcError));
  assert.deepEqual(packets.map((p) => p.packetType), [RTCP_SR, RTCP_SDES]);
  assert.equal(packets[0].ssrc, 0x11223344);
  assert.deepEqual(packets[0].senderInfo, { ntpSeconds: 0xe8a1b2c3, ntpFraction: 0x80000000, rtpTimestamp: 90000, packetCount: 100, octetCount: 64000 });
  assert.equal(packets[1].offset, SR.length);
  assert.equal(packets[1].count, 1);
});

test('an empty receiver report is recognised', () => {
  const packets = parseRtcp(hex('80c90001 01020304'));
  assert.ok(!(packets instanceof CamrtcError));
  assert.equal(packets[0].packetType, RTCP_RR);
  assert.equal(packets[0].senderInfo, undefined);
});

test('a length past the end of the datagram is an error', () => {
  const r = parseRtcp(SR.subarray(0, 20));
  assert.ok(r instanceof CamrtcError);
  assert.equal(r.code, 'ERR_PARSE_RTP');
});

test('RTP and RTCP sharing a channel are told apart (RFC 5761)', () => {
  assert.equal(isRtcpPacket(SR), true);
  assert.equal(isRtcpPacket(rawRtp({ seq: 1, ts: 1, payloadType: 96, marker: true, payload: hex('65') })), false);
  assert.equal(isRtcpPacket(rawRtp({ seq: 1, ts: 1, payloadType: 8, payload: hex('d5') })), false);
});

test('arbitrary bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = parseRtcp(Buffer.from(bytes));
      if (r instanceof CamrtcError) assert.ok(r.code === 'ERR_PARSE_RTP' || r.code === 'ERR_LIMIT');
      else for (const p of r) assert.ok(p.offset + p.length <= bytes.length);
    }),
    { numRuns: 3000 },
  );
});
