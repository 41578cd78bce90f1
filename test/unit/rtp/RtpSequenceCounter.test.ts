import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_DROPOUT, RtpSequenceCounter } from '../../../server/src/rtp/RtpSequenceCounter.js';

function feed(seqs: number[]): RtpSequenceCounter {
  const c = new RtpSequenceCounter();
  for (const s of seqs) c.push(s);
  return c;
}

// [behaviour, sequence numbers, lost, reordered, restarts]
const CASES: Array<[string, number[], number, number, number]> = [
  ['in order', [10, 11, 12, 13], 0, 0, 0],
  ['packet loss', [10, 11, 14, 15], 2, 0, 0],
  ['reordered packets: a late packet fills its gap', [10, 12, 11, 13], 0, 1, 0],
  ['duplicate counts as reordered, not as negative loss', [10, 11, 11, 12], 0, 1, 0],
  ['wrap-around at 65535 is not loss', [65533, 65534, 65535, 0, 1], 0, 0, 0],
  ['loss across the wrap', [65534, 1], 2, 0, 0],
  ['late packet across the wrap', [65535, 1, 0, 2], 0, 1, 0],
  ['a jump beyond MAX_DROPOUT is a restart, not thousands of losses', [100, 101, 100 + MAX_DROPOUT + 50, 100 + MAX_DROPOUT + 51], 0, 0, 1],
  ['loss before a restart is kept', [100, 103, 40000, 40001], 2, 0, 1],
];
for (const [name, seqs, lost, reordered, restarts] of CASES) {
  test(`sequence counter: ${name}`, () => {
    const s = feed(seqs).stats;
    assert.deepEqual({ lost: s.lost, reordered: s.reordered, restarts: s.restarts, received: s.received }, { lost, reordered, restarts, received: seqs.length });
  });
}

test('sequence counter: dropping k packets of an in-order run counts exactly k lost', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 2, max: 2000 }), fc.array(fc.nat(), { maxLength: 50 }), (start, length, drops) => {
      const dropped = new Set(drops.map((d) => 1 + (d % (length - 1))).filter((i) => i < length - 1));
      const seqs: number[] = [];
      for (let i = 0; i < length; i++) if (!dropped.has(i)) seqs.push((start + i) & 0xffff);
      const s = feed(seqs).stats;
      assert.equal(s.lost, dropped.size);
      assert.equal(s.reordered, 0);
    }),
    { numRuns: 300 },
  );
});
