/**
 * One outbound track's RTP sequence numbers and timestamps. A viewer's stream must look like one
 * unbroken RTP stream to the browser for as long as the peer connection lives, although the camera
 * session behind it restarts (new random sequence and timestamp base each time). Pure: time comes in
 * with the frame (`receivedAt`), so tests drive it without a clock.
 */
/**
 * Clock ticks between frames of a replayed GOP: the browser gets them in a burst and, seeing
 * timestamps this close, decodes them back to back instead of playing them out at camera speed
 * (which would leave it a whole GOP behind live for good).
 */
export const REPLAY_TICKS_PER_FRAME = 1;

/** Just what the timeline needs from a frame. */
export interface TimedFrame {
  readonly timestamp: number;
  readonly generation: number;
  readonly receivedAt: number;
}

export class RtpTimeline {
  readonly #clockRate: number;
  #sequence: number;
  #offset = 0;
  #lastOut: number;
  #lastReceivedAt = 0;
  #generation: number | undefined;

  /** `initialSequence`/`initialTimestamp` should be random (RFC 3550 5.1). */
  constructor(clockRate: number, initialSequence: number, initialTimestamp: number) {
    this.#clockRate = clockRate;
    this.#sequence = initialSequence & 0xffff;
    this.#lastOut = initialTimestamp >>> 0;
  }

  /**
   * Outbound timestamp of a frame with camera timestamp `timestamp`. Within one generation the camera's
   * spacing is kept exactly; when the generation changes, the next timestamp is the last one plus the
   * wall time elapsed between the two frames (at least one tick, so it never repeats).
   */
  rebase(timestamp: number, generation: number, receivedAt: number): number {
    if (this.#generation === undefined) {
      this.#offset = this.#lastOut - timestamp;
    } else if (generation !== this.#generation) {
      const elapsedMs = Math.max(0, receivedAt - this.#lastReceivedAt);
      const ticks = Math.max(1, Math.round((elapsedMs * this.#clockRate) / 1000));
      this.#offset = this.#lastOut + ticks - timestamp;
    }
    this.#generation = generation;
    this.#lastReceivedAt = receivedAt;
    this.#lastOut = (timestamp + this.#offset) >>> 0;
    return this.#lastOut;
  }

  /**
   * Outbound timestamps for cached frames sent back to back (GOP replay), REPLAY_TICKS_PER_FRAME
   * apart and after anything sent before. Later frames then continue from the last replayed one with
   * the camera's own spacing, so the replay costs the live stream no latency.
   */
  replay(frames: readonly TimedFrame[]): number[] {
    if (frames.length === 0) return [];
    const started = this.#generation !== undefined;
    const out: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      out.push((this.#lastOut + (i + (started ? 1 : 0)) * REPLAY_TICKS_PER_FRAME) >>> 0);
    }
    const last = frames[frames.length - 1];
    this.#lastOut = out[out.length - 1];
    this.#offset = this.#lastOut - last.timestamp;
    this.#generation = last.generation;
    this.#lastReceivedAt = last.receivedAt;
    return out;
  }

  /** Sequence number for the next packet; never skips, so the browser sees no loss on a camera restart. */
  nextSequence(): number {
    const seq = this.#sequence;
    this.#sequence = (seq + 1) & 0xffff;
    return seq;
  }

  /** The timestamp last returned by rebase() (the initial one before any frame). */
  get lastTimestamp(): number {
    return this.#lastOut;
  }
}
