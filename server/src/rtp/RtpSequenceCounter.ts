/**
 * Counts received, lost and reordered RTP packets of one stream from their 16-bit sequence numbers
 * (RFC 3550 appendix A.1, without probation): the numbers are unwrapped to a 64-bit-safe extended
 * sequence, `lost` is expected minus received (a late packet that fills a gap takes its loss back),
 * and a jump larger than MAX_DROPOUT, or a step back larger than MAX_MISORDER, is taken as the
 * camera restarting its sequence rather than as thousands of losses. Pure: no clock, no I/O.
 */

/** A forward jump beyond this is a restart, not loss (RFC 3550 A.1). */
export const MAX_DROPOUT = 3000;
/** A step back beyond this is a restart, not a late packet (RFC 3550 A.1). */
export const MAX_MISORDER = 100;

export interface RtpSequenceStats {
  /** Packets pushed, duplicates included. */
  readonly received: number;
  /** Packets never received: expected minus received, never negative. */
  readonly lost: number;
  /** Packets that arrived after a later one (late or duplicated). */
  readonly reordered: number;
  /** Sequence restarts (camera restarted its stream, or a new SSRC). */
  readonly restarts: number;
}

export class RtpSequenceCounter {
  private started = false;
  /** Extended sequence number of the first packet of the current run. */
  private base = 0;
  /** Highest extended sequence number seen in the current run. */
  private highest = 0;
  /** Packets received in the current run. */
  private runReceived = 0;
  /** Loss, and packets expected, of the runs before a restart. */
  private priorLost = 0;
  private priorExpected = 0;
  private totalReceived = 0;
  private totalReordered = 0;
  private totalRestarts = 0;

  /** Feeds the sequence number of one packet. Returns the kind of packet it was. */
  push(sequenceNumber: number): 'in-order' | 'late' | 'restart' {
    const seq = sequenceNumber & 0xffff;
    this.totalReceived++;
    if (!this.started) {
      this.started = true;
      this.startRun(seq);
      return 'in-order';
    }
    // Signed distance from the highest number seen, in -32768..32767.
    const delta = ((seq - (this.highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    if (delta > 0 && delta <= MAX_DROPOUT) {
      this.highest += delta;
      this.runReceived++;
      return 'in-order';
    }
    if (delta <= 0 && delta >= -MAX_MISORDER) {
      this.runReceived++;
      this.totalReordered++;
      return 'late';
    }
    this.priorLost += this.runLost();
    this.priorExpected += this.highest - this.base + 1;
    this.totalRestarts++;
    this.startRun(seq);
    return 'restart';
  }

  get stats(): RtpSequenceStats {
    return {
      received: this.totalReceived,
      lost: this.priorLost + this.runLost(),
      reordered: this.totalReordered,
      restarts: this.totalRestarts,
    };
  }

  /** Highest sequence number of the current run, extended past wraps; undefined before any packet. */
  get extendedHighest(): number | undefined {
    return this.started ? this.highest : undefined;
  }

  /** Packets expected so far (RFC 3550 A.3: highest − first + 1, summed over restarts). */
  get expected(): number {
    return this.started ? this.priorExpected + this.highest - this.base + 1 : 0;
  }

  private runLost(): number {
    if (!this.started) return 0;
    return Math.max(0, this.highest - this.base + 1 - this.runReceived);
  }

  private startRun(seq: number): void {
    this.base = seq;
    this.highest = seq;
    this.runReceived = 1;
  }
}
