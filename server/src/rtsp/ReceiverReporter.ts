/**
 * RTCP receiver-report state for one received stream (RFC 3550 §6.4.2, appendix A.1/A.3). Pure: the
 * caller feeds packets and passes `nowMs`; the session owns the 5 s timer. Some cameras stop
 * streaming when they get no receiver reports, which is the main reason this exists. Jitter is
 * reported as 0: cameras do not adapt to it and computing it would cost a clock read per packet.
 */

import { RTCP_PSFB, RTCP_RR, RTCP_SR } from '../rtp/rtcp.js';
import { buildSdesCname } from '../rtp/senderReport.js';
import { RtpSequenceCounter } from '../rtp/RtpSequenceCounter.js';

const PSFB_PLI = 1;
const PSFB_FIR = 4;

export class ReceiverReporter {
  private mediaSsrc: number | undefined;
  /** Sequence numbers of the camera's current SSRC. */
  private sequence = new RtpSequenceCounter();
  /** Loss of the camera's previous SSRCs (their counters start over). */
  private lostBefore = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  /** Middle 32 bits of the NTP timestamp of the last sender report, and when it arrived. */
  private lastSr = 0;
  private lastSrAtMs: number | undefined;

  constructor(
    /** Our own SSRC as the sender of the reports. */
    readonly ssrc: number,
    private readonly cname: string,
  ) {}

  onRtp(packet: Buffer): void {
    if (packet.length < 12 || packet[0] >> 6 !== 2) return;
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    if (ssrc !== this.mediaSsrc) {
      // New (or first) source: the camera restarted its stream; statistics start over.
      this.mediaSsrc = ssrc;
      this.lostBefore += this.sequence.stats.lost;
      this.sequence = new RtpSequenceCounter();
      this.expectedPrior = 0;
      this.receivedPrior = 0;
    }
    this.sequence.push(seq);
  }

  /** Looks for a sender report in a (compound) RTCP packet. */
  onRtcp(packet: Buffer, nowMs: number): void {
    let off = 0;
    while (off + 4 <= packet.length) {
      if (packet[off] >> 6 !== 2) return;
      const pt = packet[off + 1];
      const len = (packet.readUInt16BE(off + 2) + 1) * 4;
      if (off + len > packet.length) return;
      if (pt === RTCP_SR && len >= 28 && packet.readUInt32BE(off + 4) === this.mediaSsrc) {
        this.lastSr = packet.readUInt32BE(off + 10);
        this.lastSrAtMs = nowMs;
      }
      off += len;
    }
  }

  /** Packets never received (sequence gaps), over every SSRC of the stream so far. */
  get packetsLost(): number {
    return this.lostBefore + this.sequence.stats.lost;
  }

  /** The extended highest sequence number received, or undefined before the first packet. */
  get extendedHighestSeq(): number | undefined {
    return this.sequence.extendedHighest;
  }

  /**
   * A keyframe request for the camera: RR + SDES + PLI (RFC 4585) + FIR (RFC 5104), in one compound
   * packet (feedback must follow a report). Some cameras honour only one of the two. Undefined until
   * the camera's SSRC is known.
   */
  buildKeyframeRequest(nowMs: number): Buffer | undefined {
    if (this.mediaSsrc === undefined) return undefined;
    const pli = Buffer.alloc(12);
    pli[0] = 0x80 | PSFB_PLI;
    pli[1] = RTCP_PSFB;
    pli.writeUInt16BE(2, 2);
    pli.writeUInt32BE(this.ssrc, 4);
    pli.writeUInt32BE(this.mediaSsrc, 8);
    const fir = Buffer.alloc(20);
    fir[0] = 0x80 | PSFB_FIR;
    fir[1] = RTCP_PSFB;
    fir.writeUInt16BE(4, 2);
    fir.writeUInt32BE(this.ssrc, 4);
    // media source SSRC field is 0 for FIR; the FCI names the target
    fir.writeUInt32BE(this.mediaSsrc, 12);
    fir[16] = this.firSequence = (this.firSequence + 1) & 0xff;
    return Buffer.concat([this.build(nowMs), pli, fir]);
  }

  private firSequence = 0;

  /** A compound RTCP packet: RR (with a report block once a packet was received) + SDES CNAME. */
  build(nowMs: number): Buffer {
    const rr = this.buildRr(nowMs);
    return Buffer.concat([rr, this.buildSdes()]);
  }

  private buildRr(nowMs: number): Buffer {
    const hasBlock = this.mediaSsrc !== undefined;
    const out = Buffer.alloc(hasBlock ? 32 : 8);
    out[0] = 0x80 | (hasBlock ? 1 : 0);
    out[1] = RTCP_RR;
    out.writeUInt16BE(out.length / 4 - 1, 2);
    out.writeUInt32BE(this.ssrc >>> 0, 4);
    if (!hasBlock) return out;
    const extMax = this.sequence.extendedHighest ?? 0;
    const expected = this.sequence.expected;
    const received = this.sequence.stats.received;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - received));
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = received - this.receivedPrior;
    const lostInterval = expectedInterval - receivedInterval;
    this.expectedPrior = expected;
    this.receivedPrior = received;
    const fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    out.writeUInt32BE(this.mediaSsrc! >>> 0, 8);
    out[12] = fraction;
    out.writeUIntBE(lost & 0xffffff, 13, 3);
    out.writeUInt32BE(extMax >>> 0, 16);
    out.writeUInt32BE(0, 20); // jitter
    out.writeUInt32BE(this.lastSr >>> 0, 24);
    const dlsr = this.lastSrAtMs === undefined ? 0 : Math.min(0xffffffff, Math.round(((nowMs - this.lastSrAtMs) / 1000) * 65536));
    out.writeUInt32BE(dlsr >>> 0, 28);
    return out;
  }

  private buildSdes(): Buffer {
    return buildSdesCname(this.ssrc, this.cname);
  }
}
