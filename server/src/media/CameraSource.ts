import type { Track } from '../sdp/Track.js';
import type { MediaFrame } from './MediaFrame.js';
import type { CameraStatus } from './CameraState.js';
import type { CameraInfo } from '../../../shared/protocol.js';

/**
 * Something that receives a camera's frames in the same tick they arrive: a Viewer (one peer
 * connection), a probe, a test. Must never block or throw: a slow sink drops on its own side.
 */
export interface FrameSink {
  onFrame(frame: MediaFrame): void;
}

export type CameraSourceEvents = {
  status: [CameraStatus];
  /** The forwarded tracks are known (first DESCRIBE) or changed. */
  tracks: [readonly Track[]];
};

/**
 * The viewer-facing side of a Source (server/src/media/Source.ts): one per configured camera, shared by
 * all its viewers. The signaling and WebRTC layers only see this interface.
 */
export interface CameraSource {
  readonly name: string;
  readonly status: CameraStatus;
  /** Tracks forwarded to viewers (video first, at most one video and one audio), once known. */
  readonly knownTracks: readonly Track[] | undefined;
  /**
   * Resolves with the forwarded tracks once the camera has been described (immediately if already
   * known). Rejects with CamrtcError only when the source is closed; while the camera is unreachable
   * it keeps waiting (status events say why), because the camera may come back.
   */
  tracks(): Promise<readonly Track[]>;
  /** Attaches a sink; the first sink starts the upstream RTSP session (on demand). */
  addSink(sink: FrameSink): void;
  /** Detaches; the upstream stops a while after the last sink leaves. */
  removeSink(sink: FrameSink): void;
  /**
   * The sink's viewer paused (false) or plays again (true). When no sink of the camera plays, the
   * camera receives RTSP PAUSE (unless it refused PAUSE before); the first play sends RTSP PLAY.
   * Forwarding to a paused sink is the sink's own business (it drops frames).
   */
  setSinkPlaying(sink: FrameSink, playing: boolean): void;
  /**
   * A viewer needs a keyframe (start, play, PLI, camera restart). Returns the cached GOP (keyframe
   * first, frames of one generation) for the viewer to replay at once, or nothing/empty when none is
   * cached; then the camera may be asked upstream (rate-limited) and the viewer waits for the next
   * keyframe.
   */
  requestKeyframe(): readonly MediaFrame[] | void;
  info(): CameraInfo;
  on<K extends keyof CameraSourceEvents>(event: K, listener: (...args: CameraSourceEvents[K]) => void): this;
  off<K extends keyof CameraSourceEvents>(event: K, listener: (...args: CameraSourceEvents[K]) => void): this;
}

/** The set of configured cameras, by name. */
export interface CameraDirectory {
  get(name: string): CameraSource | undefined;
  list(): CameraInfo[];
}
