import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../../server/src/signaling/TokenBucket.js';

describe('TokenBucket', () => {
  it('allows a burst of capacity, then refuses until time refills it', () => {
    const bucket = new TokenBucket(3, 1);
    assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
    assert.equal(bucket.take(500), false);
    assert.equal(bucket.take(1000), true);
    assert.equal(bucket.take(1000), false);
  });

  it('never holds more than its capacity after a long idle time', () => {
    const bucket = new TokenBucket(2, 10);
    bucket.take(0);
    assert.equal(bucket.available(1_000_000), 2);
  });

  it('a clock going backwards neither refills nor breaks it', () => {
    const bucket = new TokenBucket(1, 1);
    assert.equal(bucket.take(5000), true);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.take(5999), false);
    assert.equal(bucket.take(6000), true);
  });

  it('rejects nonsense limits', () => {
    assert.throws(() => new TokenBucket(0, 1), RangeError);
    assert.throws(() => new TokenBucket(1, -1), RangeError);
  });
});
