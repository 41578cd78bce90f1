import { CamrtcError } from '../../errors.js';
import type { RtpPacket } from '../RtpPacket.js';
import { hasStartCode, splitAnnexB } from '../h264/annexb.js';
import { H265NaluType, H265_NAL_HEADER_SIZE, h265NaluType, isH265Irap, isH265Prefix, isH265Vcl } from './nal.js';

/** Same bounds as H.264 (ARCHITECTURE invariant 3). */
export const MAX_H265_ACCESS_UNIT_SIZE = 8 * 1024 * 1024;
export const MAX_H265_NALUS_PER_ACCESS_UNIT = 256;
export const MAX_H265_FU_FRAGMENTS = 8192;
const MAX_READY = 8;

/** One H.265 picture's NAL units (no start codes), in decoding order. */
export interface H265AccessUnit {
  timestamp: number;
  nalus: Buffer[];
  /** Contains an IRAP slice (IDR, CRA, BLA). */
  keyframe: boolean;
}

export interface H265DepacketizerOptions {
  /** sprop-max-don-diff > 0: aggregation and fragmentation units carry DONL/DOND fields (RFC 7798 4.4). */
  donl?: boolean;
}

/**
 * RFC 7798 RTP payloads (single NAL unit, AP, FU) to access units, without a jitter buffer, with the
 * same rules as the H.264 depacketizer: a sequence gap drops the access unit it falls in, an access
 * unit ends on the marker bit or a timestamp change once it holds a slice, a marker on parameter
 * sets does not end it. PACI packets are skipped. Never throws on input data.
 */
export class H265Depacketizer {
  private nalus: Buffer[] = [];
  private size = 0;
  private timestamp = 0;
  private hasVcl = false;
  private keyframe = false;
  private fuParts: Buffer[] | undefined;
  private fuHeader: Buffer | undefined;
  private fuSize = 0;
  private lastSeq = -1;
  private brokenTimestamp: number | undefined;
  private readonly ready: Array<H265AccessUnit | CamrtcError> = [];
  private readonly donl: boolean;

  constructor(options: H265DepacketizerOptions = {}) {
    this.donl = options.donl ?? false;
  }

  /** Feeds one packet; returns a completed result or null. Call next() for more (rare). */
  push(pkt: RtpPacket): H265AccessUnit | CamrtcError | null {
    this.consume(pkt);
    return this.next();
  }

  next(): H265AccessUnit | CamrtcError | null {
    return this.ready.shift() ?? null;
  }

  private consume(pkt: RtpPacket): void {
    const seq = pkt.sequenceNumber;
    if (this.lastSeq >= 0) {
      const diff = (seq - this.lastSeq) & 0xffff;
      if (diff === 0 || diff >= 0x8000) return; // duplicate or late
      if (diff > 1) {
        this.lastSeq = seq;
        this.drop(pkt.timestamp, new CamrtcError('ERR_PARSE_H265', `${diff - 1} RTP packet(s) lost: access unit dropped`, { reason: 'packet-loss', lost: diff - 1 }));
        if (pkt.marker) this.brokenTimestamp = undefined;
        return;
      }
    }
    this.lastSeq = seq;
    if (this.brokenTimestamp !== undefined) {
      if (pkt.timestamp === this.brokenTimestamp) {
        if (pkt.marker) this.brokenTimestamp = undefined;
        return;
      }
      this.brokenTimestamp = undefined;
    }
    const payload = pkt.payload;
    if (payload.length < H265_NAL_HEADER_SIZE) return;
    if ((this.nalus.length > 0 || this.fuParts) && pkt.timestamp !== this.timestamp) {
      if (this.fuParts) this.drop(this.timestamp, fragmentWithoutEnd(), false);
      else if (this.hasVcl) this.finish();
    }
    this.timestamp = pkt.timestamp;
    const type = h265NaluType(payload);
    if (this.fuParts && type !== H265NaluType.Fu) {
      this.drop(this.timestamp, fragmentWithoutEnd());
    } else if (type === H265NaluType.Fu) {
      this.consumeFu(payload);
    } else if (type === H265NaluType.Ap) {
      this.consumeAp(payload);
    } else if (type === H265NaluType.Paci) {
      // Payload content information: nothing a browser needs.
    } else if (type > H265NaluType.Paci) {
      this.drop(this.timestamp, new CamrtcError('ERR_PARSE_H265', `unsupported H.265 RTP payload type ${type}`, { reason: 'payload-type', type }));
    } else if (payload.length > 4 && hasStartCode(payload)) {
      this.addAll(splitAnnexB(payload));
    } else {
      this.add(payload);
    }
    if (this.brokenTimestamp !== undefined) {
      if (pkt.marker) this.brokenTimestamp = undefined;
    } else if (pkt.marker && !this.fuParts && this.hasVcl) {
      this.finish();
    }
  }

  private consumeAp(payload: Buffer): void {
    const parts: Buffer[] = [];
    let off = H265_NAL_HEADER_SIZE;
    let first = true;
    while (off < payload.length) {
      if (this.donl) off += first ? 2 : 1;
      first = false;
      if (off + 2 > payload.length) return this.malformed('AP truncated in a NAL unit size');
      const size = payload.readUInt16BE(off);
      off += 2;
      if (size === 0 || off + size > payload.length) return this.malformed('AP NAL unit runs past the end of the packet');
      parts.push(payload.subarray(off, off + size));
      off += size;
    }
    this.addAll(parts);
  }

  private consumeFu(payload: Buffer): void {
    const headerEnd = H265_NAL_HEADER_SIZE + 1;
    if (payload.length < headerEnd + 1) return this.malformed('FU packet too short');
    const fuh = payload[H265_NAL_HEADER_SIZE];
    const start = (fuh & 0x80) !== 0;
    const end = (fuh & 0x40) !== 0;
    if (start) {
      const data = payload.subarray(headerEnd + (this.donl ? 2 : 0));
      // The NAL header: the FU's header with its type replaced by the fragmented unit's type.
      const header = Buffer.from([(payload[0] & 0x81) | ((fuh & 0x3f) << 1), payload[1]]);
      if (end) {
        this.add(Buffer.concat([header, data]));
        return;
      }
      this.fuHeader = header;
      this.fuParts = [data];
      this.fuSize = H265_NAL_HEADER_SIZE + data.length;
      return;
    }
    if (!this.fuParts || !this.fuHeader) return; // continuation without its start
    const data = payload.subarray(headerEnd);
    this.fuParts.push(data);
    this.fuSize += data.length;
    if (this.size + this.fuSize > MAX_H265_ACCESS_UNIT_SIZE || this.fuParts.length > MAX_H265_FU_FRAGMENTS) {
      return this.drop(this.timestamp, new CamrtcError('ERR_LIMIT', 'H.265 access unit exceeds the size limit', { reason: 'limit', limit: MAX_H265_ACCESS_UNIT_SIZE }));
    }
    if (end) {
      const nalu = Buffer.concat([this.fuHeader, ...this.fuParts], this.fuSize);
      this.fuParts = undefined;
      this.fuHeader = undefined;
      this.fuSize = 0;
      this.add(nalu);
    }
  }

  private addAll(nalus: readonly Buffer[]): void {
    for (const nalu of nalus) if (!this.add(nalu)) return;
  }

  private add(nalu: Buffer): boolean {
    if (nalu.length < H265_NAL_HEADER_SIZE) return true;
    const type = h265NaluType(nalu);
    // A parameter set or AUD after a slice begins the next access unit (7.4.2.4.4).
    if (this.hasVcl && isH265Prefix(type)) this.finish();
    if (this.nalus.length >= MAX_H265_NALUS_PER_ACCESS_UNIT || this.size + nalu.length > MAX_H265_ACCESS_UNIT_SIZE) {
      this.drop(this.timestamp, new CamrtcError('ERR_LIMIT', 'H.265 access unit exceeds the size or NAL unit limit', { reason: 'limit' }));
      return false;
    }
    this.nalus.push(nalu);
    this.size += nalu.length;
    if (isH265Vcl(type)) this.hasVcl = true;
    if (isH265Irap(type)) this.keyframe = true;
    return true;
  }

  private finish(): void {
    this.queue({ timestamp: this.timestamp, nalus: this.nalus, keyframe: this.keyframe });
    this.reset();
  }

  private malformed(message: string): void {
    this.drop(this.timestamp, new CamrtcError('ERR_PARSE_H265', message, { reason: 'malformed' }));
  }

  private drop(timestamp: number, error: CamrtcError, ignoreRest = true): void {
    this.reset();
    this.brokenTimestamp = ignoreRest ? timestamp : undefined;
    this.queue(error);
  }

  private reset(): void {
    this.nalus = [];
    this.size = 0;
    this.hasVcl = false;
    this.keyframe = false;
    this.fuParts = undefined;
    this.fuHeader = undefined;
    this.fuSize = 0;
  }

  private queue(item: H265AccessUnit | CamrtcError): void {
    if (this.ready.length >= MAX_READY) this.ready.shift();
    this.ready.push(item);
  }
}

function fragmentWithoutEnd(): CamrtcError {
  return new CamrtcError('ERR_PARSE_H265', 'FU NAL unit without its end fragment: access unit dropped', { reason: 'malformed' });
}
