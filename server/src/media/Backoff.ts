/**
 * Reconnect delays: exponential from 0.5 s up to 30 s with full jitter, reset once a connection has
 * stayed healthy for a minute. Pure: the caller owns the timer and passes the clock.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A connection that lasted this long resets the delay to initialMs. */
  healthyMs?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly healthyMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.healthyMs = options.healthyMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt. Jitter keeps many cameras behind one NVR from retrying in lockstep. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** Called when a connection ends: if it was up long enough, start again from the shortest delay. */
  connectionEnded(upForMs: number): void {
    if (upForMs >= this.healthyMs) this.attempt = 0;
  }

  reset(): void {
    this.attempt = 0;
  }
}
