/**
 * The browser client's reconnect delays: from 0.5 s, doubling up to 10 s, each ±25 % at random so the
 * players of a page (or of many pages after a server restart) do not all come back in the same
 * instant. Reset once the picture is back. Pure: the caller owns the timer.
 */
export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 10_000;

export class ReconnectBackoff {
  #nextMs = BACKOFF_INITIAL_MS;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The delay before the next attempt; each call doubles the one after (up to BACKOFF_MAX_MS). */
  next(): number {
    const delay = Math.round(this.#nextMs * (0.75 + this.#random() * 0.5));
    this.#nextMs = Math.min(this.#nextMs * 2, BACKOFF_MAX_MS);
    return delay;
  }

  /** A connection worked (a frame was shown): the next failure retries quickly again. */
  reset(): void {
    this.#nextMs = BACKOFF_INITIAL_MS;
  }
}
