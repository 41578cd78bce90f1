/**
 * What a receiver says about a stream camrtc sends, in the report blocks of its RTCP receiver (or
 * sender) reports (RFC 3550 6.4.1-6.4.2): loss, and with the LSR/DLSR fields the round-trip time to
 * it. Pure, bounded by parseRtcp's limits; never throws.
 */
import { CamrtcError } from '../errors.js';
import { ntpFromUnixMs } from './ntp.js';
import { parseRtcp, RTCP_RR, RTCP_SR } from './rtcp.js';

const BLOCK_BYTES = 24;
/** A round trip longer than this is a receiver's wrong LSR/DLSR, not a network. */
const MAX_RTT_MS = 60_000;

export interface ReportBlock {
  /** Fraction of packets lost since the previous report, 0-1. */
  readonly fractionLost: number;
  /** Packets lost since the stream started (may be negative with duplicates). */
  readonly packetsLost: number;
  /** Middle 32 bits of the NTP time of the last sender report it got (0: none). */
  readonly lastSr: number;
  /** Since that report, in 1/65536 s. */
  readonly delaySinceLastSr: number;
}

/** The report block about stream `ssrc` in a compound RTCP packet, or undefined. */
export function reportBlockFor(packet: Buffer, ssrc: number): ReportBlock | undefined {
  const items = parseRtcp(packet);
  if (items instanceof CamrtcError) return undefined;
  for (const item of items) {
    if (item.packetType !== RTCP_RR && item.packetType !== RTCP_SR) continue;
    const first = item.offset + (item.packetType === RTCP_SR ? 28 : 8);
    for (let i = 0; i < item.count; i++) {
      const at = first + i * BLOCK_BYTES;
      if (at + BLOCK_BYTES > item.offset + item.length) break;
      if (packet.readUInt32BE(at) !== ssrc >>> 0) continue;
      return {
        fractionLost: packet[at + 4] / 256,
        packetsLost: packet.readIntBE(at + 5, 3),
        lastSr: packet.readUInt32BE(at + 16),
        delaySinceLastSr: packet.readUInt32BE(at + 20),
      };
    }
  }
  return undefined;
}

/**
 * Round-trip time (ms) from a block received at `unixMs`, when the receiver echoed one of our sender
 * reports (RFC 3550 6.4.1: A - LSR - DLSR); undefined otherwise.
 */
export function roundTripMs(block: ReportBlock, unixMs: number): number | undefined {
  if (block.lastSr === 0) return undefined;
  const now = Number((ntpFromUnixMs(unixMs) >> 16n) & 0xffffffffn);
  const rtt = (((now - block.lastSr - block.delaySinceLastSr) >>> 0) / 65536) * 1000;
  return rtt <= MAX_RTT_MS ? rtt : undefined;
}
