/**
 * A camera configured as a recording (an NVR playback URL that accepts `Range`): each lease gets its
 * own UpstreamFeed, so pause, play and seek map one to one onto RTSP PAUSE and PLAY with
 * `Range: npt=` (docs/architecture.md "Pause and play"). The feed is the same as a live camera's:
 * track selection, AAC transcoding, SSRC watch, backoff and states are shared, not repeated.
 */
import { CamrtcError } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraConfig } from '../config/Config.js';
import { Backoff } from './Backoff.js';
import type { Camera, CameraEvents, CameraLease, FrameSink } from './Camera.js';
import { cameraInfo, sameStatus, unplayable, type CameraStatus } from './CameraState.js';
import { CameraCounters } from './CameraCounters.js';
import { FanOut } from './FanOut.js';
import { GopCache } from './GopCache.js';
import type { MediaFrame } from './MediaFrame.js';
import { TracksWaiters } from './TracksWaiters.js';
import { UpstreamFeed, type UpstreamFactory } from './UpstreamFeed.js';

/** `Range: npt=` value for a position; millisecond precision is what RTSP servers commonly accept. */
export function nptRange(seconds: number): string {
  return `npt=${seconds.toFixed(3)}-`;
}

export interface RecordingCameraOptions {
  camera: CameraConfig;
  logger?: Logger;
  createSession?: UpstreamFactory;
  /** Backoff per viewer's feed; default the same as live cameras. */
  backoff?: () => Backoff;
  mediaTimeoutMs?: number;
}

/** One viewer's own feed of the recording. */
class Playback implements CameraLease {
  /** The one viewer's sink (a fan-out of one: the same failure handling as a live camera's). */
  readonly #out: FanOut;
  /** Where the last seek went, so a reconnect resumes there rather than at the start. */
  position: number | undefined;
  released = false;
  readonly feed: UpstreamFeed;
  /**
   * The GOP since the last keyframe: the NVR starts each PLAY at a keyframe, usually before the
   * viewer's peer connection is up; replaying it shows the first picture at once instead of a
   * whole GOP later.
   */
  readonly #gop = new GopCache();

  constructor(
    readonly camera: RecordingCamera,
    options: RecordingCameraOptions,
    logger: Logger,
    private readonly onRelease: (p: Playback) => void,
  ) {
    this.#out = new FanOut(logger);
    this.feed = new UpstreamFeed({
      camera: options.camera,
      logger,
      onFrame: (frame) => this.#deliver(frame),
      ...(options.createSession ? { createSession: options.createSession } : {}),
      backoff: options.backoff?.() ?? new Backoff(),
      range: () => (this.position !== undefined ? nptRange(this.position) : undefined),
      counters: camera.counters,
      ...(options.mediaTimeoutMs !== undefined ? { mediaTimeoutMs: options.mediaTimeoutMs } : {}),
    });
  }

  subscribe(sink: FrameSink | undefined): void {
    if (this.released) return;
    this.#out.clear();
    if (sink) this.#out.add(sink);
  }
  setPlaying(playing: boolean): void {
    if (!this.released) this.feed.setPaused(!playing).catch(() => undefined);
  }
  requestKeyframe(): readonly MediaFrame[] {
    if (this.released) return [];
    const frames = this.#gop.frames();
    if (frames.length === 0) this.feed.requestKeyframe();
    return frames;
  }
  seek(seconds: number): Promise<void> {
    if (this.released) return Promise.reject(new CamrtcError('ERR_CLOSED', 'the viewer left the recording'));
    if (!Number.isFinite(seconds) || seconds < 0) return Promise.reject(new CamrtcError('ERR_SIGNALING_INVALID', 'seek needs a position of 0 s or more'));
    this.position = seconds;
    this.#gop.clear();
    return this.feed.playFrom(nptRange(seconds));
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.#out.clear();
    this.onRelease(this);
    void this.feed.close();
  }

  #deliver(frame: MediaFrame): void {
    if (frame.kind === 'video') this.#gop.push(frame);
    this.#out.deliver(frame);
  }
}

export class RecordingCamera extends TypedEmitter<CameraEvents> implements Camera {
  readonly name: string;
  readonly seekable = true;
  /** Every viewer's feed counts here: the camera's totals. */
  readonly counters = new CameraCounters();
  readonly #options: RecordingCameraOptions;
  readonly #log: Logger;
  readonly #playbacks = new Set<Playback>();
  readonly #waiters = new TracksWaiters();
  /** Every viewer's own feed together: what the NVR sends this server. */
  #status: CameraStatus = { state: 'idle' };
  #tracks: readonly Track[] | undefined;
  #closed = false;

  constructor(options: RecordingCameraOptions) {
    super();
    this.#options = options;
    this.name = options.camera.name;
    this.#log = (options.logger ?? silentLogger()).child({ camera: this.name, recording: true });
  }

  get status(): CameraStatus {
    return this.#status;
  }
  get knownTracks(): readonly Track[] | undefined {
    return this.#tracks;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Media bits per second from the NVR, all viewers' sessions together (last second). */
  /** Upstream RTSP sessions open now (one per viewer). */
  get sessionCount(): number {
    let n = 0;
    for (const p of this.#playbacks) if (p.feed.running) n++;
    return n;
  }

  info(): CameraInfo {
    return cameraInfo(this.name, this.#status, this.#tracks);
  }

  tracks(): Promise<readonly Track[]> {
    if (this.#closed) return Promise.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    if (this.#tracks) return Promise.resolve(this.#tracks);
    if (this.#status.state === 'unplayable') return Promise.reject(unplayable(this.name, this.#status));
    return this.#waiters.wait();
  }

  acquire(): CameraLease {
    const playback = new Playback(this, this.#options, this.#log, (p) => this.#release(p));
    if (this.#closed) {
      playback.released = true;
      return playback;
    }
    this.#playbacks.add(playback);
    playback.feed.on('status', () => this.#updateStatus());
    playback.feed.on('tracks', (tracks, compatible) => {
      const first = this.#tracks === undefined;
      this.#tracks = tracks;
      this.#waiters.resolve(tracks);
      if (first || !compatible) this.safeEmit('tracks', tracks, compatible);
    });
    playback.feed.start();
    return playback;
  }

  /** Tells the viewers why (`closed` event), TEARDOWN of every viewer's session, rejects pending waiters. Idempotent. */
  async close(reason?: CamrtcError): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.safeEmit('closed', reason ?? new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    const playbacks = [...this.#playbacks];
    this.#playbacks.clear();
    this.#waiters.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    for (const p of playbacks) p.released = true;
    await Promise.all(playbacks.map((p) => p.feed.close()));
    this.removeAllListeners();
  }

  #release(playback: Playback): void {
    this.#playbacks.delete(playback);
    this.#updateStatus();
  }

  /**
   * The camera's status for lists and viewers: live when any viewer's feed is, otherwise the most
   * hopeful of the others, idle without viewers.
   */
  #updateStatus(): void {
    const states = [...this.#playbacks].map((p) => p.feed.status);
    const order: CameraStatus['state'][] = ['live', 'waiting', 'connecting', 'retrying', 'unplayable'];
    let next: CameraStatus = { state: 'idle' };
    for (const state of order) {
      const found = states.find((s) => s.state === state);
      if (found) {
        next = found;
        break;
      }
    }
    const prev = this.#status;
    if (sameStatus(prev, next)) return;
    this.#status = next;
    if (next.state === 'unplayable') this.#waiters.reject(unplayable(this.name, next));
    this.safeEmit('status', next);
  }
}
