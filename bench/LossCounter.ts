/**
 * Packets lost at a receiver, from RTP sequence numbers: expected (highest extended sequence number
 * minus the first, plus one) minus distinct packets received, so a retransmission that fills a gap
 * (NACK) counts as received and a duplicate never hides a loss. Pure; no timers.
 */
const SEQ_MOD = 65536;
const HALF = 32768;

export class LossCounter {
  #first = -1;
  #highest = -1;
  #distinct = 0;
  /** Seen marks for the sequence numbers within half a cycle of the highest. */
  readonly #seen = new Uint8Array(SEQ_MOD);

  /** Counts one received packet. */
  add(seq: number): void {
    if (this.#first < 0) {
      this.#first = seq;
      this.#highest = seq;
      this.#seen[seq] = 1;
      this.#distinct = 1;
      return;
    }
    const top = this.#highest & 0xffff;
    const delta = ((seq - top + SEQ_MOD + HALF) % SEQ_MOD) - HALF;
    if (delta > 0) {
      // Forget the marks that fall out of the window so the numbers can be seen again next cycle.
      for (let i = 1; i <= Math.min(delta, HALF); i++) this.#seen[(top + i + HALF) & 0xffff] = 0;
      this.#highest += delta;
    } else if (delta <= -HALF + 1) {
      return; // too old to place
    }
    if (this.#seen[seq]) return;
    this.#seen[seq] = 1;
    this.#distinct++;
  }

  get expected(): number {
    return this.#first < 0 ? 0 : this.#highest - this.#first + 1;
  }

  get received(): number {
    return this.#distinct;
  }

  get lost(): number {
    return Math.max(0, this.expected - this.#distinct);
  }
}
