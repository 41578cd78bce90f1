import { CamrtcError } from '../errors.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;

/** A compound packet never holds more than this many packets (bounds work on hostile input). */
export const MAX_RTCP_PACKETS_PER_COMPOUND = 32;

/** Sender information of an SR (RFC 3550 6.4.1); `ntp*` feed the LSR field of receiver reports. */
export interface RtcpSenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** Just enough of one RTCP packet to route it; the body stays in the caller's buffer. */
export interface RtcpPacketInfo {
  packetType: number;
  /** Report count / SDES source count / feedback message type (FMT), depending on the type. */
  count: number;
  /** SSRC of the sender (0 if the packet is too short to carry one). */
  ssrc: number;
  /** Offset and total length in bytes of this packet within the compound. */
  offset: number;
  length: number;
  senderInfo?: RtcpSenderInfo;
}

/**
 * RFC 5761 demultiplexing: RTCP packet types 192-223 occupy the byte where RTP has marker+PT, and
 * RTP payload types 64-95 are avoided for that reason.
 */
export function isRtcpPacket(buf: Buffer): boolean {
  return buf.length >= 8 && buf[0] >> 6 === 2 && buf[1] >= 192 && buf[1] <= 223;
}

/** Splits a compound RTCP packet into its packets' headers. Never throws. */
export function parseRtcp(buf: Buffer): RtcpPacketInfo[] | CamrtcError {
  const packets: RtcpPacketInfo[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (packets.length >= MAX_RTCP_PACKETS_PER_COMPOUND) {
      return new CamrtcError('ERR_LIMIT', 'too many packets in one RTCP compound packet');
    }
    if (offset + 4 > buf.length) return new CamrtcError('ERR_PARSE_RTP', 'RTCP packet header truncated');
    const b0 = buf[offset];
    if (b0 >> 6 !== 2) return new CamrtcError('ERR_PARSE_RTP', `unsupported RTCP version ${b0 >> 6}`);
    const length = (buf.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + length > buf.length) return new CamrtcError('ERR_PARSE_RTP', 'RTCP packet runs past the end of the datagram');
    const info: RtcpPacketInfo = {
      packetType: buf[offset + 1],
      count: b0 & 0x1f,
      ssrc: length >= 8 ? buf.readUInt32BE(offset + 4) : 0,
      offset,
      length,
    };
    if (info.packetType === RTCP_SR && length >= 28) {
      info.senderInfo = {
        ntpSeconds: buf.readUInt32BE(offset + 8),
        ntpFraction: buf.readUInt32BE(offset + 12),
        rtpTimestamp: buf.readUInt32BE(offset + 16),
        packetCount: buf.readUInt32BE(offset + 20),
        octetCount: buf.readUInt32BE(offset + 24),
      };
    }
    packets.push(info);
    offset += length;
  }
  if (packets.length === 0) return new CamrtcError('ERR_PARSE_RTP', 'empty RTCP packet');
  return packets;
}
