import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../../server/src/media/Backoff.js';

describe('reconnect backoff', () => {
  it('grows from 0.5 s to at most 30 s, with jitter between half and the full step', () => {
    const lo = new Backoff({ random: () => 0 });
    const hi = new Backoff({ random: () => 1 });
    const low = Array.from({ length: 10 }, () => lo.next());
    const high = Array.from({ length: 10 }, () => hi.next());
    assert.deepEqual(high, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    assert.deepEqual(low, high.map((h) => h / 2));
  });

  it('a connection that stayed up a minute starts again from the shortest delay; a short one does not', () => {
    const b = new Backoff({ random: () => 1 });
    b.next();
    b.next();
    b.connectionEnded(5_000);
    assert.equal(b.next(), 2000);
    b.connectionEnded(60_000);
    assert.equal(b.next(), 500);
  });
});
