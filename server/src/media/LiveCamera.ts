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
import { sizeFromPayloads } from '../rtp/h264/pictureSize.js';
import { FanOut } from './FanOut.js';
import { GopCache } from './GopCache.js';
import type { MediaFrame } from './MediaFrame.js';
import { TracksWaiters } from './TracksWaiters.js';
import { UpstreamFeed, type UpstreamFactory } from './UpstreamFeed.js';
import { BackchannelSession } from '../rtsp/BackchannelSession.js';
import { TranscodedCamera } from '../transcode/TranscodedCamera.js';
import { findFfmpeg } from '../audio/ffmpeg.js';

export interface LiveCameraOptions {
  camera: CameraConfig;
  logger?: Logger;
  createSession?: UpstreamFactory;
  backoff?: Backoff;
  /** Default MEDIA_TIMEOUT_MS. */
  mediaTimeoutMs?: number;
  /** Where the feed counts what it receives (a sub stream counts in its camera's). Default: its own. */
  counters?: CameraCounters;
}

export const H265_WARNING = 'H.265 video: only browsers that decode H.265 play it (Safari, Chromium with hardware decoding); others are refused';
export const H265_NO_FFMPEG_WARNING = 'H.265 video set to transcode to H.264, but ffmpeg is not installed: only browsers that decode H.265 play it';

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
  /** The camera's sub stream (`substream`): a LiveCamera of its own, closed with this one. */
  readonly #sub: LiveCamera | undefined;
  #videoSize: { width: number; height: number } | undefined;
  /** Its H.264 view, for viewers without H.265 (`transcode` setting). */
  readonly #transcoded: TranscodedCamera | undefined;
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
      // Two-way audio unless turned off: DESCRIBE asks for the backchannel (cameras that refuse are remembered).
      backchannel: options.camera.talk !== false,
      ...(options.counters ? { counters: options.counters } : {}),
    });
    this.#sub = subStream(options, this.#feed.counters);
    this.#feed.on('status', (status) => this.#statusChanged(status));
    this.#feed.on('restart', () => this.#gop.clear());
    this.#feed.on('tracks', (tracks, compatible) => {
      this.#waiters.resolve(tracks);
      this.safeEmit('tracks', tracks, compatible);
    });
    if (this.#camera.transcode) this.#transcoded = new TranscodedCamera({ inner: this, logger: this.#log });
    if (this.#camera.preload) this.#feed.start();
  }

  viewFor(h265: boolean): Camera {
    if (!this.#transcoded || (this.#camera.transcode === 'auto' && h265)) return this;
    // A camera known to send H.264 needs no view; one not described yet may turn out H.265.
    const video = this.#feed.tracks?.find((t) => t.kind === 'video');
    return video && video.codec !== 'H265' ? this : this.#transcoded;
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
  get backchannel(): Track | undefined {
    return this.#feed.backchannel;
  }

  openBackchannel(logger: Logger): BackchannelSession {
    const c = this.#camera;
    return new BackchannelSession({
      url: c.url,
      username: c.username,
      password: c.password,
      cameraName: c.name,
      tlsInsecure: c.tlsInsecure,
      logger,
      ...(c.connectTimeoutMs !== undefined ? { connectTimeoutMs: c.connectTimeoutMs } : {}),
      ...(c.readTimeoutMs !== undefined ? { readTimeoutMs: c.readTimeoutMs } : {}),
    });
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** The sub stream, when the camera names one (Camera.substream). */
  get substream(): LiveCamera | undefined {
    return this.#sub;
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
    // Transcoded for every browser that needs it: nothing to warn about, unless ffmpeg is missing.
    const warning = !h265
      ? undefined
      : !this.#transcoded
        ? { code: 'ERR_CODEC_UNSUPPORTED' as const, message: H265_WARNING }
        : findFfmpeg() === undefined
          ? { code: 'ERR_FFMPEG_MISSING' as const, message: H265_NO_FFMPEG_WARNING }
          : undefined;
    const sub = this.#sub?.status;
    return {
      ...cameraInfo(this.name, status, tracks),
      ...(warning ? { warning } : {}),
      ...(sub ? { substream: { state: sub.state, ...(sub.error ? { error: sub.error } : {}) } } : {}),
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

  /** The picture size of the last keyframe asked about (read from its SPS when a GOP is cached). */
  videoSize(): { width: number; height: number } | undefined {
    const keyframe = this.#gop.size > 0 ? this.#gop.frames()[0] : undefined;
    if (keyframe && this.#feed.tracks?.find((t) => t.index === keyframe.trackIndex)?.codec === 'H264') {
      this.#videoSize = sizeFromPayloads(keyframe.payloads) ?? this.#videoSize;
    }
    return this.#videoSize;
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
    await this.#transcoded?.close();
    await Promise.all([this.#feed.close(), this.#sub?.close(reason)]);
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

/**
 * The sub stream of a camera configured with `substream`: the same camera settings with the sub
 * stream's URL, never preloaded (it is pulled only while a viewer watches it), counting in the
 * camera's counters. Recordings have none.
 */
function subStream(options: LiveCameraOptions, counters: CameraCounters): LiveCamera | undefined {
  const { substream, ...camera } = options.camera;
  if (substream === undefined || camera.recording) return undefined;
  // A backoff keeps a feed's failures: the sub stream's are its own.
  const { backoff: _backoff, ...shared } = options;
  return new LiveCamera({
    ...shared,
    camera: { ...camera, url: substream, preload: false },
    logger: (options.logger ?? silentLogger()).child({ stream: 'sub' }),
    counters,
  });
}
