/**
 * A token bucket: `capacity` tokens, refilled at `ratePerSecond`. Pure (the caller passes `now` in
 * milliseconds), so tests need no clock. Used for the per-socket message rate and for forgiving
 * occasional protocol violations while closing sockets that keep misbehaving.
 */
export class TokenBucket {
  readonly capacity: number;
  readonly ratePerSecond: number;
  #tokens: number;
  #last: number | undefined;

  constructor(capacity: number, ratePerSecond: number) {
    if (!(capacity >= 1) || !(ratePerSecond >= 0)) throw new RangeError('capacity must be >= 1 and rate >= 0');
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.#tokens = capacity;
  }

  /** Takes one token if there is one; false means the caller is over the limit. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Tokens left at `now` (fractional). */
  available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  #refill(now: number): void {
    if (this.#last !== undefined && now > this.#last) {
      this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
    }
    if (this.#last === undefined || now > this.#last) this.#last = now;
  }
}
