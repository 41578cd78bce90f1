import type { MountTrack, TrackMedia } from '../rtsp/server/Mount.js';

/**
 * A live RTP elementary stream the demo camera (DemoCamera.ts) serves as one RTSP track: it keeps
 * its own timeline running from start() like a real camera, whoever listens.
 */
export interface RtpStreamSource extends MountTrack {
  readonly media: TrackMedia;
  /** Complete RTP packets (12-byte header + payload), one new Buffer each, owned by the listeners. */
  on(event: 'packet', listener: (rtp: Buffer) => void): this;
  off(event: 'packet', listener: (rtp: Buffer) => void): this;
  /** Sequence number of the next packet, for the RTP-Info header of a PLAY answer. */
  readonly nextSequenceNumber: number;
  /** RTP timestamp the next packet will carry, for RTP-Info `rtptime`. */
  readonly currentTimestamp: number;
  readonly ssrc: number;
  /** Idempotent; begins real-time pacing. */
  start(): void;
  /** Idempotent; clears timers. */
  close(): void;
  readonly closed: boolean;
  /** Ask for an IDR as soon as possible (a real camera honouring PLI). */
  requestKeyframe?(): void;
}

/** Time and timers, injectable so tests drive pacing without waiting. Times in milliseconds. */
export interface StreamClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: StreamClock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    // A forgotten stream must not keep the process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Behind by more than this (a stopped debugger, a suspended laptop): restart the schedule now. */
export const MAX_PACER_LAG_MS = 1000;

/**
 * Calls `onTick(index)` every `periodMs`, index 0, 1, 2, ... Drift-free: each tick's due time is
 * computed from the start time, with one pending timer. After a long stall it does not burst the
 * missed ticks: the schedule restarts from now (the stream's timestamps stay continuous).
 */
export class FramePacer {
  private startTime = 0;
  private index = 0;
  private timer: unknown;
  private running = false;
  private isClosed = false;

  constructor(
    private readonly clock: StreamClock,
    private readonly periodMs: number,
    private readonly onTick: (index: number) => void,
  ) {
    if (!(periodMs > 0)) throw new RangeError('periodMs must be positive');
  }

  /** Index of the next tick. */
  get nextIndex(): number {
    return this.index;
  }
  get closed(): boolean {
    return this.isClosed;
  }

  start(): void {
    if (this.running || this.isClosed) return;
    this.running = true;
    this.startTime = this.clock.now();
    // First tick from a timer too, so listeners never run inside start().
    this.timer = this.clock.setTimeout(this.run, 0);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private due(index: number): number {
    return this.startTime + index * this.periodMs;
  }

  private run = (): void => {
    this.timer = undefined;
    if (this.isClosed) return;
    const now = this.clock.now();
    if (now - this.due(this.index) > MAX_PACER_LAG_MS) this.startTime = now - this.index * this.periodMs;
    while (!this.isClosed && this.due(this.index) <= now) {
      const index = this.index++;
      this.onTick(index);
    }
    if (this.isClosed) return;
    this.timer = this.clock.setTimeout(this.run, Math.max(0, Math.ceil(this.due(this.index) - now)));
  };
}
