/**
 * One RTSP client session of the restream as the viewer list sees it (a ViewerDirectory
 * StreamClient, transport `rtsp`): its camera, whether it plays, what it was sent (counted by the
 * session's deliveries), what it reported in RTCP (loss, and the round trip through our sender
 * reports), and "disconnect": its session ends and so does its connection, unless that carries
 * another session.
 */
import type { ServerSession } from '../rtsp/server/ServerSession.js';
import { reportBlockFor, roundTripMs, type ReportBlock } from '../rtp/reportBlocks.js';
import type { StreamClient, StreamClientStats } from '../session/ViewerDirectory.js';

const RTP_HEADER_BYTES = 12;

export class RestreamViewer implements StreamClient {
  readonly camera: string;
  readonly #session: ServerSession;
  /** The last report block each track's client sent, and its round trip when it echoed a report. */
  readonly #reports = new Map<number, { block: ReportBlock; rttMs: number | undefined }>();

  constructor(session: ServerSession, camera: string) {
    this.#session = session;
    this.camera = camera;
  }

  get closed(): boolean {
    return this.#session.closed;
  }

  /** RTCP the client sent about track `index` (RtspServer 'rtcp'). */
  onRtcp(index: number, packet: Buffer, unixMs: number): void {
    const ssrc = this.#session.trackAt(index)?.track.ssrc;
    if (ssrc === undefined) return;
    const block = reportBlockFor(packet, ssrc);
    if (block) this.#reports.set(index, { block, rttMs: roundTripMs(block, unixMs) });
  }

  sent(): { packets: number; bytes: number } {
    const { packets, bytes } = this.#session.sent;
    return { packets, bytes };
  }

  stats(): StreamClientStats {
    const sent = this.#session.sent;
    let packetsLost: number | null = null;
    let fractionLost: number | null = null;
    let rtt: { ms: number; video: boolean } | undefined;
    for (const [index, { block, rttMs }] of this.#reports) {
      packetsLost = (packetsLost ?? 0) + block.packetsLost;
      fractionLost = Math.max(fractionLost ?? 0, block.fractionLost);
      const video = this.#session.trackAt(index)?.track.media.kind === 'video';
      // The video's when there is one, as for a WebRTC viewer.
      if (rttMs !== undefined && (!rtt || (video && !rtt.video))) rtt = { ms: rttMs, video };
    }
    return {
      connection: this.#session.closed ? 'closed' : 'connected',
      playback: this.#session.state === 'playing' ? 'playing' : 'paused',
      // Payload bytes, as a WebRTC viewer's: the restream's packets carry a bare 12-byte header.
      bytesSent: sent.bytes - sent.packets * RTP_HEADER_BYTES,
      packetsSent: sent.packets,
      framesSent: sent.frames,
      packetsLost,
      fractionLost,
      rttMs: rtt ? Math.round(rtt.ms * 10) / 10 : null,
    };
  }

  disconnect(): void {
    const connection = this.#session.connection;
    this.#session.close('revoked');
    // Over UDP the client would hear nothing: its connection ends, so it learns at once.
    if (connection.sessionIds.size === 0) connection.close('closed');
  }

  onEnded(listener: () => void): void {
    if (this.#session.closed) listener();
    else this.#session.once('close', () => listener());
  }
}
