/**
 * A live camera: one UpstreamFeed shared by all its viewers (invariant 1), a fan-out of its frames,
 * the current GOP for instant starts, and an idle timer. Leases are the demand: the first starts the
 * feed, the last one's release lets the idle timer stop it (unless the camera is `preload`). A
 * camera failure is a state, never a crash (invariant 4): sinks stay subscribed and frames resume
 * when the camera is back, with a new generation that tells viewers to re-base timestamps.
 */
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraConfig } from '../config/Config.js';
import type { Backoff } from './Backoff.js';
import type { Camera, CameraEvents, CameraLease, FrameSink } from './Camera.js';
import { cameraInfo, unplayable, type CameraStatus } from './CameraState.js';
import type { CameraCounters } from './CameraCounters.js';
import { FanOut } from './FanOut.js';
import { GopCache } from './GopCache.js';
import type { MediaFrame } from './MediaFrame.js';
import { TracksWaiters } from './TracksWaiters.js';
import { UpstreamFeed, type UpstreamFactory } from './UpstreamFeed.js';

export interface LiveCameraOptions {
  camera: CameraConfig;
  logger?: Logger;
  createSession?: UpstreamFactory;
  backoff?: Backoff;
  /** Default MEDIA_TIMEOUT_MS. */
  mediaTimeoutMs?: number;
}

export const H265_WARNING = 'H.265 video: only browsers that decode H.265 play it (Safari, Chromium with hardware decoding); others are refused';

class LiveLease implements CameraLease {
  sink: FrameSink | undefined;
  playing = true;
  released = false;
  constructor(readonly camera: LiveCamera, private readonly owner: { subscribe(l: LiveLease, s: FrameSink | undefined): void; playing(l: LiveLease): void; release(l: LiveLease): void }) {}

  subscribe(sink: FrameSink | undefined): void {
    if (!this.released) this.owner.subscribe(this, sink);
  }
  setPlaying(playing: boolean): void {
    if (this.released || this.playing === playing) return;
    this.playing = playing;
    this.owner.playing(this);
  }
  requestKeyframe(): readonly MediaFrame[] {
    return this.released ? [] : this.camera.requestKeyframe();
  }
  seek(): Promise<void> {
    return Promise.reject(new CamrtcError('ERR_NOT_SEEKABLE', `camera '${this.camera.name}' is live, not a recording: it cannot seek`));
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.release(this);
  }
}

export class LiveCamera extends TypedEmitter<CameraEvents> implements Camera {
  readonly name: string;
  readonly seekable = false;
  readonly #camera: CameraConfig;
  readonly #log: Logger;
  readonly #feed: UpstreamFeed;
  readonly #fanOut: FanOut;
  readonly #leases = new Set<LiveLease>();
  /** The current GOP of the video track, replayed to viewers that start or lost their picture. */
  readonly #gop = new GopCache();
  readonly #waiters = new TracksWaiters();
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: LiveCameraOptions) {
    super();
    this.#camera = options.camera;
    this.name = options.camera.name;
    this.#log = (options.logger ?? silentLogger()).child({ camera: this.name });
    this.#fanOut = new FanOut(this.#log);
    this.#feed = new UpstreamFeed({
      camera: options.camera,
      logger: this.#log,
      onFrame: (frame) => this.#deliver(frame),
      // Until a browser subscribes: RTSP clients take the camera's AAC as it comes.
      transcode: false,
      ...(options.createSession ? { createSession: options.createSession } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.mediaTimeoutMs !== undefined ? { mediaTimeoutMs: options.mediaTimeoutMs } : {}),
    });
    this.#feed.on('status', (status) => this.#statusChanged(status));
    this.#feed.on('restart', () => this.#gop.clear());
    this.#feed.on('tracks', (tracks, compatible) => {
      this.#waiters.resolve(tracks);
      this.safeEmit('tracks', tracks, compatible);
    });
    if (this.#camera.preload) this.#feed.start();
  }

  get status(): CameraStatus {
    return this.#feed.status;
  }
  get counters(): CameraCounters {
    return this.#feed.counters;
  }
  get knownTracks(): readonly Track[] | undefined {
    return this.#feed.tracks;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Leases held now (viewers watching or about to). */
  get leaseCount(): number {
    return this.#leases.size;
  }
  /** Media bits per second from the camera (frame payloads, last second). */
  /** True while the camera itself is paused (RTSP PAUSE accepted). */
  get cameraPaused(): boolean {
    return this.#feed.paused;
  }

  info(): CameraInfo {
    const status = this.#feed.status;
    const tracks = this.#feed.tracks;
    const h265 = status.state === 'live' && tracks?.some((t) => t.codec === 'H265');
    return {
      ...cameraInfo(this.name, status, tracks),
      ...(h265 ? { warning: { code: 'ERR_CODEC_UNSUPPORTED', message: H265_WARNING } } : {}),
    };
  }

  tracks(): Promise<readonly Track[]> {
    if (this.#closed) return Promise.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    const status = this.#feed.status;
    if (status.state === 'unplayable' && !this.#feed.running) return Promise.reject(unplayable(this.name, status));
    const tracks = this.#feed.tracks;
    // Known tracks of a camera that is not connected may be stale; wait for a fresh DESCRIBE only
    // when the camera never described them.
    if (tracks) return Promise.resolve(tracks);
    return this.#waiters.wait();
  }

  acquire(): CameraLease {
    const lease = new LiveLease(this, {
      subscribe: (l, sink) => this.#subscribe(l, sink),
      playing: () => this.#reconcilePause(),
      release: (l) => this.#release(l),
    });
    if (this.#closed) {
      lease.released = true;
      return lease;
    }
    this.#leases.add(lease);
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#reconcilePause();
    this.#feed.start();
    return lease;
  }

  /**
   * A viewer needs a keyframe: returns the cached GOP (keyframe first) for it to replay, which is
   * instant. Only when nothing is cached is the camera asked (RTCP PLI), rate-limited by the feed.
   */
  requestKeyframe(): readonly MediaFrame[] {
    const frames = this.#gop.frames();
    if (frames.length === 0) this.#feed.requestKeyframe();
    return frames;
  }

  /** The cached GOP (keyframe first; empty when none). */
  cachedGop(): readonly MediaFrame[] {
    return this.#gop.frames();
  }

  /**
   * Stops the upstream (TEARDOWN), tells the viewers why (`closed` event), releases every lease,
   * rejects pending waiters. Idempotent.
   */
  async close(reason?: CamrtcError): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.safeEmit('closed', reason ?? new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    clearTimeout(this.#idleTimer);
    for (const lease of this.#leases) lease.released = true;
    this.#leases.clear();
    this.#fanOut.clear();
    this.#waiters.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    await this.#feed.close();
    this.removeAllListeners();
  }

  #subscribe(lease: LiveLease, sink: FrameSink | undefined): void {
    if (lease.sink) this.#fanOut.delete(lease.sink);
    lease.sink = sink;
    if (sink) this.#fanOut.add(sink);
    this.#reconcileTranscoding();
  }

  #release(lease: LiveLease): void {
    if (lease.sink) this.#fanOut.delete(lease.sink);
    lease.sink = undefined;
    this.#reconcileTranscoding();
    if (!this.#leases.delete(lease)) return;
    if (this.#leases.size > 0) this.#reconcilePause();
    if (this.#leases.size > 0 || this.#camera.preload || this.#closed) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#leases.size === 0) {
        this.#gop.clear();
        void this.#feed.stop('no viewers');
      }
    }, this.#camera.idleTimeoutMs);
  }

  /** AAC is transcoded for browsers while one is subscribed (an RTSP-only audience costs no ffmpeg). */
  #reconcileTranscoding(): void {
    let browsers = false;
    for (const l of this.#leases) if (l.sink && !l.sink.cameraCodecs) browsers = true;
    this.#feed.setTranscoding(browsers);
  }

  /**
   * A live camera is shared: it is paused only when every viewer paused (docs/architecture.md "Pause
   * and play"), and the first viewer to play again resumes it.
   */
  #reconcilePause(): void {
    let playing = 0;
    for (const l of this.#leases) if (l.playing) playing++;
    const paused = this.#leases.size > 0 && playing === 0;
    if (paused === this.#feed.paused) return;
    this.#feed.setPaused(paused).catch((err: unknown) => this.#log.error({ err }, 'pause/play failed'));
  }

  #statusChanged(status: CameraStatus): void {
    // A picture from before a drop would be replayed to new viewers as if live.
    if (status.state !== 'live' && status.state !== 'waiting') this.#gop.clear();
    if (status.state === 'unplayable') this.#waiters.reject(unplayable(this.name, status));
    // Viewers that paused while the camera was away keep it paused now that it is back.
    if (status.state === 'waiting' || status.state === 'live') this.#reconcilePause();
    this.safeEmit('status', status);
  }

  #deliver(frame: MediaFrame): void {
    // Cached before delivery: a viewer that asks for a keyframe from inside onFrame gets this frame too.
    if (frame.kind === 'video') this.#gop.push(frame);
    this.#fanOut.deliver(frame);
  }
}
