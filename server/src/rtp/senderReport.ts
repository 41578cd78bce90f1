/**
 * RTCP sender reports of an RTP stream camrtc sends (RFC 3550 6.4.1): what a receiver needs to put
 * the stream on the wall clock, and so two streams of one camera side by side (lip sync). The
 * mapping comes from the stream's last frame: its RTP timestamp and when it arrived from the camera
 * (the wall clock at receive time, the same for audio and video), carried forward at the track's
 * clock rate to the report's time. Pure: the caller passes the times.
 */
import { ntpFromUnixMs } from './ntp.js';
import { RTCP_SDES, RTCP_SR } from './rtcp.js';

const SDES_CNAME = 1;
/** RFC 3550 6.5.1: a CNAME item holds at most 255 bytes. */
const MAX_CNAME_BYTES = 255;

/** The stream's NTP/RTP pair and counts at the time of a report. */
export interface SenderInfo {
  readonly ssrc: number;
  /** 64-bit NTP time of the report. */
  readonly ntp: bigint;
  /** The RTP timestamp that corresponds to `ntp`. */
  readonly rtpTimestamp: number;
  /** Packets and payload octets sent since the stream started (modulo 2^32). */
  readonly packetCount: number;
  readonly octetCount: number;
}

/**
 * The RTP timestamp at `unixMs` of a stream whose frame with timestamp `timestamp` arrived at
 * `arrivedUnixMs`: the frame's timestamp plus the time since, at `clockRate`.
 */
export function rtpTimestampAt(timestamp: number, arrivedUnixMs: number, clockRate: number, unixMs: number): number {
  return (timestamp + Math.round(((unixMs - arrivedUnixMs) * clockRate) / 1000)) >>> 0;
}

/** The sender information of a report made at `unixMs` (see rtpTimestampAt). */
export function senderInfoAt(
  stream: { ssrc: number; clockRate: number; timestamp: number; arrivedUnixMs: number; packetCount: number; octetCount: number },
  unixMs: number,
): SenderInfo {
  return {
    ssrc: stream.ssrc,
    ntp: ntpFromUnixMs(unixMs),
    rtpTimestamp: rtpTimestampAt(stream.timestamp, stream.arrivedUnixMs, stream.clockRate, unixMs),
    packetCount: stream.packetCount >>> 0,
    octetCount: stream.octetCount >>> 0,
  };
}

/** A compound RTCP packet: SR (no report block: camrtc receives nothing on this stream) + SDES CNAME. */
export function buildSenderReport(info: SenderInfo, cname: string): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = RTCP_SR;
  sr.writeUInt16BE(sr.length / 4 - 1, 2);
  sr.writeUInt32BE(info.ssrc >>> 0, 4);
  sr.writeBigUInt64BE(BigInt.asUintN(64, info.ntp), 8);
  sr.writeUInt32BE(info.rtpTimestamp >>> 0, 16);
  sr.writeUInt32BE(info.packetCount >>> 0, 20);
  sr.writeUInt32BE(info.octetCount >>> 0, 24);
  return Buffer.concat([sr, buildSdesCname(info.ssrc, cname)]);
}

/**
 * One SDES packet with one chunk: `ssrc`'s CNAME. Every RTCP compound carries it (RFC 3550 6.1); a
 * receiver syncs streams that share a CNAME.
 */
export function buildSdesCname(ssrc: number, cname: string): Buffer {
  const name = Buffer.from(cname, 'utf8').subarray(0, MAX_CNAME_BYTES);
  // ssrc + type + length + text + END, padded to 32 bits.
  const chunkLen = Math.ceil((4 + 2 + name.length + 1) / 4) * 4;
  const out = Buffer.alloc(4 + chunkLen);
  out[0] = 0x81;
  out[1] = RTCP_SDES;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out[8] = SDES_CNAME;
  out[9] = name.length;
  name.copy(out, 10);
  return out;
}
