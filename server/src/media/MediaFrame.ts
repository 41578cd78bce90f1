/**
 * What a Source hands to its viewers: one video access unit, already repacketized into RTP payloads
 * of at most MAX_RTP_PAYLOAD bytes, or one audio packet. The payload Buffers are shared by every
 * viewer (no per-viewer copy); viewers only add their own RTP header (SSRC, sequence, timestamp).
 */
export const MAX_RTP_PAYLOAD = 1200;

export interface MediaFrame {
  /** Track.index of the camera track this frame belongs to. */
  readonly trackIndex: number;
  readonly kind: 'video' | 'audio';
  /** RTP timestamp in the track's clock, as the camera sent it (viewers rebase it). */
  readonly timestamp: number;
  /** Video: the access unit holds an IDR (parameter sets already injected before it). Audio: true. */
  readonly keyframe: boolean;
  /** RTP payloads in order. Video: the last one carries the marker bit. Audio: one payload. */
  readonly payloads: readonly Buffer[];
  /**
   * Upstream generation: incremented each time the RTSP session to the camera is (re)started.
   * A change tells viewers that timestamps and sequence jumped and must be re-based.
   */
  readonly generation: number;
  /** Arrival time (performance.now(), ms) of the packet that completed the frame. */
  readonly receivedAt: number;
  /**
   * Only on the frames of a track browsers get transcoded (AAC): 'camera' for the camera's own RTP
   * payloads, one per packet as it sent them (for sinks that serve the camera's codecs: the RTSP
   * restream), 'transcoded' for what browsers get (Opus). Undefined: one frame for every sink.
   */
  readonly encoding?: FrameEncoding;
  /** 'camera' frames: the RTP marker bit the camera set on the packet (the end of an AAC access unit). */
  readonly marker?: boolean;
}

export type FrameEncoding = 'camera' | 'transcoded';
