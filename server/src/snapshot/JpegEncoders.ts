/**
 * The ffmpeg processes snapshots use: at most `maxBusy` encoding at once (the others wait their
 * turn, up to a deadline), and a spare process per recently asked width, started after a snapshot
 * so the next one (Home Assistant polls every few seconds) skips ffmpeg's start-up. A spare nobody
 * uses for SPARE_IDLE_MS is ended: a server whose snapshots nobody asks for runs no ffmpeg.
 */
import { CamrtcError } from '../errors.js';
import { JpegJob } from './JpegJob.js';

export const MAX_BUSY_ENCODERS = 2;
export const MAX_SPARE_ENCODERS = 2;
export const SPARE_IDLE_MS = 60_000;
/** Snapshots waiting for an encoder beyond which the next is refused at once (ERR_TIMEOUT). */
export const MAX_WAITING = 32;

interface Spare {
  readonly job: JpegJob;
  readonly timer: NodeJS.Timeout;
}

export interface JpegEncodersOptions {
  maxBusy?: number;
  /** 0: no spares (every snapshot starts its ffmpeg). */
  maxSpares?: number;
  spareIdleMs?: number;
}

export class JpegEncoders {
  readonly #maxBusy: number;
  readonly #maxSpares: number;
  readonly #spareIdleMs: number;
  #busy = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #running = new Set<JpegJob>();
  /** By width (`undefined`: the picture's own size), the most recently used last. */
  readonly #spares = new Map<number | undefined, Spare>();
  #closed = false;

  constructor(options: JpegEncodersOptions = {}) {
    this.#maxBusy = options.maxBusy ?? MAX_BUSY_ENCODERS;
    this.#maxSpares = options.maxSpares ?? MAX_SPARE_ENCODERS;
    this.#spareIdleMs = options.spareIdleMs ?? SPARE_IDLE_MS;
  }

  /** Encoders running a job now. */
  get busy(): number {
    return this.#busy;
  }
  /** Spare processes waiting. */
  get spares(): number {
    return this.#spares.size;
  }

  /**
   * The JPEG of the stream's last picture, and how long ffmpeg took (ms, the wait for an encoder
   * apart). Waits for a free encoder until `deadline` (performance.now(), ERR_TIMEOUT past it), then
   * gives ffmpeg what is left of the time.
   */
  async encode(ffmpeg: string, ts: Buffer, width: number | undefined, deadline: number): Promise<{ jpeg: Buffer; runMs: number }> {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', 'the server is shutting down');
    await this.#turn(deadline);
    try {
      if (this.#closed) throw new CamrtcError('ERR_CLOSED', 'the server is shutting down');
      const job = this.#takeSpare(ffmpeg, width) ?? new JpegJob(ffmpeg, width);
      this.#running.add(job);
      const started = performance.now();
      try {
        const jpeg = await job.run(ts, Math.max(1, deadline - performance.now()));
        return { jpeg, runMs: performance.now() - started };
      } finally {
        this.#running.delete(job);
      }
    } finally {
      this.#busy--;
      this.#waiting.shift()?.();
      this.#keepSpare(ffmpeg, width);
    }
  }

  /** Ends every ffmpeg: spares, and runs under way (their snapshots fail). */
  close(): void {
    this.#closed = true;
    for (const job of this.#running) job.kill();
    for (const spare of this.#spares.values()) this.#discard(spare);
    this.#spares.clear();
  }

  async #turn(deadline: number): Promise<void> {
    if (this.#busy < this.#maxBusy) {
      this.#busy++;
      return;
    }
    if (this.#waiting.length >= MAX_WAITING) throw new CamrtcError('ERR_TIMEOUT', `${MAX_WAITING} snapshots are already waiting for an encoder: try again`);
    await new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#busy++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(wake);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new CamrtcError('ERR_TIMEOUT', `every snapshot encoder (${this.#maxBusy}) stayed busy: try again`));
      }, Math.max(0, deadline - performance.now()));
      this.#waiting.push(wake);
    });
  }

  #takeSpare(ffmpeg: string, width: number | undefined): JpegJob | undefined {
    const spare = this.#spares.get(width);
    if (!spare) return undefined;
    this.#spares.delete(width);
    clearTimeout(spare.timer);
    if (spare.job.ready && spare.job.ffmpeg === ffmpeg) return spare.job;
    spare.job.kill();
    return undefined;
  }

  #keepSpare(ffmpeg: string, width: number | undefined): void {
    if (this.#closed || this.#maxSpares === 0 || this.#spares.has(width)) return;
    if (this.#spares.size >= this.#maxSpares) {
      // The width asked least recently gives its place.
      const [oldest] = this.#spares.keys();
      this.#discard(this.#spares.get(oldest)!);
      this.#spares.delete(oldest);
    }
    const job = new JpegJob(ffmpeg, width);
    const timer = setTimeout(() => {
      if (this.#spares.get(width)?.job === job) this.#spares.delete(width);
      job.kill();
    }, this.#spareIdleMs);
    timer.unref();
    this.#spares.set(width, { job, timer });
  }

  #discard(spare: Spare): void {
    clearTimeout(spare.timer);
    spare.job.kill();
  }
}
