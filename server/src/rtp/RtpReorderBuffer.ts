/**
 * Puts RTP packets that arrive out of order (UDP from a camera) back in sequence order before they
 * reach a depacketizer, which would otherwise drop the whole picture and freeze viewers until the
 * next keyframe. No timers (the packet path never waits on a clock): a gap is waited for only while
 * fewer than `window` later packets have arrived; then it is declared lost and the held packets
 * go out. In-order traffic passes straight through without being held or copied.
 */

/** Packets held while waiting for a missing one; beyond this the gap counts as loss. */
export const DEFAULT_REORDER_WINDOW = 32;
/** A jump larger than this (either way) is a restarted stream, not reordering. */
const RESTART_DISTANCE = 3000;

export interface ReorderStats {
  /** Packets that arrived out of order and were put back in place. */
  reordered: number;
  /** Packets that arrived after their place had already been given up (or duplicates): dropped. */
  late: number;
  /** Packets never received (gaps given up on). */
  lost: number;
}

export class RtpReorderBuffer {
  private expected: number | undefined;
  private ssrc: number | undefined;
  private readonly held = new Map<number, Buffer>();
  readonly stats: ReorderStats = { reordered: 0, late: 0, lost: 0 };

  constructor(private readonly window = DEFAULT_REORDER_WINDOW) {}

  /** Packets held waiting for a gap to fill. Always below the window. */
  get pending(): number {
    return this.held.size;
  }

  /** Feeds one RTP packet (at least 12 bytes, checked by the caller); in-order packets go to `out` now. */
  push(packet: Buffer, out: (packet: Buffer) => void): void {
    const seq = packet.readUInt16BE(2);
    const ssrc = packet.readUInt32BE(8);
    if (this.expected === undefined || ssrc !== this.ssrc) {
      this.flushAll(out);
      this.ssrc = ssrc;
      this.expected = (seq + 1) & 0xffff;
      out(packet);
      return;
    }
    const ahead = (seq - this.expected) & 0xffff;
    if (ahead === 0) {
      this.expected = (seq + 1) & 0xffff;
      out(packet);
      if (this.held.size) this.drain(out, true);
      return;
    }
    if (ahead >= 0x8000) {
      const behind = 0x10000 - ahead;
      if (behind > RESTART_DISTANCE) return this.restart(packet, seq, out);
      this.stats.late++;
      return;
    }
    if (ahead > RESTART_DISTANCE) return this.restart(packet, seq, out);
    if (this.held.has(seq)) {
      this.stats.late++;
      return;
    }
    this.held.set(seq, packet);
    if (this.held.size >= this.window) this.skipGap(out);
  }

  /** Sends what is held (in order) and forgets the position, e.g. before a new session. */
  reset(out?: (packet: Buffer) => void): void {
    if (out) this.flushAll(out);
    this.held.clear();
    this.expected = undefined;
    this.ssrc = undefined;
  }

  /** Sends the held packets that now follow on without a gap. */
  private drain(out: (packet: Buffer) => void, filledGap: boolean): void {
    for (let p = this.held.get(this.expected!); p; p = this.held.get(this.expected!)) {
      this.held.delete(this.expected!);
      if (filledGap) this.stats.reordered++;
      this.expected = (this.expected! + 1) & 0xffff;
      out(p);
    }
  }

  /** The missing packet is not coming: jump to the oldest held one. */
  private skipGap(out: (packet: Buffer) => void): void {
    let nearest = 0x10000;
    for (const seq of this.held.keys()) nearest = Math.min(nearest, (seq - this.expected!) & 0xffff);
    this.stats.lost += nearest;
    this.expected = (this.expected! + nearest) & 0xffff;
    this.drain(out, false);
  }

  private restart(packet: Buffer, seq: number, out: (packet: Buffer) => void): void {
    this.flushAll(out);
    this.expected = (seq + 1) & 0xffff;
    out(packet);
  }

  private flushAll(out: (packet: Buffer) => void): void {
    while (this.held.size) this.skipGap(out);
  }
}
