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
import { ArrivalClock, buildSenderReport, senderInfo } from '../../../server/src/rtp/senderReport.js';
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

  it('counts past 2^32 wrap as RFC 3550 says', () => {
    const info = senderInfo({ ssrc: 1, packetCount: 2 ** 32 + 5, octetCount: 2 ** 33 + 7 }, NOW, 2 ** 32 + 9);
    assert.deepEqual([info.packetCount, info.octetCount, info.rtpTimestamp], [5, 7, 9]);
  });
});

/**
 * Frames every `periodMs` for `seconds`, each arriving `latency(i)` ms after its capture; a report
 * every 2 s. Each report's error (ms) against the capture clock: minus the latency it assumed.
 */
function run(clockRate: number, periodMs: number, seconds: number, latency: (i: number) => number, drift = 0): number[] {
  const clock = new ArrivalClock(clockRate);
  const errors: number[] = [];
  const start = NOW;
  const ts0 = 0xfff00000;
  let nextReport = start + 2000;
  for (let i = 0; i * periodMs < seconds * 1000; i++) {
    const capture = start + i * periodMs;
    // The camera's clock runs `drift` fast: its timestamps get ahead of the wall clock.
    const ts = (ts0 + Math.round(((capture - start) * (1 + drift) * clockRate) / 1000)) >>> 0;
    const arrival = capture + latency(i);
    while (nextReport <= arrival) {
      const reported = clock.timestampAt(nextReport)!;
      const truth = (ts0 + Math.round(((nextReport - start) * (1 + drift) * clockRate) / 1000)) >>> 0;
      errors.push(((((reported - truth) | 0) * 1000) / clockRate));
      nextReport += 2000;
    }
    clock.frame(ts, arrival);
  }
  return errors;
}

describe('ArrivalClock: the RTP clock on the wall clock from arrival times', () => {
  it('before any frame there is no mapping; the first frame anchors it', () => {
    const clock = new ArrivalClock(90000);
    assert.equal(clock.timestampAt(NOW), undefined);
    clock.frame(1000, NOW - 500);
    assert.equal(clock.timestampAt(NOW), 1000 + 45000);
  });

  it('jittery arrivals (the first frame and every 25th, the last before each report, a keyframe 40 ms late): every report at the earliest arrivals', () => {
    const errors = run(90000, 40, 60, (i) => (i === 0 || i % 25 === 24 ? 40 : 2 + (i % 3)));
    assert.ok(errors.every((e) => Math.abs(e + 2) < 0.5), `errors ${errors.map((e) => e.toFixed(1)).join(' ')}`);
  });

  it('latency that drops by 55 ms (a camera back on a faster path): reports move toward it at most 2 ms per second, and get there', () => {
    const errors = run(8000, 20, 60, (i) => (i < 500 ? 60 : 5));
    assert.ok(Math.abs(errors[0] + 60) < 0.5, `began ${errors[0]}`);
    const steps = errors.slice(1).map((e, i) => Math.abs(e - errors[i]));
    assert.ok(steps.every((d) => d <= 4.1), `steps ${steps.map((d) => d.toFixed(1)).join(' ')}`);
    assert.ok(Math.abs(errors.at(-1)! + 5) < 0.5, `ended ${errors.at(-1)} ms off`);
  });

  it('a camera clock 100 ppm fast is followed: after 10 minutes the reports are still within a few ms', () => {
    const errors = run(90000, 40, 600, () => 3, 100e-6);
    assert.ok(Math.abs(errors.at(-1)! + 3) < 3, `${errors.at(-1)} ms`);
  });

  it('audio and video frames that arrive alike map the same instant alike, each on its own clock', () => {
    const video = new ArrivalClock(90000);
    const audio = new ArrivalClock(8000);
    video.frame(9000, NOW - 100);
    audio.frame(800, NOW - 100);
    assert.deepEqual([video.timestampAt(NOW), audio.timestampAt(NOW)], [18000, 1600]);
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
