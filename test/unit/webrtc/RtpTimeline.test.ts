import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RtpTimeline } from '../../../server/src/webrtc/RtpTimeline.js';

describe('RtpTimeline', () => {
  it('starts at the initial timestamp and keeps the camera spacing within a generation', () => {
    const t = new RtpTimeline(90000, 100, 5000);
    assert.equal(t.rebase(1_000_000, 1, 0), 5000);
    assert.equal(t.rebase(1_003_600, 1, 40), 8600);
    assert.equal(t.rebase(1_007_200, 1, 80), 12200);
  });

  it('camera reconnect: continues with the wall time elapsed since the last frame', () => {
    const t = new RtpTimeline(90000, 0, 1000);
    t.rebase(50, 1, 10_000);
    // New session: unrelated timestamp base, 2.5 s later.
    assert.equal(t.rebase(3_000_000_000, 2, 12_500), 1000 + 2.5 * 90000);
    assert.equal(t.rebase(3_000_003_600, 2, 12_540), 1000 + 2.5 * 90000 + 3600);
  });

  it('a reconnect with no measurable gap still moves the timestamp forward', () => {
    const t = new RtpTimeline(8000, 0, 77);
    t.rebase(10, 1, 500);
    assert.equal(t.rebase(999, 2, 500), 78);
    assert.equal(t.rebase(999, 3, 400), 79, 'clock going backwards counts as no gap');
  });

  it('wraps timestamps and sequence numbers modulo 2^32 and 2^16', () => {
    const t = new RtpTimeline(90000, 0xfffe, 0xffff_ff00);
    t.rebase(0, 1, 0);
    assert.equal(t.rebase(0x200, 1, 1), 0x100);
    assert.deepEqual([t.nextSequence(), t.nextSequence(), t.nextSequence()], [0xfffe, 0xffff, 0]);
  });

  it('property: output stays a uint32 and successive generations never repeat a timestamp', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ts: fc.nat(0xffffffff), gen: fc.integer({ min: 1, max: 4 }), dt: fc.nat(5000) }), { minLength: 1, maxLength: 50 }),
        fc.nat(0xffffffff),
        (frames, initial) => {
          const t = new RtpTimeline(90000, 0, initial);
          let now = 0;
          let prev: { out: number; gen: number } | undefined;
          for (const f of frames) {
            now += f.dt;
            const out = t.rebase(f.ts, f.gen, now);
            assert.ok(Number.isInteger(out) && out >= 0 && out <= 0xffffffff);
            if (prev && prev.gen !== f.gen) {
              const step = (out - prev.out) >>> 0;
              assert.equal(step, Math.max(1, Math.round(f.dt * 90)));
            }
            prev = { out, gen: f.gen };
          }
        },
      ),
    );
  });
});

describe('RtpTimeline.rebaseAfter: frames sent out of their camera time (GOP replay)', () => {
  const f = (timestamp: number, receivedAt: number, generation = 1) => ({ timestamp, receivedAt, generation });

  it('a new viewer: the keyframe at the initial timestamp, then the wall time between sends; live frames keep the camera spacing after', () => {
    const t = new RtpTimeline(90000, 0, 1000);
    assert.equal(t.rebaseAfter(f(90_000, 0), 0), 1000);
    assert.equal(t.rebaseAfter(f(93_600, 40), 30), 1000 + 30 * 90, 'sent 30 ms later, whatever the camera spacing (40 ms)');
    assert.equal(t.rebaseAfter(f(97_200, 80), 2), 1000 + 32 * 90);
    assert.equal(t.rebase(100_800, 1, 120), 1000 + 32 * 90 + 3600, 'live frame: 40 ms after the last replayed one');
  });

  it('a PLI replay after live frames comes after everything sent, at least one tick later', () => {
    const t = new RtpTimeline(90000, 0, 0);
    t.rebase(0, 1, 0);
    const last = t.rebase(3600, 1, 40);
    assert.equal(t.rebaseAfter(f(0, 0), 0), last + 1, 'no time elapsed: one tick');
    assert.equal(t.rebaseAfter(f(3600, 40), -5), last + 2, 'a clock going backwards counts as no time');
    assert.equal(t.rebase(7200, 1, 80), last + 2 + 3600);
  });

  it('wraps modulo 2^32 and re-bases later frames of the replayed generation', () => {
    const t = new RtpTimeline(90000, 0, 0xffff_fffe);
    assert.equal(t.rebaseAfter(f(5, 0, 2), 0), 0xffff_fffe);
    assert.equal(t.rebaseAfter(f(10, 1, 2), 1 / 90), 0xffff_ffff);
    assert.equal(t.rebaseAfter(f(15, 2, 2), 1 / 90), 0);
    assert.equal(t.rebase(20, 2, 3), 5);
  });
});
