/**
 * The Viewer's public types: its options, events, state and stats (callers import them from Viewer.ts).
 */
import type { Logger } from '../log/logger.js';
import type { MediaFrame } from '../media/MediaFrame.js';
import type { Track } from '../sdp/Track.js';
import type { IceCandidate } from '../../../shared/protocol.js';
import type { IceServer, ViewerNetworkOptions } from './peerConfig.js';
import type { RtpPath } from './RtpOutput.js';
import type { CameraTalkFormat } from '../talk/talkPlan.js';

export type ViewerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export type ViewerEvents = {
  state: [ViewerState];
  /** The browser lost its picture (RTCP PLI): ask the Source for a keyframe. */
  pli: [];
  /** A local ICE candidate, when the offer was made with `trickle` (null: gathering finished). */
  candidate: [IceCandidate | null];
  close: [];
};

export interface ViewerOptions {
  /** Session id, for logs. */
  id: string;
  /** The camera's forwarded tracks; the Viewer carries the first playable video and audio. */
  tracks: readonly Track[];
  /** STUN/TURN servers. Default none: werift would otherwise use a public STUN server. */
  iceServers?: readonly IceServer[];
  network?: ViewerNetworkOptions;
  /** The browser can decode H.265. Default false: H.265 tracks are not carried. */
  h265?: boolean;
  /** Offer this H.264 profile-level-id instead of the video track's own (a camera's two streams: h264Profiles.ts). */
  h264ProfileLevelId?: string;
  /**
   * Called when the Viewer needs a keyframe to start or resume (connected, play(), PLI, camera
   * restart); usually CameraSource.requestKeyframe. When it returns the camera's cached GOP
   * (keyframe first), the Viewer sends it faster than real time (OutboundTrack.replay), so the browser shows
   * the live picture without waiting for the camera's next keyframe.
   */
  requestKeyframe?: () => readonly MediaFrame[] | void;
  /**
   * Two-way audio: the camera's backchannel format (talk/talkPlan.ts talkFormatOf). The audio section
   * then receives the browser's audio too (sendrecv; recvonly when the camera's audio is not carried).
   */
  talk?: CameraTalkFormat;
  logger: Logger;
}

export interface ViewerStats {
  framesSent: number;
  packetsSent: number;
  /** RTP bytes of those packets (12-byte header and payload; SRTP's tag and retransmissions apart). */
  bytesSent: number;
  /** Frames dropped while waiting for a keyframe. */
  framesSkipped: number;
  /** Frames that failed to go out (werift threw or rejected). */
  sendErrors: number;
  /** Cached GOPs sent (connect, play, PLI) and the frames they held. */
  replays: number;
  framesReplayed: number;
  /** PLIs from the browser (answered from the GOP cache, at most one per PLI_REPLAY_INTERVAL_MS). */
  pliReceived: number;
  /** RTCP generic NACK messages from the browser (each may name several lost packets). */
  nacksReceived: number;
  /** Packets sent again for the browser's NACKs (by camrtc's writer or werift's cache). */
  retransmitted: number;
  /**
   * Who writes the RTP: 'camrtc' (RtpWriter, AES-128-GCM), 'werift' (its RTCRtpSender: another SRTP
   * profile was negotiated), or 'none' before the connection is up (see RtpOutput).
   */
  rtpPath: RtpPath | 'none';
}

/** What the viewer's peer connection reports (werift's getStats), for the control API. */
export interface ViewerNetworkStats {
  /** RTP payload bytes and packets sent (as in RTCP sender reports; retransmissions apart). */
  bytesSent: number;
  packetsSent: number;
  /** From the browser's RTCP receiver reports, once one arrived: packets lost (all tracks). */
  packetsLost?: number;
  /** The largest fraction lost (0-1) of any track in its last receiver report. */
  fractionLost?: number;
  /** Round-trip time in ms (video's when known, from RTCP sender and receiver reports). */
  rttMs?: number;
}
