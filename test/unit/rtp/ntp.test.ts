import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NTP_UNIX_OFFSET_S, ntpFromUnixMs, unixMsFromNtp } from '../../../server/src/rtp/ntp.js';

describe('NTP timestamps for RTCP sender reports', () => {
  it('keeps sub-second precision (werift puts the decimal digits in the fraction)', () => {
    const ntp = ntpFromUnixMs(1_700_000_000_500);
    assert.equal(Number(ntp >> 32n), 1_700_000_000 + NTP_UNIX_OFFSET_S);
    assert.equal(Number(ntp & 0xffffffffn), 2 ** 31, 'half a second is half of 2^32');
    assert.ok(Math.abs(unixMsFromNtp(ntpFromUnixMs(1_700_000_000_123.4)) - 1_700_000_000_123.4) < 0.001);
  });

  it('is monotonic across a second boundary', () => {
    assert.ok(ntpFromUnixMs(1_700_000_000_999) < ntpFromUnixMs(1_700_000_001_000));
    assert.ok(ntpFromUnixMs(1_700_000_000_999.9) < ntpFromUnixMs(1_700_000_001_000));
  });
});
