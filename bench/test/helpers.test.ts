/**
 * The benchmark's pure helpers: wrong numbers here would make every table wrong. Run with
 * `node --test dist/bench/test/` (not part of `npm test`, like the benchmark itself).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hotSpots } from '../cpuProfile.js';
import { LossCounter } from '../LossCounter.js';
import { parseOptions } from '../options.js';
import { parseStatCpuTicks, parseStatusRss, parseUdpDrops } from '../procStat.js';
import { lossOnset } from '../report.js';
import { ageOverTime, pictureAge, summarizeLive } from '../livePicture.js';
import { perCamera } from '../reportLive.js';
import { percentile, summarize } from '../stats.js';
import { lineChart, niceStep } from '../svg.js';
import { lossBetween, type LoadResult } from '../viewerLoad.js';

describe('LossCounter', () => {
  it('counts a gap as lost and a retransmission that fills it as received', () => {
    const c = new LossCounter();
    for (const s of [10, 11, 13, 14]) c.add(s);
    assert.equal(c.expected, 5);
    assert.equal(c.lost, 1);
    c.add(12);
    assert.equal(c.lost, 0);
  });

  it('a duplicate never hides a loss', () => {
    const c = new LossCounter();
    for (const s of [1, 2, 2, 4]) c.add(s);
    assert.equal(c.received, 3);
    assert.equal(c.lost, 1);
  });

  it('follows the sequence number through wrap-around, across several cycles', () => {
    const c = new LossCounter();
    let seq = 65000;
    let sent = 0;
    for (let i = 0; i < 200_000; i++) {
      if (i % 1000 !== 999) c.add(seq); // every 1000th packet lost
      seq = (seq + 1) & 0xffff;
      sent++;
    }
    assert.equal(c.expected, sent - 1); // the last one is lost and never seen as expected
    assert.equal(c.lost, 199);
  });
});

describe('/proc parsers', () => {
  it('reads utime+stime past a command name with spaces and parentheses', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1000 200';
    assert.equal(parseStatCpuTicks(stat), 300);
  });

  it('sums receive-buffer drops of the given socket inodes only', () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  1: 0100007F:D431 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5001 2 0000000000000000 17',
      '  2: 0100007F:D432 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5002 2 0000000000000000 4',
    ].join('\n');
    assert.equal(parseUdpDrops(table, new Set(['5001'])), 17);
    assert.equal(parseUdpDrops(table, new Set(['5001', '5002'])), 21);
    assert.equal(parseUdpDrops(table, new Set()), 0);
  });

  it('reads VmRSS in bytes', () => {
    assert.equal(parseStatusRss('Name:\tnode\nVmRSS:\t  2048 kB\nVmSwap: 0 kB\n'), 2048 * 1024);
    assert.throws(() => parseStatusRss('Name: x\n'));
  });
});

describe('statistics and report helpers', () => {
  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(v, 50), 50);
    assert.equal(percentile(v, 95), 95);
    assert.deepEqual(summarize([3, 1, 2]), { count: 3, p50: 2, p95: 3, max: 3 });
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('loss during the window only, per viewer', () => {
    const r = lossBetween([{ expected: 100, received: 90 }], [{ expected: 300, received: 290 }, { expected: 50, received: 49 }]);
    assert.deepEqual(r, { expected: 250, received: 249, lost: 1, viewersWithLoss: 1, stalled: 0 });
    const s = lossBetween([{ expected: 100, received: 100 }], [{ expected: 100, received: 100 }]);
    assert.equal(s.stalled, 1, 'a viewer that received nothing is stalled, not loss-free');
  });

  it('names the first viewer count with loss or failed viewers', () => {
    const row = (viewers: number, lost: number, failed = 0): LoadResult =>
      ({ viewers, lost, failed, cameras: 1, connected: viewers - failed, cpu: 0, idleCpu: 0, rss: 0, idleRss: 0, expected: 1, received: 1, viewersWithLoss: 0, stalled: 0, swarmCpu: 0, swarms: 1, serverDrops: 0, viewerDrops: 0, windowSeconds: 1 });
    assert.equal(lossOnset([row(1, 0), row(10, 0), row(50, 3)]), 'N = 50');
    assert.equal(lossOnset([row(1, 0), row(10, 0, 1)]), 'N = 10');
    assert.equal(lossOnset([row(1, 0), row(100, 0)]), 'none up to N = 100');
    assert.equal(lossOnset([row(1, 0), { ...row(10, 0), stalled: 2 }]), 'N = 10');
  });

  it('self time per function from a cpuprofile', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'encrypt', url: 'file:///x/node_modules/werift-rtp/lib/srtp.js', lineNumber: 9 } },
      ],
      samples: [2, 2, 2, 1],
      timeDeltas: [10, 10, 10, 10],
    };
    assert.deepEqual(hotSpots(profile, 1), [{ where: 'encrypt werift-rtp/lib/srtp.js:10', self: 0.75 }]);
  });

  it('SVG chart: nice ticks, escaped text, one path per series', () => {
    assert.equal(niceStep(100, 5), 20);
    assert.equal(niceStep(7, 5), 2);
    const svg = lineChart([{ name: 'a<b', color: '#000', points: [[0, 1], [10, 5]] }], { title: 't', xLabel: 'x', yLabel: 'y' });
    assert.match(svg, /^<svg /);
    assert.ok(svg.includes('a&lt;b'));
    assert.equal(svg.match(/<path /g)?.length, 1);
  });
});

describe('time to a live picture', () => {
  // A replayed keyframe 1800 ms old shown at 400 ms, the catch-up frame 100 ms old at 600 ms.
  const replayed = { firstFrame: 400, firstAge: 1800, live: 600, early: [[400, 1800], [600, 100], [633, 60]] as Array<[number, number]> };
  const waited = { firstFrame: 1200, firstAge: 70, live: 1200, early: [[1200, 70]] as Array<[number, number]> };

  it("the picture's age is the shown frame's age plus the time it stayed on screen", () => {
    assert.equal(pictureAge(replayed.early, 300), undefined, 'no picture before the first frame');
    assert.equal(pictureAge(replayed.early, 400), 1800);
    assert.equal(pictureAge(replayed.early, 550), 1950, 'a frozen picture gets older');
    assert.equal(pictureAge(replayed.early, 610), 110);
  });

  it('a load never live counts as infinitely late, not as missing', () => {
    const never = { firstFrame: 500, firstAge: 2000, live: Number.NaN, early: [[500, 2000]] as Array<[number, number]> };
    const s = summarizeLive([replayed, waited, never]);
    assert.equal(s.neverLive, 1);
    assert.equal(s.live.max, Number.POSITIVE_INFINITY);
    assert.equal(s.live.p50, 1200);
    assert.equal(s.firstAge.p50, 1800);
    assert.deepEqual(s.times[2], [500, 2000, -1]);
  });

  it('the age curve starts once half of the loads show a picture', () => {
    const { median, p95 } = ageOverTime([replayed, waited], 1500, 100);
    // Two loads: the nearest-rank median is the lower one, defined from the first picture on.
    assert.deepEqual(median[0], [0.4, 1800]);
    assert.deepEqual(p95[0], [1.2, 627], 'p95 needs both loads: the first shows a frame 60 ms old at 633 ms, aged since');
    assert.equal(median.find(([t]) => t === 1.2)?.[1], 70);
  });

  it('cost per camera is the marginal cost past M = 1', () => {
    const r = (cameras: number, cpu: number, rss: number): LoadResult =>
      ({ viewers: cameras, cameras, cpu, rss, lost: 0, failed: 0, connected: cameras, idleCpu: 0, idleRss: 0, expected: 1, received: 1, viewersWithLoss: 0, stalled: 0, swarmCpu: 0, swarms: 1, serverDrops: 0, viewerDrops: 0, windowSeconds: 1 });
    const rows = [r(1, 0.05, 100), r(30, 0.34, 158)];
    assert.ok(Math.abs(perCamera(rows, 30, (x) => x.cpu * 100) - 1) < 1e-9);
    assert.equal(perCamera(rows, 30, (x) => x.rss), 2);
    assert.ok(Number.isNaN(perCamera(rows, 1, (x) => x.rss)));
    assert.ok(Number.isNaN(perCamera([r(30, 0.3, 1)], 30, (x) => x.rss)), 'no M = 1 row: no baseline');
  });
});

describe('bench options', () => {
  it('quick is shorter than full and still meets the issue minimums', () => {
    const quick = parseOptions(['--quick']);
    const full = parseOptions([]);
    assert.ok(quick !== 'help' && full !== 'help');
    assert.ok(quick.latencyMs >= 20_000 && quick.firstFrameLoads >= 10);
    assert.deepEqual(full.viewerCounts, [1, 10, 50, 100]);
    assert.deepEqual(full.cameraCounts, [1, 10, 30, 100]);
    assert.deepEqual(full.pli, ['honour', 'ignore']);
    assert.equal(full.idleLoads, 20, 'the issue asks for 20 idle-camera loads');
    assert.equal(full.driftMs, 600_000);
    assert.equal((parseOptions(['--soak']) as { driftMs: number }).driftMs, 3_600_000);
  });

  it('refuses unknown flags and sections', () => {
    assert.throws(() => parseOptions(['--fast']), /unknown flag/);
    assert.throws(() => parseOptions(['--only=latency,speed']), /unknown value speed/);
    assert.throws(() => parseOptions(['--pli=sometimes']), /unknown value sometimes/);
    assert.throws(() => parseOptions(['--cameras=1,ten']), /expected counts/);
  });

  it('targeted runs: sections, camera modes, counts and loads from flags', () => {
    const o = parseOptions(['--quick', '--only=live,idle', '--pli=ignore', '--cameras=100', '--viewers=10', '--loads=3']);
    assert.ok(o !== 'help');
    assert.deepEqual(o.sections, ['live', 'idle']);
    assert.deepEqual(o.pli, ['ignore']);
    assert.deepEqual(o.cameraCounts, [100]);
    assert.deepEqual(o.viewerCounts, [10]);
    assert.equal(o.liveLoads, 3);
    assert.equal(o.idleLoads, 3);
    assert.equal(o.firstFrameLoads, 3);
  });
});
