/**
 * Reach: the fields werift's RTCRtpSender sends its RTCP sender reports from (every 0.5-1.5 s).
 * - camrtc's RtpWriter bypasses the sender, so it keeps those fields itself (senderReports).
 * - When werift's sender does write the RTP, it pairs each RTP timestamp with its own NTP time,
 *   whose fraction is wrong (the decimal digits of the seconds read as an integer): about whole-
 *   second resolution, which would skew the browser's lip sync by up to 1 s. camrtc puts the wall
 *   clock in its place right after each send (senderReportClock).
 */
import type { RTCRtpSender } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

interface SenderInternals {
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  runRtcp?: () => Promise<void>;
}

/**
 * For camrtc's RtpWriter: the updater of the four fields werift's sender reports are made of (its
 * own sendRtp is not used), which also starts werift's report loop. Undefined when werift changed.
 */
export function senderReports(sender: RTCRtpSender, logger: Logger): ((ntp: bigint, rtpTimestamp: number, packets: number, octets: number) => void) | undefined {
  const s = sender as unknown as Partial<SenderInternals>;
  if (typeof s.ntpTimestamp !== 'bigint' || typeof s.packetCount !== 'number' || typeof s.octetCount !== 'number' || typeof s.runRtcp !== 'function') {
    weriftShapeChanged(logger, 'RTCRtpSender report fields');
    return undefined;
  }
  const fields = s as SenderInternals;
  let started = false;
  return (ntp, rtpTimestamp, packets, octets) => {
    fields.ntpTimestamp = ntp;
    fields.rtpTimestamp = rtpTimestamp;
    fields.packetCount = packets >>> 0;
    fields.octetCount = octets >>> 0;
    if (!started) {
      started = true;
      fields.runRtcp?.call(sender).catch(() => undefined);
    }
  };
}

interface SenderClockInternals {
  ntpTimestamp: bigint;
  pendingRtpEnabled: boolean;
}

/**
 * For werift's own sendRtp: the setter of the NTP time its sender reports pair with the RTP
 * timestamp of the last packet. Call it right after sendRtp, which set both synchronously (werift
 * queues nothing while `pendingRtp` is off, its default). Undefined when werift changed.
 */
export function senderReportClock(sender: RTCRtpSender, logger: Logger): ((ntp: bigint) => void) | undefined {
  const s = sender as unknown as Partial<SenderClockInternals>;
  if (typeof s.ntpTimestamp !== 'bigint' || s.pendingRtpEnabled !== false) {
    weriftShapeChanged(logger, 'RTCRtpSender NTP field', 'sender reports carry werift\'s whole-second NTP time');
    return undefined;
  }
  const fields = s as SenderClockInternals;
  return (ntp) => {
    fields.ntpTimestamp = ntp;
  };
}
