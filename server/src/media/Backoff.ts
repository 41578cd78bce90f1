/**
 * Reconnect delays: exponential from 0.5 s up to 30 s with full jitter, reset once a connection has
 * stayed healthy for a minute. After a connection that was up a while drops (camera reboot, network
 * blip), the first retries stay short (at most fastMaxMs) so viewers see the picture again within
 * about a second of the camera answering. Pure: the caller owns the timer and passes the clock.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A connection that lasted this long resets the delay to initialMs. */
  healthyMs?: number;
  /** A connection that lasted this long is followed by `fastRetries` retries of at most `fastMaxMs`. */
  fastAfterUpMs?: number;
  fastRetries?: number;
  fastMaxMs?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private fastLeft = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly healthyMs: number;
  private readonly fastAfterUpMs: number;
  private readonly fastRetries: number;
  private readonly fastMaxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.healthyMs = options.healthyMs ?? 60_000;
    this.fastAfterUpMs = options.fastAfterUpMs ?? 5_000;
    // 30 retries of 0.5-1 s: a camera reboot (typically 20-40 s) is caught within a second.
    this.fastRetries = options.fastRetries ?? 30;
    this.fastMaxMs = options.fastMaxMs ?? 1_000;
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt. Jitter keeps many cameras behind one NVR from retrying in lockstep. */
  next(): number {
    let ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    if (this.fastLeft > 0) {
      this.fastLeft--;
      ceiling = Math.min(ceiling, this.fastMaxMs);
    }
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** Called when a connection ends: if it was up long enough, start again from the shortest delay. */
  connectionEnded(upForMs: number): void {
    if (upForMs >= this.healthyMs) this.attempt = 0;
    // A camera that streamed for a while and dropped is probably coming back soon; one that drops
    // right after connecting (flapping) gets the plain exponential delays.
    this.fastLeft = upForMs >= this.fastAfterUpMs ? this.fastRetries : 0;
  }

  reset(): void {
    this.attempt = 0;
    this.fastLeft = 0;
  }
}
