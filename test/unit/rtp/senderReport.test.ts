// RTCP the restream sends (sender reports) and reads back (the report blocks of its clients'
// receiver reports): built and parsed against camrtc's RTCP splitter, the NTP/RTP mapping carried
// forward at the track's clock, the round trip from an echoed report, and hostile input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { ntpFromUnixMs, unixMsFromNtp } from '../../../server/src/rtp/ntp.js';
import { parseRtcp, RTCP_SDES, RTCP_SR } from '../../../server/src/rtp/rtcp.js';
import { reportBlockFor, roundTripMs } from '../../../server/src/rtp/reportBlocks.js';
import { buildSenderReport, rtpTimestampAt, senderInfoAt } from '../../../server/src/rtp/senderReport.js';
import { runs } from '../../helpers/property.js';

const NOW = 1_700_000_000_250;

/** An RR from 0x1234 with one block per [ssrc, fraction byte, cumulative lost, lsr, dlsr]. */
function rr(blocks: Array<[number, number, number, number, number]>): Buffer {
  const out = Buffer.alloc(8 + 24 * blocks.length);
  out[0] = 0x80 | blocks.length;
  out[1] = 201;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(0x1234, 4);
  blocks.forEach(([ssrc, fraction, lost, lsr, dlsr], i) => {
    const at = 8 + 24 * i;
    out.writeUInt32BE(ssrc, at);
    out[at + 4] = fraction;
    out.writeIntBE(lost, at + 5, 3);
    out.writeUInt32BE(lsr, at + 16);
    out.writeUInt32BE(dlsr, at + 20);
  });
  return out;
}

describe('RTCP sender reports', () => {
  it('SR + SDES CNAME in one compound: the SSRC, NTP time, RTP timestamp and counts read back', () => {
    const packet = buildSenderReport({ ssrc: 0xdeadbeef, ntp: ntpFromUnixMs(NOW), rtpTimestamp: 123456, packetCount: 42, octetCount: 4242 }, 'camrtc-abc');
    const items = parseRtcp(packet);
    assert.ok(!(items instanceof CamrtcError));
    assert.deepEqual(items.map((i) => [i.packetType, i.ssrc]), [[RTCP_SR, 0xdeadbeef], [RTCP_SDES, 0xdeadbeef]]);
    const info = items[0].senderInfo!;
    assert.equal(Math.round(unixMsFromNtp((BigInt(info.ntpSeconds) << 32n) | BigInt(info.ntpFraction))), NOW);
    assert.deepEqual([info.rtpTimestamp, info.packetCount, info.octetCount], [123456, 42, 4242]);
    const sdes = items[1];
    assert.equal(packet[sdes.offset + 8], 1, 'CNAME item');
    assert.equal(packet.subarray(sdes.offset + 10, sdes.offset + 10 + packet[sdes.offset + 9]).toString(), 'camrtc-abc');
    assert.equal(packet.length % 4, 0);
  });

  it("the RTP timestamp of a report is the last frame's, carried forward at the track's clock (and wrapping)", () => {
    assert.equal(rtpTimestampAt(1000, NOW - 500, 90000, NOW), 1000 + 45000);
    assert.equal(rtpTimestampAt(1000, NOW - 20, 8000, NOW), 1160);
    assert.equal(rtpTimestampAt(0xffffff00, NOW - 1000, 48000, NOW), (0xffffff00 + 48000) >>> 0);
    // Two tracks whose frames arrived together map the same instant to their own clocks alike.
    const video = senderInfoAt({ ssrc: 1, clockRate: 90000, timestamp: 9000, arrivedUnixMs: NOW - 100, packetCount: 0, octetCount: 0 }, NOW);
    const audio = senderInfoAt({ ssrc: 2, clockRate: 8000, timestamp: 800, arrivedUnixMs: NOW - 100, packetCount: 0, octetCount: 0 }, NOW);
    assert.equal(video.ntp, audio.ntp);
    assert.deepEqual([video.rtpTimestamp, audio.rtpTimestamp], [18000, 1600]);
  });

  it('counts past 2^32 wrap as RFC 3550 says', () => {
    const info = senderInfoAt({ ssrc: 1, clockRate: 90000, timestamp: 0, arrivedUnixMs: NOW, packetCount: 2 ** 32 + 5, octetCount: 2 ** 33 + 7 }, NOW);
    assert.deepEqual([info.packetCount, info.octetCount], [5, 7]);
  });
});

describe("the report blocks of a client's receiver reports", () => {
  it('finds the block about our stream among others: loss, cumulative lost (signed), LSR and DLSR', () => {
    const packet = rr([[0x1111, 0, 0, 0, 0], [0xdeadbeef, 64, -3, 0xabcd1234, 0x8000]]);
    assert.deepEqual(reportBlockFor(packet, 0xdeadbeef), { fractionLost: 0.25, packetsLost: -3, lastSr: 0xabcd1234, delaySinceLastSr: 0x8000 });
    assert.equal(reportBlockFor(packet, 0x2222), undefined);
  });

  it('the round trip is the time since the echoed report, less the delay the client held it', () => {
    const sentAt = NOW - 300;
    const lsr = Number((ntpFromUnixMs(sentAt) >> 16n) & 0xffffffffn);
    // Held 100 ms (6553.6 units of 1/65536 s): 200 ms on the way.
    const rtt = roundTripMs({ fractionLost: 0, packetsLost: 0, lastSr: lsr, delaySinceLastSr: 6554 }, NOW)!;
    assert.ok(Math.abs(rtt - 200) < 1, `rtt ${rtt}`);
    assert.equal(roundTripMs({ fractionLost: 0, packetsLost: 0, lastSr: 0, delaySinceLastSr: 0 }, NOW), undefined, 'no report echoed yet');
    assert.equal(roundTripMs({ fractionLost: 0, packetsLost: 0, lastSr: lsr, delaySinceLastSr: 2 * 65536 }, NOW), undefined, 'held 2 s of the 0.3 s since it went out: nonsense, not 18 hours');
  });

  it('a block count that runs past its packet, and any bytes at all: undefined or a block, never a throw', () => {
    const lying = rr([[0xdeadbeef, 0, 0, 0, 0]]);
    lying[0] = 0x80 | 5;
    assert.equal(reportBlockFor(lying, 0), undefined);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, ssrc) => {
        const block = reportBlockFor(Buffer.from(bytes), ssrc);
        assert.ok(block === undefined || typeof block.packetsLost === 'number');
      }),
      { numRuns: runs(500) },
    );
  });
});
