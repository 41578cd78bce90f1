/**
 * Reach: what werift's RTCRtpSender counts of the browser's feedback, in fields its getStats reports
 * (nackCount, retransmittedPacketsSent) but its type declarations keep private. Every RTCP packet of
 * the viewer goes through the sender whichever path writes the RTP, so nackCount is the viewer's NACK
 * count; retransmittedPacketsSent counts only what werift's own cache answered (werift's RTP path:
 * camrtc's RtpWriter counts its own). Read when stats are, never per packet.
 */
import type { RTCRtpSender } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

interface FeedbackInternals {
  nackCount: number;
  retransmittedPacketsSent: number;
}

export interface SenderFeedback {
  /** RTCP generic NACK messages the browser sent for this stream. */
  nacks(): number;
  /** Packets werift sent again from its own cache for them. */
  retransmitted(): number;
}

const NONE: SenderFeedback = { nacks: () => 0, retransmitted: () => 0 };

/** The sender's feedback counters; zeros (said once) when werift changed. */
export function senderFeedback(sender: RTCRtpSender, logger: Logger): SenderFeedback {
  const s = sender as unknown as Partial<FeedbackInternals>;
  if (typeof s.nackCount !== 'number' || typeof s.retransmittedPacketsSent !== 'number') {
    weriftShapeChanged(logger, 'RTCRtpSender feedback counters', '/metrics reports no NACKs received');
    return NONE;
  }
  const fields = s as FeedbackInternals;
  return { nacks: () => fields.nackCount, retransmitted: () => fields.retransmittedPacketsSent };
}
