/**
 * One outbound track's RTP sequence numbers and timestamps. A viewer's stream must look like one
 * unbroken RTP stream to the browser for as long as the peer connection lives, although the camera
 * session behind it restarts (new random sequence and timestamp base each time). Pure: time comes in
 * with the frame (`receivedAt`), so tests drive it without a clock.
 */
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
   * Outbound timestamp of a frame sent `elapsedMs` after the previous one, whatever its camera
   * timestamp says (at least one tick later; the first frame gets the initial timestamp). For frames
   * sent out of their camera time (a replayed GOP and the live frames queued behind it), so that
   * timestamps follow the arrival times at the browser; later frames keep the camera spacing from
   * this one on.
   */
  rebaseAfter(frame: TimedFrame, elapsedMs: number): number {
    if (this.#generation === undefined) {
      this.#offset = this.#lastOut - frame.timestamp;
    } else {
      const ticks = Math.max(1, Math.round((Math.max(0, elapsedMs) * this.#clockRate) / 1000));
      this.#offset = this.#lastOut + ticks - frame.timestamp;
    }
    this.#generation = frame.generation;
    this.#lastReceivedAt = frame.receivedAt;
    this.#lastOut = (frame.timestamp + this.#offset) >>> 0;
    return this.#lastOut;
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
