/**
 * Whether a connected camera delivers what a viewer can watch: a camera that answered PLAY but sends
 * no RTP, or only media camrtc cannot decode (broken RTP, FU-A without start, an SSRC that changes on
 * every packet), must not show as live. The feed reports frames and decode errors; the watch says,
 * once per stall, that nothing playable came for `timeoutMs` and why. One coarse timer per feed,
 * nothing per packet (invariant 2).
 */
import { performance } from 'node:perf_hooks';
import { CamrtcError } from '../errors.js';
import type { MediaFrame } from './MediaFrame.js';

export class MediaWatch {
  readonly #timeoutMs: number;
  readonly #onStall: (error: CamrtcError) => void;
  /** Packets the RTSP layer dropped as not RTP, so far in the session (a counter it keeps anyway). */
  readonly #notRtp: () => number;
  #notRtpAtStart = 0;
  /** The medium that makes a picture: video when the camera has a video track, else audio. */
  #wanted: 'video' | 'audio' = 'video';
  #timer: NodeJS.Timeout | undefined;
  /** Start of the current wait: PLAY, or the last playable frame. */
  #since = 0;
  #lastError: CamrtcError | undefined;
  /** RTP of the wanted medium arrived since the wait started (it never made a frame if we stall). */
  #packets = false;
  #stalled = false;
  #closed = false;

  constructor(timeoutMs: number, onStall: (error: CamrtcError) => void, notRtp: () => number = () => 0) {
    this.#timeoutMs = timeoutMs;
    this.#onStall = onStall;
    this.#notRtp = notRtp;
  }

  expect(kind: 'video' | 'audio'): void {
    this.#wanted = kind;
  }

  /** (Re)starts the wait: after PLAY, a resume or a seek. */
  start(): void {
    if (this.#closed) return;
    this.#since = performance.now();
    this.#lastError = undefined;
    this.#packets = false;
    this.#stalled = false;
    this.#notRtpAtStart = this.#notRtp();
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#check(), Math.max(50, Math.min(1000, this.#timeoutMs / 4)));
      this.#timer.unref();
    }
  }

  /** Stops watching (paused, disconnected). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A frame came out of the pipelines; true when it is one a viewer sees (the wanted medium). */
  frame(frame: MediaFrame): boolean {
    if (frame.kind !== this.#wanted) return false;
    this.#since = frame.receivedAt;
    this.#lastError = undefined;
    this.#packets = false;
    this.#stalled = false;
    return true;
  }

  /** An RTP packet of `kind` reached its pipeline. A flag, not a count: this runs per packet. */
  packet(kind: string): void {
    if (kind === this.#wanted) this.#packets = true;
  }

  /** Media was dropped (malformed, undecodable): the reason a stall is reported with. */
  error(error: CamrtcError): void {
    this.#lastError = error;
  }

  close(): void {
    this.#closed = true;
    this.stop();
  }

  #check(): void {
    if (this.#stalled || performance.now() - this.#since < this.#timeoutMs) return;
    this.#stalled = true;
    const seconds = Math.round(this.#timeoutMs / 100) / 10;
    const what = this.#wanted === 'video' ? 'video' : 'audio';
    const notRtp = this.#notRtp() - this.#notRtpAtStart;
    const why =
      this.#lastError?.message ??
      (this.#packets ? `its ${what} RTP packets never form a complete picture` : notRtp > 0 ? `${notRtp} packets that are not RTP` : undefined);
    this.#onStall(
      why !== undefined
        ? new CamrtcError('ERR_MEDIA_UNDECODABLE', `no ${what} for ${seconds} s: the camera sends media camrtc cannot decode (${why})`, { cause: this.#lastError?.code })
        : new CamrtcError('ERR_NO_MEDIA', `no ${what} for ${seconds} s: the camera answered PLAY but sends no ${what}`),
    );
  }
}
