/**
 * What `camrtc probe` finds out about one camera (probeCamera in Probe.ts), as data: the JSON form of
 * `camrtc probe --json`, and what formatReport.ts prints. Nothing in it ever holds the camera's password.
 */
import type { Track } from '../sdp/Track.js';

export interface H264Report {
  /** e.g. "High", "Constrained Baseline"; undefined when the SDP has no profile-level-id. */
  readonly profile?: string;
  /** e.g. "4.0". */
  readonly level?: string;
  readonly profileLevelId?: string;
  readonly packetizationMode: number;
  readonly spsInSdp: boolean;
  readonly ppsInSdp: boolean;
  /** From the SPS (SDP, else the first one in the stream). */
  readonly width?: number;
  readonly height?: number;
}

export interface H265Report {
  readonly vpsInSdp: boolean;
  readonly spsInSdp: boolean;
  readonly ppsInSdp: boolean;
}

/** A codec as the server offers it to browsers (AAC is transcoded: browsers get Opus). */
export interface PresentedCodec {
  readonly codec: string;
  readonly clockRate: number;
  readonly channels?: number;
}

export interface TrackStats {
  /** RTP packets received (malformed ones not counted). */
  readonly packets: number;
  readonly bytes: number;
  /** Pictures (video) or audio frames the camera sent: distinct RTP timestamps. */
  readonly accessUnits: number;
  /**
   * Frames out of the server's track pipeline: what a viewer gets. Fewer than `accessUnits` when
   * pictures were dropped (damaged, or waiting for a keyframe or for the parameter sets).
   */
  readonly frames: number;
  /** Of `frames`, those with an IDR/IRAP picture; null for audio. */
  readonly keyframes: number | null;
  readonly lost: number;
  readonly reordered: number;
  /** Packets or access units the pipeline dropped as malformed or incomplete. */
  readonly decodeErrors: number;
  /** The last of them, for the user to read. */
  readonly lastDecodeError?: { readonly code: string; readonly message: string };
  /** H.264 with B-frames (browsers may stutter or add latency with them). */
  readonly bFrames: boolean;
  /** Times the camera switched to a new RTP stream (new SSRC): the server restarts its viewers at a keyframe. */
  readonly ssrcChanges: number;
  /** H.264: the profile-level-id of the stream's SPS, which viewers are told when it differs from the SDP's. */
  readonly profileLevelId?: string;
}

export interface ProbeTrackReport {
  /** Position of the media section in the SDP. */
  readonly index: number;
  readonly kind: Track['kind'];
  readonly codec: string;
  readonly clockRate: number;
  readonly payloadType: number;
  readonly channels?: number;
  /** The server can forward this codec to browsers (for AAC: ffmpeg is installed to transcode it). */
  readonly forwardable: boolean;
  /** camrtc set this track up (what the server would play). */
  readonly played: boolean;
  /** Why a track is not played. */
  readonly skipped?: string;
  /** For played tracks: the codec browsers are offered. */
  readonly presented?: PresentedCodec;
  readonly h264?: H264Report;
  readonly h265?: H265Report;
  /** Counts over the probe, for played tracks. */
  readonly stats?: TrackStats;
}

export interface ProbeReport {
  readonly ok: boolean;
  /** The camera URL with the password replaced by ***. */
  readonly url: string;
  /** What was used in the end ('auto' resolves to one of these). */
  readonly transport?: 'tcp' | 'udp' | 'multicast';
  readonly seconds: number;
  readonly tracks: ProbeTrackReport[];
  readonly error?: { readonly code: string; readonly message: string };
}
