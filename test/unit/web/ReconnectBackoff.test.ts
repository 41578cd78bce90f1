/** The player's reconnect delays, with the random source pinned. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, ReconnectBackoff } from '../../../web/src/ReconnectBackoff.js';

describe('ReconnectBackoff', () => {
  it('doubles from 0.5 s and stays at 10 s', () => {
    const backoff = new ReconnectBackoff(() => 0.5);
    const delays = Array.from({ length: 8 }, () => backoff.next());
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('spreads each delay over ±25 %', () => {
    assert.equal(new ReconnectBackoff(() => 0).next(), BACKOFF_INITIAL_MS * 0.75);
    assert.equal(new ReconnectBackoff(() => 0.999999).next(), BACKOFF_INITIAL_MS * 1.25);
    const capped = new ReconnectBackoff(() => 0.999999);
    for (let i = 0; i < 10; i++) capped.next();
    assert.equal(capped.next(), BACKOFF_MAX_MS * 1.25);
  });

  it('starts over from 0.5 s after reset (the picture came back)', () => {
    const backoff = new ReconnectBackoff(() => 0.5);
    for (let i = 0; i < 5; i++) backoff.next();
    backoff.reset();
    assert.equal(backoff.next(), 500);
  });
});
