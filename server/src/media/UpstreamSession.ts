import type { CamrtcError } from '../errors.js';
import type { RtspSessionOptions, RtspSessionState } from '../rtsp/RtspSessionTypes.js';
import type { Track } from '../sdp/Track.js';

/** The subset of RtspSession a feed uses; injectable for tests. */
export interface UpstreamSession {
  start(): Promise<{ tracks: readonly Track[] }>;
  /** RTSP PAUSE; rejects when the camera refuses it. */
  pause(): Promise<void>;
  /** RTSP PLAY after pause(), from `range` (`npt=12.000-`) when given. */
  play(options?: { range?: string; scale?: number }): Promise<void>;
  close(): Promise<void>;
  /** RtspSession's state, when known: PLAY with a Range needs the session paused first. */
  readonly state?: RtspSessionState;
  /** Packets dropped as not RTP so far (RtspSession counts them). */
  readonly invalidPacketCount?: number;
  /** RTP packets never received so far (RtspSession counts them from sequence gaps). */
  readonly lostPacketCount?: number;
  /** Whether the last DESCRIBE asked for the ONVIF backchannel (RtspSession; false: asked without it). */
  readonly describedWithBackchannel?: boolean;
  /** Every track the camera described (backchannels included), once described. */
  readonly describedTracks?: readonly Track[];
  /** Asks the camera for a keyframe on a track (RTCP PLI). Most cameras ignore it. */
  requestKeyframe?(trackIndex: number): void;
  on(event: 'rtp', listener: (trackIndex: number, packet: Buffer) => void): unknown;
  on(event: 'close', listener: (error?: CamrtcError) => void): unknown;
}
export type UpstreamFactory = (options: RtspSessionOptions) => UpstreamSession;
