import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRate } from '../../../server/src/media/ByteRate.js';

describe('ByteRate', () => {
  it('is the bits of the last complete second, and 0 once nothing came for a second', () => {
    let now = 0;
    const rate = new ByteRate(() => now);
    assert.equal(rate.bitsPerSecond, 0);
    for (let t = 0; t < 1000; t += 40) {
      now = t;
      rate.add(1250); // 25 frames of 1250 bytes: 250 kbit/s
    }
    now = 1000;
    assert.equal(rate.bitsPerSecond, 250_000);
    now = 1500;
    assert.equal(rate.bitsPerSecond, 250_000, 'the last complete window');
    now = 3200;
    assert.equal(rate.bitsPerSecond, 0, 'a silent camera reads 0');
  });
});
