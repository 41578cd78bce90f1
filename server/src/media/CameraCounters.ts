/**
 * What one camera received and went through since the server started, for /metrics: plain integer
 * fields its feeds add to in place (one object per camera, shared by a recording's per-viewer feeds),
 * so the packet path pays an increment and /metrics reads them when scraped. Packet loss is counted
 * where the sequence numbers already are (ReceiverReporter, inside each RTSP session): the sessions
 * that are open are asked when read, those that ended were added up when they closed, so the total
 * never goes back (a Prometheus counter that drops reads as a restart).
 */
import type { ErrorCode } from '../errors.js';

/** What a session tells of its loss (RtspSession; test sessions may not count). */
export interface LossCounting {
  readonly lostPacketCount?: number;
}

export class CameraCounters {
  /** RTP packets from the camera (all tracks). */
  packetsIn = 0;
  /** Their bytes (RTP header and payload). */
  bytesIn = 0;
  /** Connections made again after the camera failed (not the first one, nor one a viewer started). */
  reconnects = 0;
  /** Keyframes of the video track. */
  keyframes = 0;
  /** Seconds between the last two keyframes of one camera session (0 until two were seen). */
  keyframeIntervalSeconds = 0;
  readonly #failures = new Map<ErrorCode, number>();
  readonly #openSessions = new Set<LossCounting>();
  #lostOfClosedSessions = 0;

  /** RTP packets never received (sequence gaps, RFC 3550 A.3), over every session so far. */
  get packetsLost(): number {
    let lost = this.#lostOfClosedSessions;
    for (const session of this.#openSessions) lost += session.lostPacketCount ?? 0;
    return lost;
  }

  /** Failures of the camera (connection, RTSP status, no media...) by error code. */
  get failures(): ReadonlyMap<ErrorCode, number> {
    return this.#failures;
  }

  failed(code: ErrorCode): void {
    this.#failures.set(code, (this.#failures.get(code) ?? 0) + 1);
  }

  sessionOpened(session: LossCounting): void {
    this.#openSessions.add(session);
  }

  /** The session is closed: its loss is final. Idempotent. */
  sessionClosed(session: LossCounting): void {
    if (!this.#openSessions.delete(session)) return;
    this.#lostOfClosedSessions += session.lostPacketCount ?? 0;
  }
}
