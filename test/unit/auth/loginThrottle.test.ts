/**
 * LoginThrottle: failed logins per client address are free, then slowed (a timer, never the event
 * loop), then refused at once; parallel attempts are not queued; the table of addresses is bounded.
 * The window runs on an injected clock; the waits are real (and short) timers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CamrtcError } from '../../../server/src/errors.js';
import { LoginThrottle, type LoginThrottleOptions } from '../../../server/src/auth/LoginThrottle.js';

function throttle(options: LoginThrottleOptions = {}) {
  const clock = { now: 5_000_000 };
  const gate = new LoginThrottle({ now: () => clock.now, freeFailures: 2, baseDelayMs: 60, maxDelayMs: 200, hardCap: 6, windowMs: 60_000, ...options });
  /** One login attempt that fails. */
  const fail = async (address: string): Promise<void> => {
    await gate.wait(address);
    gate.failed(address);
  };
  return { gate, clock, fail };
}

async function elapsed(work: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work;
  return performance.now() - started;
}

function throttledError(err: unknown): CamrtcError {
  assert.ok(err instanceof CamrtcError, String(err));
  assert.equal(err.code, 'ERR_AUTH_THROTTLED');
  return err;
}

describe('LoginThrottle', () => {
  it('by default: 5 free failures, then 1 s doubling to at most 30 s', () => {
    const gate = new LoginThrottle();
    assert.deepEqual(
      Array.from({ length: 13 }, (_, f) => gate.delayAfter(f)),
      [0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
    gate.close();
  });

  it('the free failures pass at once; the next attempts wait a doubling delay after the last failure', async () => {
    const { gate, fail } = throttle();
    assert.ok((await elapsed(fail('192.0.2.1'))) < 30);
    assert.ok((await elapsed(fail('192.0.2.1'))) < 30);
    const third = await elapsed(fail('192.0.2.1'));
    assert.ok(third >= 55, `waited ${third.toFixed(0)} ms`);
    const fourth = await elapsed(fail('192.0.2.1'));
    assert.ok(fourth >= 115, `waited ${fourth.toFixed(0)} ms`);
    // Another address has its own count.
    assert.ok((await elapsed(gate.wait('192.0.2.2'))) < 30);
    gate.close();
  });

  it('a wait that has already passed since the last failure costs nothing', async () => {
    const { gate, fail, clock } = throttle();
    await fail('192.0.2.1');
    await fail('192.0.2.1');
    clock.now += 1000;
    assert.ok((await elapsed(gate.wait('192.0.2.1'))) < 30);
    gate.close();
  });

  it('waiting is a timer: the event loop keeps running meanwhile', async () => {
    const { gate, fail } = throttle({ baseDelayMs: 150 });
    await fail('192.0.2.1');
    await fail('192.0.2.1');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    await gate.wait('192.0.2.1');
    clearInterval(ticker);
    assert.ok(ticks >= 8, `only ${ticks} ticks during a 150 ms wait`);
    gate.close();
  });

  it('at the hard cap an address is refused at once until the window has passed since its last failure', async () => {
    const { gate, fail, clock } = throttle({ baseDelayMs: 1, maxDelayMs: 1 });
    for (let i = 0; i < 6; i++) await fail('192.0.2.1');
    const started = performance.now();
    const err = throttledError(await gate.wait('192.0.2.1').catch((e: unknown) => e));
    assert.ok(performance.now() - started < 20);
    assert.equal(err.details.retryAfterSeconds, 60);
    assert.equal(err.message, 'too many failed logins from this address: try again in 60 seconds');
    clock.now += 45_000;
    assert.equal(throttledError(await gate.wait('192.0.2.1').catch((e: unknown) => e)).details.retryAfterSeconds, 15);
    clock.now += 15_000;
    await gate.wait('192.0.2.1');
    gate.succeeded('192.0.2.1');
    gate.close();
  });

  it('a success does not wipe the failures (no reset by logging in to an account of ones own)', async () => {
    const { gate, fail } = throttle({ baseDelayMs: 1, maxDelayMs: 1 });
    for (let i = 0; i < 5; i++) await fail('192.0.2.1');
    await gate.wait('192.0.2.1');
    gate.succeeded('192.0.2.1');
    await fail('192.0.2.1');
    throttledError(await gate.wait('192.0.2.1').catch((e: unknown) => e));
    gate.close();
  });

  it('attempts waiting or running count: past maxPending they are refused at once, never queued', async () => {
    const { gate, fail } = throttle({ maxPending: 2, baseDelayMs: 100 });
    await fail('192.0.2.1');
    await fail('192.0.2.1');
    const waiting = [gate.wait('192.0.2.1'), gate.wait('192.0.2.1')];
    const started = performance.now();
    throttledError(await gate.wait('192.0.2.1').catch((e: unknown) => e));
    assert.ok(performance.now() - started < 20);
    await Promise.all(waiting);
    gate.failed('192.0.2.1');
    gate.failed('192.0.2.1');
    gate.close();
  });

  it('running attempts count toward the hard cap, so firing many at once gains nothing', async () => {
    const { gate } = throttle({ freeFailures: 100, maxPending: 100, hardCap: 4 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => gate.wait('192.0.2.9')));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 4);
    gate.close();
  });

  it('an IPv6 client is counted by its /64, an IPv4-mapped address as its IPv4 address', async () => {
    const { gate, fail } = throttle({ baseDelayMs: 1, maxDelayMs: 1 });
    for (let i = 0; i < 6; i++) await fail(`2001:db8:1:2::${i + 1}`);
    throttledError(await gate.wait('2001:db8:1:2:ffff::9').catch((e: unknown) => e));
    await gate.wait('2001:db8:1:3::1');
    gate.succeeded('2001:db8:1:3::1');
    for (let i = 0; i < 6; i++) await fail('::ffff:198.51.100.7');
    throttledError(await gate.wait('198.51.100.7').catch((e: unknown) => e));
    gate.close();
  });

  it('remembers at most maxAddresses addresses; forgets them after the window', async () => {
    const { gate, fail, clock } = throttle({ maxAddresses: 50 });
    for (let i = 0; i < 500; i++) await fail(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(gate.size, 50);
    clock.now += 60_000;
    gate.sweep();
    assert.equal(gate.size, 0);
    gate.close();
  });

  it('close refuses the attempts still waiting', async () => {
    const { gate, fail } = throttle({ baseDelayMs: 10_000, maxDelayMs: 10_000 });
    await fail('192.0.2.1');
    await fail('192.0.2.1');
    const waiting = gate.wait('192.0.2.1');
    gate.close();
    throttledError(await waiting.catch((e: unknown) => e));
  });
});
