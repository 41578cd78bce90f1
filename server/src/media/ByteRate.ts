/**
 * The bit rate of a camera's incoming media, for the control API: the bytes of the frames delivered
 * in the last complete one-second window. One addition and one clock read per frame (not per packet,
 * and not per viewer), so it costs nothing measurable on the packet path (invariant 2).
 */
import { performance } from 'node:perf_hooks';

const WINDOW_MS = 1_000;

export class ByteRate {
  readonly #now: () => number;
  #windowStart: number;
  #bytes = 0;
  #lastBitsPerSecond = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#windowStart = now();
  }

  /** `bytes` arrived now. */
  add(bytes: number): void {
    const now = this.#now();
    this.#roll(now);
    this.#bytes += bytes;
  }

  /** Bits per second over the last complete window; 0 once nothing arrived for a whole window. */
  get bitsPerSecond(): number {
    this.#roll(this.#now());
    return this.#lastBitsPerSecond;
  }

  #roll(now: number): void {
    const elapsed = now - this.#windowStart;
    if (elapsed < WINDOW_MS) return;
    // A window that ended more than one window ago means nothing arrived since: the rate is 0.
    this.#lastBitsPerSecond = elapsed < 2 * WINDOW_MS ? Math.round((this.#bytes * 8 * 1000) / elapsed) : 0;
    this.#bytes = 0;
    this.#windowStart = now;
  }
}

/** The payload bytes of a frame. */
export function frameBytes(payloads: readonly Buffer[]): number {
  let n = 0;
  for (const p of payloads) n += p.length;
  return n;
}
