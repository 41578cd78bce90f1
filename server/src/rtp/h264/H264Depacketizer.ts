import { CamrtcError } from '../../errors.js';
import type { RtpPacket } from '../RtpPacket.js';
import { hasStartCode, splitAnnexB } from './annexb.js';
import { NaluType, isPrefixNaluType, isVclNaluType } from './nal.js';

/** Largest access unit accepted (ARCHITECTURE invariant 3); bigger ones are dropped with ERR_LIMIT. */
export const MAX_ACCESS_UNIT_SIZE = 8 * 1024 * 1024;
/** Cameras that slice a picture finely send tens of NALUs per frame; hundreds is an attack or a bug. */
export const MAX_NALUS_PER_ACCESS_UNIT = 256;
/** FU-A fragments of one NALU; bounds the fragment list even when fragments are empty. */
export const MAX_FU_A_FRAGMENTS = 8192;
/** Parameter sets held between two slices of one timestamp (a handful in practice). */
const MAX_PENDING_PREFIX = 16;
/** Results that completed in one push() and wait for next(); beyond it the oldest is dropped. */
const MAX_READY = 8;

/** One picture's NAL units (without start codes), in decoding order. */
export interface H264AccessUnit {
  /** RTP timestamp (90 kHz) of the picture. */
  timestamp: number;
  nalus: Buffer[];
  /** Contains an IDR slice. */
  keyframe: boolean;
}

export interface H264DepacketizerStats {
  /** Packets missing according to sequence numbers. */
  lostPackets: number;
  /** Access units dropped because of loss, malformed payloads or limits. */
  droppedAccessUnits: number;
}

/**
 * Turns RTP packets (RFC 6184, packetization-mode 0 or 1) into access units, without a jitter
 * buffer: late or duplicate packets are dropped, a sequence gap drops the access unit it falls in.
 *
 * An access unit ends on the marker bit (in the same push() call) or when the timestamp changes,
 * but only once it holds a slice: cameras that set the marker on SPS/PPS (Tapo, Reolink) or send
 * SPS/PPS with another timestamp than the IDR get them kept in front of the next picture.
 *
 * NALUs are views into the packets' buffers where possible (single NALU, STAP-A): hand over packet
 * buffers that are not reused afterwards. Never throws on input data.
 */
export class H264Depacketizer {
  private nalus: Buffer[] = [];
  private size = 0;
  private timestamp = 0;
  private hasVcl = false;
  private keyframe = false;
  /**
   * SPS/PPS/AUD seen after a slice of the current picture, not yet placed: they start the next
   * access unit (cameras that send parameter sets with the previous picture's timestamp), unless the
   * next slice continues the same picture (encoders that repeat SPS/PPS before every slice of a
   * multi-slice IDR, like x264 with sliced threads behind rtph264pay config-interval=-1).
   */
  private pendingPrefix: Buffer[] = [];

  private fuActive = false;
  private fuParts: Buffer[] = [];
  private fuSize = 0;
  private fuHeader = 0;

  private lastSeq = -1;
  /** Timestamp of an access unit being dropped: its remaining packets are ignored. */
  private brokenTimestamp: number | undefined;
  private readonly ready: Array<H264AccessUnit | CamrtcError> = [];
  private readonly counters: H264DepacketizerStats = { lostPackets: 0, droppedAccessUnits: 0 };

  get stats(): Readonly<H264DepacketizerStats> {
    return this.counters;
  }

  /**
   * Feeds one packet. Returns the access unit it completed, an error describing what was dropped,
   * or null. In rare cases one packet completes two results (an access unit ended by a timestamp
   * change, then a one-packet access unit with the marker): call next() until it returns null to
   * get the rest; results not taken are returned by later calls, in order.
   */
  push(pkt: RtpPacket): H264AccessUnit | CamrtcError | null {
    this.consume(pkt);
    return this.next();
  }

  /** The next result completed by an earlier push() and not yet returned, or null. */
  next(): H264AccessUnit | CamrtcError | null {
    return this.ready.shift() ?? null;
  }

  /** Forgets everything (a new RTSP session: sequence numbers restart). */
  reset(): void {
    this.discardAu();
    this.lastSeq = -1;
    this.brokenTimestamp = undefined;
    this.ready.length = 0;
  }

  private consume(pkt: RtpPacket): void {
    const seq = pkt.sequenceNumber;
    if (this.lastSeq >= 0) {
      const diff = (seq - this.lastSeq) & 0xffff;
      // Duplicate or late (reordered) packet: without a jitter buffer it is already too late.
      if (diff === 0 || diff >= 0x8000) return;
      if (diff > 1) {
        this.lastSeq = seq;
        const lost = diff - 1;
        this.counters.lostPackets += lost;
        // The lost packets may end the current access unit or start the one this packet is in,
        // so both are dropped: a forwarder must not hand a decoder a picture with holes.
        this.dropAu(pkt.timestamp, new CamrtcError('ERR_PARSE_H264', `${lost} RTP packet(s) lost: access unit dropped`, { reason: 'packet-loss', lost }));
        this.endBrokenOnMarker(pkt);
        return;
      }
    }
    this.lastSeq = seq;

    if (this.brokenTimestamp !== undefined) {
      if (pkt.timestamp === this.brokenTimestamp) {
        this.endBrokenOnMarker(pkt);
        return;
      }
      this.brokenTimestamp = undefined;
    }

    const payload = pkt.payload;
    if (payload.length === 0) return;

    if ((this.nalus.length > 0 || this.fuActive) && pkt.timestamp !== this.timestamp) {
      if (this.fuActive) {
        this.dropAu(this.timestamp, fragmentWithoutEnd());
        this.brokenTimestamp = undefined; // the dropped unit had the old timestamp; this packet is fine
      } else if (this.hasVcl) {
        this.finishAu();
      }
    }
    // Prefix NALUs carried over from another timestamp take the picture's timestamp.
    this.timestamp = pkt.timestamp;

    const type = payload[0] & 0x1f;
    if (this.fuActive && !(type === NaluType.FuA && (payload.length < 2 || (payload[1] & 0x80) === 0))) {
      // Anything but the next fragment while a NALU is unfinished: that NALU lost its end.
      this.dropAu(this.timestamp, fragmentWithoutEnd());
    } else if (type === NaluType.FuA) {
      this.consumeFuA(payload);
    } else if (type === NaluType.StapA) {
      this.consumeStapA(payload);
    } else if (type >= 1 && type <= 23) {
      // Some cameras put several start-code-separated NALUs in one "single NALU" packet.
      if (payload.length > 3 && hasStartCode(payload)) this.addAll(splitAnnexB(payload));
      else this.addNalu(payload);
    } else if (type === 0 && hasStartCode(payload)) {
      this.addAll(splitAnnexB(payload));
    } else {
      this.dropAu(this.timestamp, new CamrtcError('ERR_PARSE_H264', `unsupported H.264 RTP payload type ${type}`, { reason: 'payload-type', type }));
    }

    if (this.brokenTimestamp !== undefined) this.endBrokenOnMarker(pkt);
    else if (pkt.marker && !this.fuActive && this.hasVcl) this.finishAu();
  }

  private consumeStapA(payload: Buffer): void {
    // Validate the whole aggregate before adding any of it: a truncated one is dropped entirely.
    const parts: Buffer[] = [];
    let off = 1;
    while (off < payload.length) {
      if (off + 2 > payload.length) return this.badPayload('STAP-A truncated in a NALU size');
      const size = payload.readUInt16BE(off);
      off += 2;
      if (size === 0) break; // zero padding after the last NALU
      if (off + size > payload.length) return this.badPayload('STAP-A NALU runs past the end of the packet');
      parts.push(payload.subarray(off, off + size));
      off += size;
    }
    this.addAll(parts);
  }

  private consumeFuA(payload: Buffer): void {
    if (payload.length < 2) return this.badPayload('FU-A packet too short');
    const fuh = payload[1];
    const start = (fuh & 0x80) !== 0;
    const end = (fuh & 0x40) !== 0;
    const data = payload.subarray(2);
    if (start) {
      const header = (payload[0] & 0xe0) | (fuh & 0x1f);
      if (end) {
        // Start and end in one packet (issue gortsplib/649, CostarHD): a whole NALU.
        const nalu = Buffer.allocUnsafe(1 + data.length);
        nalu[0] = header;
        data.copy(nalu, 1);
        this.addNalu(nalu);
        return;
      }
      this.fuActive = true;
      this.fuHeader = header;
      this.fuParts = [data];
      this.fuSize = 1 + data.length;
      this.checkFragmentLimits();
      return;
    }
    // A continuation without its start (joined mid-NALU, or after a loss already reported).
    if (!this.fuActive) return;
    this.fuParts.push(data);
    this.fuSize += data.length;
    if (!this.checkFragmentLimits()) return;
    if (end) {
      const nalu = Buffer.allocUnsafe(this.fuSize);
      nalu[0] = this.fuHeader;
      let off = 1;
      for (const part of this.fuParts) off += part.copy(nalu, off);
      this.clearFragment();
      this.addNalu(nalu);
    }
  }

  private checkFragmentLimits(): boolean {
    if (this.size + this.fuSize > MAX_ACCESS_UNIT_SIZE || this.fuParts.length > MAX_FU_A_FRAGMENTS) {
      this.dropAu(this.timestamp, new CamrtcError('ERR_LIMIT', 'H.264 access unit exceeds the size limit', { reason: 'limit', limit: MAX_ACCESS_UNIT_SIZE }));
      return false;
    }
    return true;
  }

  private addAll(nalus: readonly Buffer[]): void {
    for (const nalu of nalus) if (!this.addNalu(nalu)) return;
  }

  private addNalu(nalu: Buffer): boolean {
    if (nalu.length === 0) return true;
    const type = nalu[0] & 0x1f;
    // H.264 7.4.1.2.3: an SPS, PPS or AUD after a slice may begin the next access unit; which one
    // it belongs to is known at the next slice (see pendingPrefix).
    // Once something is held, every non-slice NALU (SEI...) queues behind it to keep the order.
    if (this.hasVcl && (type === NaluType.Sps || type === NaluType.Pps || type === NaluType.Aud || (this.pendingPrefix.length > 0 && !isVclNaluType(type)))) {
      if (this.pendingPrefix.length >= MAX_PENDING_PREFIX) this.pendingPrefix.shift();
      this.pendingPrefix.push(nalu);
      return true;
    }
    if (this.pendingPrefix.length > 0 && isVclNaluType(type)) {
      // first_mb_in_slice is the first ue(v) of the slice header: 0 (a '1' bit) starts a new picture.
      const newPicture = nalu.length < 2 || (nalu[1] & 0x80) !== 0;
      if (newPicture) this.finishAu();
      else this.takePendingPrefix();
    }
    if (this.nalus.length >= MAX_NALUS_PER_ACCESS_UNIT) {
      this.dropAu(this.timestamp, new CamrtcError('ERR_LIMIT', `H.264 access unit has more than ${MAX_NALUS_PER_ACCESS_UNIT} NAL units`, { reason: 'limit', limit: MAX_NALUS_PER_ACCESS_UNIT }));
      return false;
    }
    if (this.size + nalu.length > MAX_ACCESS_UNIT_SIZE) {
      this.dropAu(this.timestamp, new CamrtcError('ERR_LIMIT', 'H.264 access unit exceeds the size limit', { reason: 'limit', limit: MAX_ACCESS_UNIT_SIZE }));
      return false;
    }
    this.nalus.push(nalu);
    this.size += nalu.length;
    if (isVclNaluType(type)) this.hasVcl = true;
    if (type === NaluType.IdrSlice) this.keyframe = true;
    return true;
  }

  private finishAu(): void {
    this.queue({ timestamp: this.timestamp, nalus: this.nalus, keyframe: this.keyframe });
    this.nalus = [];
    this.size = 0;
    this.hasVcl = false;
    this.keyframe = false;
    // Parameter sets held back after the finished picture open the next one.
    this.takePendingPrefix();
  }

  private takePendingPrefix(): void {
    for (const nalu of this.pendingPrefix) {
      this.nalus.push(nalu);
      this.size += nalu.length;
    }
    this.pendingPrefix = [];
  }

  /** A malformed payload spoils its access unit like a lost packet would. */
  private badPayload(message: string): void {
    this.dropAu(this.timestamp, new CamrtcError('ERR_PARSE_H264', message, { reason: 'malformed' }));
  }

  /** Drops what is buffered, ignores further packets of `timestamp`, and reports `error`. */
  private dropAu(timestamp: number, error: CamrtcError): void {
    if (this.nalus.length > 0 || this.fuActive) this.counters.droppedAccessUnits++;
    this.discardAu();
    this.brokenTimestamp = timestamp;
    this.queue(error);
  }

  /** A marker on a slice packet ends the dropped access unit even if the timestamp stays. */
  private endBrokenOnMarker(pkt: RtpPacket): void {
    if (pkt.marker && pkt.payload.length > 0 && !isPrefixNaluType(pkt.payload[0] & 0x1f)) this.brokenTimestamp = undefined;
  }

  private discardAu(): void {
    this.pendingPrefix = [];
    this.nalus = [];
    this.size = 0;
    this.hasVcl = false;
    this.keyframe = false;
    this.clearFragment();
  }

  private clearFragment(): void {
    this.fuActive = false;
    this.fuParts = [];
    this.fuSize = 0;
  }

  private queue(item: H264AccessUnit | CamrtcError): void {
    if (this.ready.length >= MAX_READY) this.ready.shift();
    this.ready.push(item);
  }
}

function fragmentWithoutEnd(): CamrtcError {
  return new CamrtcError('ERR_PARSE_H264', 'FU-A NAL unit without its end fragment: access unit dropped', { reason: 'malformed' });
}
