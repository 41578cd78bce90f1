import type tls from 'node:tls';
import type { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Track } from '../sdp/Track.js';
import type { TransportMemory } from './TransportMemory.js';
import type { BackchannelMemory } from './backchannel.js';

/**
 * `auto`: UDP first, TCP when UDP is refused or no packet arrives within `autoFallbackMs`; the
 * choice is remembered per camera URL (TransportMemory). `udp` follows a camera that answers with
 * multicast; `multicast` asks for it.
 */
export type RtspTransportMode = 'tcp' | 'udp' | 'auto' | 'multicast';

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
  /** TLS options for rtsps (e.g. `ca` for a camera signed by a private authority). */
  readonly tlsOptions?: tls.ConnectionOptions;
  /**
   * rtsps: accept a certificate that does not verify (self-signed, as most cameras ship). Default
   * false: the certificate is checked against the system's authorities and the host name.
   */
  readonly tlsInsecure?: boolean;
  /** PLAY `Range` value (e.g. `npt=30-` or `clock=20240101T000000Z-` for NVR playback). Default `npt=0.000-`. */
  readonly range?: string;
  /** PLAY `Scale` (playback speed of recordings; 1 is normal). Not sent when absent. */
  readonly scale?: number;
  /** Where transport 'auto' remembers what worked. Default: one memory for the whole process. */
  readonly transportMemory?: TransportMemory;
  /**
   * DESCRIBE asks for the camera's ONVIF audio backchannel (`Require: www.onvif.org/ver20/backchannel`),
   * so describedTracks include its sendonly track (two-way audio). A camera that refuses the header is
   * described again without it, and remembered (rtsp/backchannel.ts). Only DESCRIBE carries it: this
   * session never sets the backchannel up. Default false.
   */
  readonly backchannel?: boolean;
  /** Where refusals of the backchannel are remembered. Default: one memory for the whole process. */
  readonly backchannelMemory?: BackchannelMemory;
}

/** What PLAY after PAUSE asks for: a new position or speed (recordings). */
export interface PlayOptions {
  readonly range?: string;
  readonly scale?: number;
}

export type RtspSessionEvents = {
  /** One RTP packet of the track with this Track.index, emitted in the tick it was read. */
  rtp: [trackIndex: number, packet: Buffer];
  rtcp: [trackIndex: number, packet: Buffer];
  state: [state: RtspSessionState];
  /** Emitted once. Error when the connection dropped, the stream stalled or start() failed. */
  close: [error?: CamrtcError];
};
