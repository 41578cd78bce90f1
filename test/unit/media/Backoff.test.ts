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
    b.connectionEnded(1_000);
    assert.equal(b.next(), 2000);
    b.connectionEnded(60_000);
    assert.equal(b.next(), 500);
  });

  it('after a connection that streamed a while drops, the next 30 retries wait at most 1 s, then back off again', () => {
    const b = new Backoff({ random: () => 1 });
    for (let i = 0; i < 6; i++) b.next();
    b.connectionEnded(10_000);
    const fast = Array.from({ length: 30 }, () => b.next());
    assert.ok(fast.every((d) => d === 1000), `fast retries: ${fast.join(',')}`);
    assert.equal(b.next(), 30000, 'then the exponential delay where it had got to');
  });

  it('a connection that drops right after connecting (flapping camera) gets no fast retries', () => {
    const b = new Backoff({ random: () => 1 });
    b.next();
    b.next();
    b.next();
    b.connectionEnded(2_000);
    assert.equal(b.next(), 4000);
  });
});
