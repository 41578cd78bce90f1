import { CamrtcError } from '../errors.js';

/** RFC 3550 fixed header size; CSRCs and the header extension come after it. */
export const RTP_HEADER_SIZE = 12;
/** Largest RTP packet camrtc accepts (one UDP datagram or one interleaved `$` frame). */
export const MAX_RTP_PACKET_SIZE = 65535;

const NO_CSRC: readonly number[] = Object.freeze([]);

/** The header fields needed to write a packet (no header extension, no padding). */
export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Contributing sources; usually empty. */
  csrc?: readonly number[];
}

export interface RtpPacket extends RtpHeader {
  csrc: readonly number[];
  /** Payload without header, CSRCs, extension or padding: a subarray of the parsed buffer (no copy). */
  payload: Buffer;
  /** Bytes of padding that followed the payload (0 when the P bit was clear). */
  paddingLength: number;
  /** RFC 3550 header extension, if any (a subarray). Forwarders drop it. */
  extension: { profile: number; data: Buffer } | undefined;
}

function fail(message: string, details: Record<string, unknown> = {}): CamrtcError {
  return new CamrtcError('ERR_PARSE_RTP', message, details);
}

/**
 * Parses one RTP packet. Never throws: malformed input gives an ERR_PARSE_RTP error. The payload
 * is a view into `buf`, so the caller must not reuse `buf` while the packet is in use.
 */
export function parseRtpPacket(buf: Buffer): RtpPacket | CamrtcError {
  if (buf.length < RTP_HEADER_SIZE) return fail(`RTP packet too short (${buf.length} bytes)`, { length: buf.length });
  if (buf.length > MAX_RTP_PACKET_SIZE) return fail(`RTP packet too long (${buf.length} bytes)`, { length: buf.length });
  const b0 = buf[0];
  const version = b0 >> 6;
  if (version !== 2) return fail(`unsupported RTP version ${version}`, { version });
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const b1 = buf[1];

  let offset = RTP_HEADER_SIZE + csrcCount * 4;
  if (offset > buf.length) return fail('RTP CSRC list runs past the end of the packet', { csrcCount });
  let csrc: readonly number[] = NO_CSRC;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++) list.push(buf.readUInt32BE(RTP_HEADER_SIZE + i * 4));
    csrc = list;
  }

  let extension: RtpPacket['extension'];
  if (hasExtension) {
    if (offset + 4 > buf.length) return fail('RTP header extension runs past the end of the packet');
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const start = offset + 4;
    offset = start + words * 4;
    if (offset > buf.length) return fail('RTP header extension runs past the end of the packet', { words });
    extension = { profile, data: buf.subarray(start, offset) };
  }

  let end = buf.length;
  let paddingLength = 0;
  if (hasPadding) {
    paddingLength = buf[buf.length - 1];
    // RFC 3550: the count includes itself, so 0 is invalid; it cannot eat into the header.
    if (paddingLength === 0 || end - paddingLength < offset) {
      return fail(`invalid RTP padding length ${paddingLength}`, { paddingLength });
    }
    end -= paddingLength;
  }

  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrc,
    payload: buf.subarray(offset, end),
    paddingLength,
    extension,
  };
}

/** Size of the header `writeRtpHeader` writes for these fields. */
export function rtpHeaderSize(header: RtpHeader): number {
  return RTP_HEADER_SIZE + (header.csrc?.length ?? 0) * 4;
}

/**
 * Writes a version-2 header without extension or padding at `offset`; returns the bytes written.
 * Values are wrapped to their field widths (sequence 16 bits, timestamp and SSRC 32 bits).
 */
export function writeRtpHeader(target: Buffer, header: RtpHeader, offset = 0): number {
  const csrc = header.csrc ?? NO_CSRC;
  if (csrc.length > 15) throw new RangeError('an RTP header carries at most 15 CSRCs');
  target[offset] = 0x80 | csrc.length;
  target[offset + 1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  target.writeUInt16BE(header.sequenceNumber & 0xffff, offset + 2);
  target.writeUInt32BE(header.timestamp >>> 0, offset + 4);
  target.writeUInt32BE(header.ssrc >>> 0, offset + 8);
  for (let i = 0; i < csrc.length; i++) target.writeUInt32BE(csrc[i] >>> 0, offset + RTP_HEADER_SIZE + i * 4);
  return RTP_HEADER_SIZE + csrc.length * 4;
}

/** One new Buffer holding header and payload (extension and padding, if any, are not written). */
export function serializeRtpPacket(packet: RtpHeader & { payload: Buffer }): Buffer {
  const headerSize = rtpHeaderSize(packet);
  const out = Buffer.allocUnsafe(headerSize + packet.payload.length);
  writeRtpHeader(out, packet, 0);
  packet.payload.copy(out, headerSize);
  return out;
}

/** An RTP version 2 packet with at least its fixed header; anything else on a media channel is dropped. */
export function looksLikeRtp(packet: Buffer): boolean {
  return packet.length >= 12 && (packet[0] & 0xc0) === 0x80;
}
