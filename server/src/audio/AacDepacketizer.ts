/**
 * RTP payloads of AAC to raw AAC frames (access units): RFC 3640 MPEG4-GENERIC (AU headers, e.g.
 * AAC-hbr) and RFC 3016 MP4A-LATM (cpresent=0, config in the SDP). Fragmented access units
 * (one AU over several packets, last one with the marker) are reassembled. Pure, bounded, never throws.
 */
import { CamrtcError } from '../errors.js';
import type { RtpPacket } from '../rtp/RtpPacket.js';
import { MAX_ADTS_FRAME } from './aacConfig.js';

/** AU headers in one packet: hundreds would be an attack (a 20 ms frame needs one). */
export const MAX_AAC_AUS_PER_PACKET = 64;

export interface AacGenericParams {
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

/** RFC 3640 parameters from the fmtp (AAC-hbr defaults when absent). */
export function genericParams(fmtp: Readonly<Record<string, string>>): AacGenericParams {
  const num = (key: string, dflt: number): number => {
    const v = Number.parseInt(fmtp[key] ?? '', 10);
    return Number.isInteger(v) && v >= 0 && v <= 32 ? v : dflt;
  };
  return { sizeLength: num('sizelength', 13), indexLength: num('indexlength', 3), indexDeltaLength: num('indexdeltalength', 3) };
}

export class AacDepacketizer {
  private fragment: Buffer[] = [];
  private fragmentSize = 0;
  private fragmentTarget = 0;
  private fragmentTimestamp = -1;

  constructor(private readonly mode: 'generic' | 'latm', private readonly params: AacGenericParams = { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 }) {}

  /** Raw AAC frames completed by this packet (empty while a fragmented one is incomplete), or an error. */
  push(pkt: RtpPacket): Buffer[] | CamrtcError {
    return this.mode === 'generic' ? this.generic(pkt) : this.latm(pkt);
  }

  private generic(pkt: RtpPacket): Buffer[] | CamrtcError {
    const p = pkt.payload;
    if (this.fragmentTarget > 0) {
      if (pkt.timestamp !== this.fragmentTimestamp) this.resetFragment();
    }
    if (p.length < 2) return malformed('MPEG4-GENERIC packet too short');
    const headerBits = p.readUInt16BE(0);
    const headerBytes = Math.ceil(headerBits / 8);
    if (2 + headerBytes > p.length) return malformed('MPEG4-GENERIC AU headers run past the packet');
    const { sizeLength, indexLength, indexDeltaLength } = this.params;
    if (sizeLength === 0) return malformed('MPEG4-GENERIC without sizelength is not supported');
    const sizes: number[] = [];
    let bit = 0;
    const read = (n: number): number => {
      let v = 0;
      for (let i = 0; i < n; i++, bit++) v = v * 2 + ((p[2 + (bit >> 3)] >> (7 - (bit & 7))) & 1);
      return v;
    };
    while (bit + sizeLength <= headerBits) {
      if (sizes.length >= MAX_AAC_AUS_PER_PACKET) return new CamrtcError('ERR_LIMIT', 'too many AAC access units in one packet');
      sizes.push(read(sizeLength));
      read(sizes.length === 1 ? indexLength : indexDeltaLength);
    }
    let off = 2 + headerBytes;
    const data = p.subarray(off);
    if (sizes.length === 1 && sizes[0] > data.length) {
      // One access unit over several packets.
      if (this.fragmentTarget === 0) {
        this.fragmentTarget = sizes[0];
        this.fragmentTimestamp = pkt.timestamp;
      }
      return this.addFragment(data, pkt.marker);
    }
    this.resetFragment();
    const out: Buffer[] = [];
    for (const size of sizes) {
      if (size === 0) continue;
      if (off + size > p.length) return malformed('MPEG4-GENERIC access unit runs past the packet');
      if (size > MAX_ADTS_FRAME) return new CamrtcError('ERR_LIMIT', `AAC access unit of ${size} bytes`);
      out.push(p.subarray(off, off + size));
      off += size;
    }
    return out;
  }

  private latm(pkt: RtpPacket): Buffer[] | CamrtcError {
    if (this.fragment.length > 0 && pkt.timestamp !== this.fragmentTimestamp) this.resetFragment();
    this.fragmentTimestamp = pkt.timestamp;
    this.fragment.push(pkt.payload);
    this.fragmentSize += pkt.payload.length;
    if (this.fragmentSize > MAX_ADTS_FRAME * 4) {
      this.resetFragment();
      return new CamrtcError('ERR_LIMIT', 'LATM audioMuxElement too large');
    }
    if (!pkt.marker) return [];
    const element = this.fragment.length === 1 ? this.fragment[0] : Buffer.concat(this.fragment, this.fragmentSize);
    this.resetFragment();
    // PayloadLengthInfo: 255-valued bytes add up, the first other byte ends the length.
    const out: Buffer[] = [];
    let off = 0;
    while (off < element.length) {
      let size = 0;
      for (;;) {
        if (off >= element.length) return malformed('LATM PayloadLengthInfo truncated');
        const b = element[off++];
        size += b;
        if (b !== 255) break;
      }
      if (size === 0 || off + size > element.length) return malformed('LATM payload runs past the packet');
      if (size > MAX_ADTS_FRAME) return new CamrtcError('ERR_LIMIT', `AAC access unit of ${size} bytes`);
      out.push(element.subarray(off, off + size));
      off += size;
      if (out.length >= MAX_AAC_AUS_PER_PACKET) break;
    }
    return out;
  }

  private addFragment(data: Buffer, marker: boolean): Buffer[] | CamrtcError {
    this.fragment.push(data);
    this.fragmentSize += data.length;
    if (this.fragmentSize > this.fragmentTarget || this.fragmentTarget > MAX_ADTS_FRAME) {
      this.resetFragment();
      return malformed('fragmented AAC access unit longer than announced');
    }
    if (this.fragmentSize === this.fragmentTarget) {
      const au = Buffer.concat(this.fragment, this.fragmentSize);
      this.resetFragment();
      return [au];
    }
    if (marker) {
      this.resetFragment();
      return malformed('fragmented AAC access unit ended early');
    }
    return [];
  }

  private resetFragment(): void {
    this.fragment = [];
    this.fragmentSize = 0;
    this.fragmentTarget = 0;
  }
}

function malformed(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_AAC', message);
}
