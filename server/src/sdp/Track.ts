/**
 * One media section of a camera's session description, as the rest of camrtc sees it. Produced by
 * the SDP reader (server/src/sdp), consumed by RtspSession (SETUP), Source (depacketizing) and
 * Viewer (codec negotiation). Values are normalised: codec upper-case, fmtp values kept as strings
 * (sdp-transform would turn profile-level-id=640028 into a number and lose leading zeros).
 */
export type TrackKind = 'video' | 'audio' | 'application';

export interface Track {
  /** Position of the media section in the SDP (0-based). Stable key for RTP routing. */
  readonly index: number;
  readonly kind: TrackKind;
  /** Encoding name, upper-case: H264, H265, PCMA, PCMU, OPUS, MPEG4-GENERIC, MP4A-LATM, ... */
  readonly codec: string;
  readonly payloadType: number;
  readonly clockRate: number;
  /** Audio channels, when the SDP says. */
  readonly channels?: number;
  /** fmtp parameters with lower-case keys and string values. */
  readonly fmtp: Readonly<Record<string, string>>;
  /** Absolute control URL for SETUP, resolved (never another host than the session's). No userinfo. */
  readonly control: string;
  /** SDP direction attribute; `sendonly` from the camera's view is a backchannel. Default recvonly. */
  readonly direction: 'sendrecv' | 'recvonly' | 'sendonly' | 'inactive';
  /**
   * Every format the media section lists, in m= line order, when there are several (FLIR cameras
   * offer MP4V-ES and H264 in one section). The fields above describe the one camrtc chose.
   */
  readonly formats?: readonly TrackFormat[];
  /**
   * Set on a track as viewers are told it when browsers get it transcoded (AAC presented as Opus):
   * the camera's own track, which the RTSP restream serves as the camera sends it.
   */
  readonly cameraTrack?: Track;
}

/** One payload format of a media section (`m=` format + its rtpmap and fmtp). */
export interface TrackFormat {
  readonly payloadType: number;
  /** Upper-case encoding name; '' when a dynamic payload type has no rtpmap. */
  readonly codec: string;
  /** 0 when unknown (dynamic payload type without rtpmap). */
  readonly clockRate: number;
  readonly channels?: number;
  readonly fmtp: Readonly<Record<string, string>>;
}

/** Codecs camrtc forwards to browsers without re-encoding. */
export const FORWARDABLE_CODECS = new Set(['H264', 'H265', 'PCMA', 'PCMU', 'OPUS']);
