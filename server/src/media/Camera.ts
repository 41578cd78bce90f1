/**
 * The viewer-facing side of a configured camera. Demand is apart from delivery: a viewer's session
 * holds a CameraLease (it starts the camera, keeps it, and lets the idle timer run when released);
 * the frames go straight from the camera's fan-out to the sink that subscribed through the lease,
 * never through the signaling layer. LiveCamera and RecordingCamera implement it.
 */
import type { Track } from '../sdp/Track.js';
import type { MediaFrame } from './MediaFrame.js';
import type { CameraStatus } from './CameraState.js';
import type { CameraCounters } from './CameraCounters.js';
import type { CameraInfo, StreamName } from '../../../shared/protocol.js';
import type { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { BackchannelSession } from '../rtsp/BackchannelSession.js';

/**
 * Something that receives a camera's frames in the same tick they arrive: a Viewer (one peer
 * connection), a probe, a test. Must never block or throw: a slow sink drops on its own side.
 */
export interface FrameSink {
  onFrame(frame: MediaFrame): void;
  /**
   * The sink serves the camera's own codecs (the RTSP restream): of a track browsers get transcoded
   * it takes the 'camera' frames, and its subscription starts no transcoder. Others (browsers) take
   * the 'transcoded' ones, and a live camera transcodes while any of them is subscribed.
   */
  readonly cameraCodecs?: boolean;
}

export type CameraEvents = {
  status: [CameraStatus];
  /**
   * The tracks viewers get are known (first DESCRIBE) or changed. `compatible` false: the camera came
   * back with other media or codecs, and viewers made for the previous tracks must renegotiate.
   */
  tracks: [readonly Track[], boolean];
  /**
   * The camera is closed, for this reason (ERR_CAMERA_REMOVED, ERR_CAMERA_CHANGED at run time,
   * ERR_CLOSED at shutdown): its viewers' sessions end with it. Once, before the listeners go.
   */
  closed: [CamrtcError];
};

/** One viewer's hold on a camera. Every method is safe after release() (it does nothing). */
export interface CameraLease {
  readonly camera: Camera;
  /** Frames for this viewer go to `sink` from now on (one sink per lease; undefined detaches). */
  subscribe(sink: FrameSink | undefined): void;
  /**
   * The viewer plays (true) or paused (false). A live camera is sent RTSP PAUSE only when none of its
   * viewers plays; a recording's own session is paused and resumed one to one.
   */
  setPlaying(playing: boolean): void;
  /**
   * The viewer needs a keyframe (start, play, PLI, camera restart): the one keyframe path. Returns the
   * cached GOP (keyframe first, frames of one generation) to replay at once, or empty; then the camera
   * is asked upstream, at most once per UPSTREAM_KEYFRAME_INTERVAL_MS whatever the number of viewers.
   */
  requestKeyframe(): readonly MediaFrame[];
  /** Recordings: plays from `seconds` into the recording. Live cameras reject with ERR_NOT_SEEKABLE. */
  seek(seconds: number): Promise<void>;
  /** Ends the hold; the camera stops a while after its last lease is released. Idempotent. */
  release(): void;
}

export interface Camera {
  readonly name: string;
  readonly status: CameraStatus;
  /** True for recordings (NVR playback URLs): each viewer has its own session and can seek. */
  readonly seekable: boolean;
  /** What the camera received and went through since the server started (/metrics). */
  readonly counters: CameraCounters;
  /** Tracks viewers get (video first, at most one video and one audio), once known. */
  readonly knownTracks: readonly Track[] | undefined;
  /**
   * Resolves with the tracks once the camera has been described (at once if known). Rejects when the
   * camera is closed (ERR_CLOSED) or unplayable (its error); while the camera is unreachable it keeps
   * waiting (status events say why), because the camera may come back.
   */
  tracks(): Promise<readonly Track[]>;
  /**
   * Two-way audio: the camera's ONVIF audio backchannel (its a=sendonly audio track) as its last
   * DESCRIBE showed it; undefined when it has none, talk is off for it, or it is not a live camera.
   */
  readonly backchannel?: Track;
  /** A new RTSP session that sets up the backchannel and sends to it (talk/CameraTalk.ts starts and closes it). */
  openBackchannel?(logger: Logger): BackchannelSession;
  /** Demand: starts the camera on the first lease (on demand). */
  acquire(): CameraLease;
  /**
   * The camera's sub stream as a camera of its own (a live camera configured with `substream`): its
   * own feed, GOP cache and idle timer, pulled only while a lease on it is held. Undefined: the
   * camera has one stream. The camera itself is its main stream.
   */
  readonly substream?: Camera;
  /** The video's picture size, once a keyframe of it was seen (H.264); undefined otherwise. */
  videoSize?(): { width: number; height: number } | undefined;
  info(): CameraInfo;
  /**
   * The camera as a viewer whose browser does (`h265` true) or does not decode H.265 gets it: itself,
   * or its H.264 transcode (`transcode` setting). Absent: itself.
   */
  viewFor?(h265: boolean): Camera;
  on<K extends keyof CameraEvents>(event: K, listener: (...args: CameraEvents[K]) => void): this;
  off<K extends keyof CameraEvents>(event: K, listener: (...args: CameraEvents[K]) => void): this;
  /** Stops the camera; `reason` (default ERR_CLOSED) goes to its viewers in the `closed` event. */
  close(reason?: CamrtcError): Promise<void>;
}

/** Stream `name` of `camera`: its sub stream for `sub` when it has one, the camera (main) otherwise. */
export function streamOf(camera: Camera, name: StreamName): Camera {
  return name === 'sub' && camera.substream ? camera.substream : camera;
}

/** The set of configured cameras, by name. */
export interface CameraDirectory {
  get(name: string): Camera | undefined;
  list(): CameraInfo[];
}
