import type tls from 'node:tls';
import type { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Track } from '../sdp/Track.js';

/** `auto`: UDP first, TCP when UDP is refused or no packet arrives within `autoFallbackMs`. */
export type RtspTransportMode = 'tcp' | 'udp' | 'auto';

/**
 * idle -> starting -> playing <-> paused; any -> closed. `closed` is final: make a new session to
 * reconnect (the Source does, with backoff).
 */
export type RtspSessionState = 'idle' | 'starting' | 'playing' | 'paused' | 'closed';

export interface RtspSessionOptions {
  /** rtsp:// or rtsps:// URL; may carry credentials (username/password below take precedence). */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Default 'tcp' (interleaved: works through NAT and firewalls, no loss). */
  readonly transport?: RtspTransportMode;
  /** TCP connect timeout. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Wait for each answer, and for media while playing (stall detection). Default 10000 ms. */
  readonly readTimeoutMs?: number;
  readonly logger?: Logger;
  /** Name used in messages and logs. Default: the URL host. */
  readonly cameraName?: string;
  /** Picks the tracks to SETUP among the described ones. Default selectPlayableTracks. */
  readonly selectTracks?: (tracks: readonly Track[]) => Track[];
  /** Where UDP ports are bound. Default '0.0.0.0'. */
  readonly udpBindAddress?: string;
  /** Transport 'auto': how long to wait for the first UDP packet before switching to TCP. Default 3000 ms. */
  readonly autoFallbackMs?: number;
  /** Receiver-report period. Default 5000 ms. */
  readonly receiverReportIntervalMs?: number;
  /** Overrides the keepalive period (default: session timeout minus 5 s). */
  readonly keepaliveIntervalMs?: number;
  /** How long close() waits for the TEARDOWN answer. Default 1000 ms. */
  readonly teardownTimeoutMs?: number;
  /** TLS options for rtsps (e.g. `{ rejectUnauthorized: false }` for a self-signed camera). */
  readonly tlsOptions?: tls.ConnectionOptions;
}

export type RtspSessionEvents = {
  /** One RTP packet of the track with this Track.index, emitted in the tick it was read. */
  rtp: [trackIndex: number, packet: Buffer];
  rtcp: [trackIndex: number, packet: Buffer];
  state: [state: RtspSessionState];
  /** Emitted once. Error when the connection dropped, the stream stalled or start() failed. */
  close: [error?: CamrtcError];
};
