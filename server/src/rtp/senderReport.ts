/**
 * RTCP sender reports of an RTP stream camrtc relays (RFC 3550 6.4.1): what a receiver needs to put
 * the stream on the wall clock, and so two streams of one camera side by side (lip sync). camrtc
 * does not keep the camera's own reports, so the mapping comes from when frames arrived (the wall
 * clock at receive time, the same for audio and video): ArrivalClock. Pure: the caller passes the
 * times.
 */
import { ntpFromUnixMs } from './ntp.js';
import { RTCP_SDES, RTCP_SR } from './rtcp.js';

const SDES_CNAME = 1;
/** RFC 3550 6.5.1: a CNAME item holds at most 255 bytes. */
const MAX_CNAME_BYTES = 255;
/**
 * How fast the mapping may move, in ms per second: far above the drift between a camera's clock and
 * the server's (50 ppm is 0.05 ms/s), far below what a player notices. Players re-anchor their
 * timestamps at each report: a report that moved the mapping back by a frame made ffmpeg write two
 * frames with one timestamp.
 */
export const MAX_SLEW_MS_PER_S = 2;

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
 * One stream's RTP clock on the wall clock, from its frames' arrival times. A frame arrives its
 * capture time plus a latency that varies (a keyframe takes the camera longer to encode and send):
 * the mapping follows the earliest arrivals (the least delayed frames), not the last frame, and
 * once reported moves at most MAX_SLEW_MS_PER_S, so consecutive reports agree with each other to a
 * fraction of a millisecond while following a clock that drifts.
 */
export class ArrivalClock {
  readonly #clockRate: number;
  /** The mapping: `timestamp` is the stream at `unixMs`. */
  #anchor: { timestamp: number; unixMs: number } | undefined;
  /** The earliest arrival (ms after the mapped time; negative: before) of the frames since the last report, and of those before. */
  #windowMin = Number.POSITIVE_INFINITY;
  #previousMin = Number.POSITIVE_INFINITY;
  /** Before the first report nobody knows the mapping: it may move at once. */
  #reported = false;

  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** A frame with RTP timestamp `timestamp` arrived at `unixMs`. */
  frame(timestamp: number, unixMs: number): void {
    const anchor = this.#anchor;
    if (!anchor) {
      this.#anchor = { timestamp, unixMs };
      this.#windowMin = 0;
      return;
    }
    const late = unixMs - anchor.unixMs - (((timestamp - anchor.timestamp) | 0) * 1000) / this.#clockRate;
    if (late < this.#windowMin) this.#windowMin = late;
  }

  /**
   * The RTP timestamp at `unixMs` (a report's time), the mapping first moved toward the earliest
   * arrivals; undefined before the first frame.
   */
  timestampAt(unixMs: number): number | undefined {
    const anchor = this.#anchor;
    if (!anchor) return undefined;
    const earliest = Math.min(this.#windowMin, this.#previousMin);
    if (Number.isFinite(earliest)) {
      const allowed = this.#reported ? (MAX_SLEW_MS_PER_S * Math.max(0, unixMs - anchor.unixMs)) / 1000 : Number.POSITIVE_INFINITY;
      const shift = Math.max(-allowed, Math.min(allowed, earliest));
      anchor.unixMs += shift;
      this.#previousMin = this.#windowMin - shift;
      this.#windowMin = Number.POSITIVE_INFINITY;
    }
    const timestamp = (anchor.timestamp + Math.round(((unixMs - anchor.unixMs) * this.#clockRate) / 1000)) >>> 0;
    // Anchored at the report: frame() compares timestamps near it (no 32-bit wrap in between).
    this.#anchor = { timestamp, unixMs };
    this.#reported = true;
    return timestamp;
  }
}

/** The sender information of a report made at `unixMs`, whose RTP timestamp is `rtpTimestamp`. */
export function senderInfo(stream: { ssrc: number; packetCount: number; octetCount: number }, unixMs: number, rtpTimestamp: number): SenderInfo {
  return { ssrc: stream.ssrc, ntp: ntpFromUnixMs(unixMs), rtpTimestamp: rtpTimestamp >>> 0, packetCount: stream.packetCount >>> 0, octetCount: stream.octetCount >>> 0 };
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
