/**
 * Slows password guessing from one client address (an IPv6 client by its /64, clientKey): the first
 * `freeFailures` failed logins cost nothing; after them each attempt waits, from the last failure, a
 * delay that doubles with each failure (`baseDelayMs`, capped at `maxDelayMs`); at `hardCap` failures
 * within the window the address is refused at once (ERR_AUTH_THROTTLED, 429, with the seconds to
 * wait) until `windowMs` has passed since its last failure. Attempts still running count toward the
 * cap, so firing many in parallel gains nothing, and an address may have at most `maxPending`
 * attempts waiting or running: the rest are refused at once, never queued.
 *
 * A successful login does not clear the address's failures: a user with an account of their own
 * could otherwise guess another user's password without limit by logging in between guesses.
 *
 * Waiting is a timer (the event loop is never held), and the table of addresses is bounded
 * (`maxAddresses`, the entry touched least recently goes first).
 */
import { CamrtcError } from '../errors.js';
import { clientKey } from '../http/ClientAddresses.js';
import type { LoginGate } from './UserDirectory.js';

export interface LoginThrottleOptions {
  /** Failures an address may have before its attempts wait. Default 5. */
  freeFailures?: number;
  /** The wait after the first failure past the free ones; doubles with each further one. Default 1 s. */
  baseDelayMs?: number;
  /** The longest wait. Default 30 s. */
  maxDelayMs?: number;
  /** Failures (and running attempts) at which the address is refused at once. Default 20. */
  hardCap?: number;
  /** An address's failures are forgotten this long after its last one. Default 15 minutes. */
  windowMs?: number;
  /** Attempts one address may have waiting or running at a time. Default 3. */
  maxPending?: number;
  /** Addresses remembered at most. Default 10 000. */
  maxAddresses?: number;
  /** The clock, ms since the epoch (tests). */
  now?: () => number;
}

export const LOGIN_THROTTLE_DEFAULTS = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  hardCap: 20,
  windowMs: 15 * 60_000,
  maxPending: 3,
  maxAddresses: 10_000,
} as const;

interface AddressRecord {
  failures: number;
  lastFailureAt: number;
  /** Attempts waiting for their turn or checking a password now. */
  pending: number;
}

interface Waiter {
  readonly timer: NodeJS.Timeout;
  readonly reject: (err: Error) => void;
}

export class LoginThrottle implements LoginGate {
  readonly #options: Required<Omit<LoginThrottleOptions, 'now'>>;
  readonly #now: () => number;
  /** Least recently touched first. */
  readonly #records = new Map<string, AddressRecord>();
  readonly #waiters = new Set<Waiter>();
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(options: LoginThrottleOptions = {}) {
    const { now, ...rest } = options;
    this.#options = { ...LOGIN_THROTTLE_DEFAULTS, ...stripUndefined(rest) };
    this.#now = now ?? Date.now;
    this.#sweep = setInterval(() => this.sweep(), Math.min(this.#options.windowMs, 60_000));
    this.#sweep.unref();
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#records.size;
  }

  /** The wait before the next attempt after `failures` failures, in ms (0 while free). */
  delayAfter(failures: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.#options;
    if (failures < freeFailures) return 0;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - freeFailures, 30));
  }

  async wait(address: string | undefined): Promise<void> {
    if (this.#closed) throw throttled(1);
    const key = clientKey(address);
    const now = this.#now();
    const record = this.#fresh(key, now);
    if (!record) {
      this.#touch(key, { failures: 0, lastFailureAt: 0, pending: 1 });
      return;
    }
    const { hardCap, maxPending, windowMs } = this.#options;
    const delay = Math.max(0, record.lastFailureAt + this.delayAfter(record.failures) - now);
    if (record.failures + record.pending >= hardCap) {
      throw throttled(record.failures >= hardCap ? record.lastFailureAt + windowMs - now : Math.max(delay, 1000));
    }
    if (record.pending >= maxPending) throw throttled(Math.max(delay, 1000));
    record.pending++;
    this.#touch(key, record);
    if (delay === 0) return;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve();
        }, delay),
        reject: (err) => {
          clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          reject(err);
        },
      };
      this.#waiters.add(waiter);
    }).catch((err: unknown) => {
      this.#settle(key);
      throw err;
    });
  }

  failed(address: string | undefined): void {
    const key = clientKey(address);
    const now = this.#now();
    const record = this.#fresh(key, now) ?? { failures: 0, lastFailureAt: 0, pending: 1 };
    record.failures++;
    record.lastFailureAt = now;
    record.pending = Math.max(0, record.pending - 1);
    this.#touch(key, record);
  }

  succeeded(address: string | undefined): void {
    this.#settle(clientKey(address));
  }

  /** Forgets addresses whose window has passed and that have nothing running. */
  sweep(): void {
    const now = this.#now();
    for (const [key, record] of this.#records) if (this.#expired(record, now)) this.#records.delete(key);
  }

  /** Refuses every waiting attempt and stops the sweep timer. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const waiter of [...this.#waiters]) waiter.reject(throttled(1));
    this.#records.clear();
  }

  /** An attempt ended without a failure (a success, or refused while waiting). */
  #settle(key: string): void {
    const record = this.#records.get(key);
    if (!record) return;
    record.pending = Math.max(0, record.pending - 1);
    if (record.pending === 0 && record.failures === 0) this.#records.delete(key);
  }

  #expired(record: AddressRecord, now: number): boolean {
    return record.pending === 0 && (record.failures === 0 || now - record.lastFailureAt >= this.#options.windowMs);
  }

  /** The address's record, with failures outside the window forgotten. */
  #fresh(key: string, now: number): AddressRecord | undefined {
    const record = this.#records.get(key);
    if (!record) return undefined;
    if (record.failures > 0 && now - record.lastFailureAt >= this.#options.windowMs) {
      record.failures = 0;
      record.lastFailureAt = 0;
    }
    return record;
  }

  /** Stores the record as the most recently touched; a full table forgets its least recent idle entry. */
  #touch(key: string, record: AddressRecord): void {
    this.#records.delete(key);
    if (this.#records.size >= this.#options.maxAddresses) {
      for (const [old, r] of this.#records) {
        if (r.pending === 0) {
          this.#records.delete(old);
          break;
        }
      }
    }
    this.#records.set(key, record);
  }
}

/** The refusal; `retryAfterSeconds` is what the HTTP answer's Retry-After says. */
export function throttled(waitMs: number): CamrtcError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new CamrtcError('ERR_AUTH_THROTTLED', `too many failed logins from this address: try again in ${formatWait(seconds)}`, {
    retryAfterSeconds: seconds,
  });
}

/** The seconds a throttled client should wait (its Retry-After), when `err` is the throttle's refusal. */
export function retryAfterSeconds(err: CamrtcError): number | undefined {
  const seconds = err.code === 'ERR_AUTH_THROTTLED' ? err.details.retryAfterSeconds : undefined;
  return typeof seconds === 'number' ? seconds : undefined;
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
