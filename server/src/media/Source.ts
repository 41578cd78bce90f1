/**
 * One configured camera, shared by all its viewers (invariant 1: one upstream RTSP session per camera).
 * Starts the RtspSession when the first sink arrives, stops it idleTimeoutMs after the last leaves,
 * reconnects with backoff when the camera fails or drops. A camera failure is a state, never a crash:
 * sinks stay attached and frames resume when the camera is back (the `generation` of frames tells
 * viewers to re-base timestamps).
 */
import { performance } from 'node:perf_hooks';
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { redactText, redactUrl } from '../log/redact.js';
import { RtspSession, type RtspSessionOptions } from '../rtsp/RtspSession.js';
import { selectPlayableTracks } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { CameraInfo } from '../../../shared/protocol.js';
import { ParameterSets } from '../rtp/h264/ParameterSets.js';
import { Backoff } from './Backoff.js';
import { GopCache } from './GopCache.js';
import type { CameraSource, CameraSourceEvents, FrameSink } from './CameraSource.js';
import type { CameraStatus } from './CameraState.js';
import type { MediaFrame } from './MediaFrame.js';
import { createTrackPipeline, isAac, isForwardable, presentedTrack, type PipelineOutput, type TrackPipeline } from './TrackPipeline.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import type { CameraConfig } from '../config/Config.js';
import { sessionOptions } from './sessionOptions.js';

/** The subset of RtspSession a Source uses; injectable for tests. */
export interface UpstreamSession {
  start(): Promise<{ tracks: readonly Track[] }>;
  /** RTSP PAUSE; rejects when the camera refuses it. */
  pause(): Promise<void>;
  /** RTSP PLAY after pause(). */
  play(): Promise<void>;
  close(): Promise<void>;
  /**
   * Asks the camera for a keyframe on a track (RTCP PLI). Optional: most cameras ignore it, and
   * the GOP cache is what makes a viewer's first picture fast.
   */
  requestKeyframe?(trackIndex: number): void;
  on(event: 'rtp', listener: (trackIndex: number, packet: Buffer) => void): unknown;
  on(event: 'close', listener: (error?: CamrtcError) => void): unknown;
}
export type UpstreamFactory = (options: RtspSessionOptions) => UpstreamSession;

export interface SourceOptions {
  camera: CameraConfig;
  logger?: Logger;
  createSession?: UpstreamFactory;
  backoff?: Backoff;
}

/** At most one decode-error log line per camera per this many ms. */
const DECODE_ERROR_LOG_INTERVAL_MS = 10_000;
/** At most one keyframe request to the camera per this many ms, whatever the viewers ask. */
export const UPSTREAM_KEYFRAME_INTERVAL_MS = 5_000;

/**
 * The track as viewers must be told about it: an H.264 SPS from `sprop-parameter-sets` is the truth
 * about the profile, whatever (or whether) the SDP says in `profile-level-id`.
 */
function honestTrack(track: Track): Track {
  if (track.codec !== 'H264') return track;
  const sprop = track.fmtp['sprop-parameter-sets'];
  const fromSps = sprop ? new ParameterSets(sprop).profileLevelId : undefined;
  if (!fromSps || fromSps === track.fmtp['profile-level-id']?.toLowerCase()) return track;
  return { ...track, fmtp: { ...track.fmtp, 'profile-level-id': fromSps } };
}

/** Forwarded tracks: first H.264 video and first browser-decodable audio. */
function forwardedTracks(tracks: readonly Track[]): Track[] {
  return selectPlayableTracks(tracks).filter(isForwardable);
}

export class Source extends TypedEmitter<CameraSourceEvents> implements CameraSource {
  readonly name: string;
  private readonly camera: CameraConfig;
  private readonly log: Logger;
  private readonly createSession: UpstreamFactory;
  private readonly backoff: Backoff;
  private readonly sinks = new Set<FrameSink>();
  /** Sinks whose viewer paused. When every sink is paused, the camera is sent RTSP PAUSE. */
  private readonly pausedSinks = new Set<FrameSink>();
  private upstreamPaused = false;
  /** The camera answered PAUSE with an error once: from then on pausing only stops forwarding. */
  private pauseRefused = false;
  /** PAUSE/PLAY requests run one at a time, in order. */
  private pauseChain: Promise<void> = Promise.resolve();

  private _status: CameraStatus = { state: 'idle' };
  private _tracks: readonly Track[] | undefined;
  private tracksWaiters: Array<{ resolve: (t: readonly Track[]) => void; reject: (e: Error) => void }> = [];

  private session: UpstreamSession | undefined;
  private pipelines = new Map<number, TrackPipeline>();
  private generation = 0;
  private running = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private connectedAt = 0;
  private lastDecodeErrorLog = 0;
  /** The current GOP of the video track, replayed to viewers that start or lost their picture. */
  private readonly gop = new GopCache();
  private lastUpstreamKeyframeRequest = -Infinity;
  private bFramesWarned = false;
  private aacWarned = false;
  private decodeErrors = 0;
  private _closed = false;

  constructor(options: SourceOptions) {
    super();
    this.camera = options.camera;
    this.name = options.camera.name;
    this.log = (options.logger ?? silentLogger()).child({ camera: this.name });
    this.createSession = options.createSession ?? ((o) => new RtspSession(o));
    this.backoff = options.backoff ?? new Backoff();
    if (this.camera.preload) this.ensureRunning();
  }

  get status(): CameraStatus {
    return this._status;
  }
  get knownTracks(): readonly Track[] | undefined {
    return this._tracks;
  }
  get closed(): boolean {
    return this._closed;
  }
  get sinkCount(): number {
    return this.sinks.size;
  }

  info(): CameraInfo {
    return {
      name: this.name,
      state: this._status.state,
      ...(this._tracks ? { codecs: this._tracks.map((t) => t.codec) } : {}),
      ...(this._status.error ? { error: { ...this._status.error } } : {}),
    };
  }

  tracks(): Promise<readonly Track[]> {
    if (this._closed) return Promise.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    if (this._tracks) return Promise.resolve(this._tracks);
    return new Promise((resolve, reject) => this.tracksWaiters.push({ resolve, reject }));
  }

  addSink(sink: FrameSink): void {
    if (this._closed) return;
    this.sinks.add(sink);
    this.pausedSinks.delete(sink);
    this.reconcilePause();
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    this.ensureRunning();
  }

  removeSink(sink: FrameSink): void {
    this.pausedSinks.delete(sink);
    if (!this.sinks.delete(sink)) return;
    if (this.sinks.size > 0) this.reconcilePause();
    if (this.sinks.size > 0 || this.camera.preload || this._closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.sinks.size === 0) void this.stopUpstream('no viewers');
    }, this.camera.idleTimeoutMs);
  }

  setSinkPlaying(sink: FrameSink, playing: boolean): void {
    if (!this.sinks.has(sink)) return;
    if (playing) this.pausedSinks.delete(sink);
    else this.pausedSinks.add(sink);
    this.reconcilePause();
  }

  /** True while the camera itself is paused (RTSP PAUSE accepted). */
  get cameraPaused(): boolean {
    return this.upstreamPaused;
  }

  private reconcilePause(): void {
    this.pauseChain = this.pauseChain.then(() => this.applyPause()).catch((err) => this.log.error({ err }, 'pause/play failed'));
  }

  /**
   * A live camera is shared: it is paused only when every viewer paused (ARCHITECTURE "Pause and
   * play"), and the first viewer to play again resumes it.
   */
  private async applyPause(): Promise<void> {
    const session = this.session;
    if (!session || this._status.state !== 'live' || this._closed) return;
    const wantPaused = this.sinks.size > 0 && this.pausedSinks.size === this.sinks.size;
    if (wantPaused && !this.upstreamPaused && !this.pauseRefused) {
      try {
        await session.pause();
        if (this.session !== session) return;
        this.upstreamPaused = true;
        this.log.info('every viewer paused: camera paused (RTSP PAUSE)');
      } catch (err) {
        if (this.session !== session) return;
        this.pauseRefused = true;
        const error = toCamrtcError(err);
        this.log.info({ code: error.code }, `camera refused PAUSE (${redactText(error.message)}); paused viewers just stop receiving`);
      }
    } else if (!wantPaused && this.upstreamPaused) {
      try {
        await session.play();
        if (this.session !== session) return;
        this.upstreamPaused = false;
        this.log.info('a viewer plays again: camera resumed (RTSP PLAY)');
      } catch (err) {
        if (this.session !== session) return;
        // A camera that cannot resume is treated like one that dropped: reconnect.
        this.session = undefined;
        void session.close().catch(() => undefined);
        this.upstreamFailed(toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
      }
    }
  }

  /**
   * A viewer needs a keyframe: returns the cached GOP (keyframe first) for it to replay, which is
   * instant. Only when nothing is cached is the camera asked (RTCP PLI), at most once per
   * UPSTREAM_KEYFRAME_INTERVAL_MS: many viewers' PLIs never become a flood upstream.
   */
  requestKeyframe(): readonly MediaFrame[] {
    const frames = this.gop.frames();
    if (frames.length === 0) this.requestUpstreamKeyframe();
    return frames;
  }

  /** RTCP PLI to the camera, when its session supports it; at most one per UPSTREAM_KEYFRAME_INTERVAL_MS. */
  private requestUpstreamKeyframe(): void {
    const session = this.session;
    const now = performance.now();
    if (session?.requestKeyframe && this._status.state === 'live' && now - this.lastUpstreamKeyframeRequest >= UPSTREAM_KEYFRAME_INTERVAL_MS) {
      const video = this._tracks?.find((t) => t.kind === 'video');
      if (video) {
        this.lastUpstreamKeyframeRequest = now;
        try {
          session.requestKeyframe(video.index);
        } catch (err) {
          this.log.debug({ err }, 'keyframe request to the camera failed');
        }
      }
    }
  }

  /** The cached GOP (keyframe first; empty when none), as requestKeyframe() would return it. */
  cachedGop(): readonly MediaFrame[] {
    return this.gop.frames();
  }

  /** Stops the upstream (TEARDOWN), detaches all sinks, rejects pending waiters. Idempotent. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.retryTimer);
    this.sinks.clear();
    this.pausedSinks.clear();
    const waiters = this.tracksWaiters;
    this.tracksWaiters = [];
    for (const w of waiters) w.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    await this.stopUpstream('closed');
    this.removeAllListeners();
  }

  // ---- upstream lifecycle --------------------------------------------------------------------

  private setStatus(status: CameraStatus): void {
    const prev = this._status;
    if (prev.state === status.state && prev.error?.message === status.error?.message) return;
    this._status = status;
    if (status.error) this.log.warn({ state: status.state, code: status.error.code }, `camera ${status.state}: ${status.error.message}`);
    else this.log.info({ state: status.state }, `camera ${status.state}`);
    this.safeEmit('status', status);
  }

  private ensureRunning(): void {
    if (this.running || this._closed) return;
    this.running = true;
    void this.connect();
  }

  private async stopUpstream(reason: string): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const session = this.session;
    this.session = undefined;
    this.closePipelines();
    this.gop.clear();
    if (session) {
      this.log.info({ reason }, 'stopping upstream session');
      await session.close().catch(() => undefined);
    }
    if (!this._closed) this.setStatus({ state: 'idle' });
  }

  private async connect(): Promise<void> {
    if (!this.running || this._closed) return;
    this.setStatus({ state: 'connecting', ...(this._status.error ? { error: this._status.error } : {}) });
    let generation = ++this.generation;
    /** Camera SSRC per track: a change means a new stream (new sequence and timestamp bases). */
    const ssrcs = new Map<number, number>();
    const session = this.createSession({ ...sessionOptions(this.camera, this.log), selectTracks: forwardedTracks });
    this.session = session;
    const pipelines = new Map<number, TrackPipeline>();
    session.on('rtp', (trackIndex: number, packet: Buffer) => {
      if (this.session !== session) return;
      const pipeline = pipelines.get(trackIndex);
      if (!pipeline) return;
      if (packet.length >= 12) {
        const ssrc = packet.readUInt32BE(8);
        const known = ssrcs.get(trackIndex);
        if (known !== ssrc) {
          ssrcs.set(trackIndex, ssrc);
          if (known !== undefined) {
            // Like a reconnect for the viewers: re-base timestamps and restart at a keyframe. Without
            // the reset, the new sequence numbers could look "late" and be dropped for a long while.
            generation = ++this.generation;
            for (const p of pipelines.values()) p.reset?.();
            this.gop.clear();
            this.log.info({ track: trackIndex }, 'camera changed its RTP SSRC (new stream): restarting at the next keyframe');
          }
        }
      }
      pipeline.push(packet, generation, performance.now());
    });
    session.on('close', (error?: CamrtcError) => {
      for (const p of pipelines.values()) p.close?.();
      if (this.session !== session) return;
      this.session = undefined;
      this.upstreamFailed(error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', `the connection to camera '${this.name}' was closed`));
    });

    try {
      const { tracks } = await session.start();
      if (this.session !== session) return;
      const forwarded = forwardedTracks(tracks).map(honestTrack);
      if (!forwarded.length) {
        const codecs = tracks.map((t) => `${t.kind} ${t.codec}`).join(', ') || 'none';
        throw new CamrtcError('ERR_RTSP_NO_TRACKS', `camera '${this.name}' offers no track camrtc can play (it offers: ${codecs})`);
      }
      if (!this.aacWarned && !findFfmpeg() && tracks.some(isAac)) {
        this.aacWarned = true;
        this.log.warn('the camera sends AAC audio, which browsers cannot play over WebRTC: install ffmpeg (apt-get install ffmpeg) to hear it transcoded to Opus; playing without sound meanwhile');
      }
      for (const t of forwarded) pipelines.set(t.index, createTrackPipeline(t, this.pipelineOutput));
      this.pipelines = pipelines;
      this.connectedAt = performance.now();
      this.setTracks(forwarded.map(presentedTrack));
      this.upstreamPaused = false;
      this.setStatus({ state: 'live' });
      // Viewers that paused while the camera was away keep it paused now that it is back.
      this.reconcilePause();
    } catch (err) {
      for (const p of pipelines.values()) p.close?.();
      if (this.session !== session) return;
      this.session = undefined;
      void session.close().catch(() => undefined);
      this.upstreamFailed(toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
    }
  }

  private closePipelines(): void {
    for (const p of this.pipelines.values()) p.close?.();
    this.pipelines.clear();
  }

  private setTracks(tracks: readonly Track[]): void {
    const prev = this._tracks;
    const same = prev && prev.length === tracks.length && prev.every((t, i) => t.codec === tracks[i].codec && t.index === tracks[i].index && t.fmtp['profile-level-id'] === tracks[i].fmtp['profile-level-id']);
    this._tracks = tracks;
    const waiters = this.tracksWaiters;
    this.tracksWaiters = [];
    for (const w of waiters) w.resolve(tracks);
    if (!same) this.safeEmit('tracks', tracks);
  }

  private upstreamFailed(error: CamrtcError): void {
    this.closePipelines();
    // A picture from before the drop would be replayed to new viewers as if live.
    this.gop.clear();
    if (!this.running || this._closed) return;
    if (this.connectedAt) this.backoff.connectionEnded(performance.now() - this.connectedAt);
    this.connectedAt = 0;
    const delay = this.backoff.next();
    const message = redactText(error.message);
    this.setStatus({ state: 'retrying', error: { code: error.code, message } });
    this.log.info({ delayMs: delay }, 'reconnecting to camera %s after %d ms', redactUrl(this.camera.url), delay);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  // ---- packet path (invariant 2: same tick, never waits) --------------------------------------

  private readonly pipelineOutput: PipelineOutput = {
    frame: (frame) => this.deliver(frame),
    error: (error) => {
      this.decodeErrors++;
      // Viewers freeze until the next keyframe after a loss: ask the camera for one (rate-limited).
      if (error.details.reason === 'packet-loss') this.requestUpstreamKeyframe();
      const now = performance.now();
      if (now - this.lastDecodeErrorLog > DECODE_ERROR_LOG_INTERVAL_MS) {
        this.lastDecodeErrorLog = now;
        this.log.warn({ code: error.code, total: this.decodeErrors }, `dropped malformed or incomplete media from camera: ${error.message}`);
      }
    },
    profile: (trackIndex, profileLevelId) => this.profileChanged(trackIndex, profileLevelId),
    bFrames: () => {
      if (this.bFramesWarned) return;
      this.bFramesWarned = true;
      this.log.warn(
        'the camera sends H.264 B-frames: browsers may stutter or add latency with them; turn B-frames off in the camera (or use its Baseline/Main profile without B-frames)',
      );
    },
  };

  /**
   * The in-band SPS says another profile than the viewers were told (parameter sets changed
   * mid-stream, or the SDP had none): later viewers get the true profile-level-id. Browsers that
   * already play keep decoding: the SPS and PPS travel in front of every IDR.
   */
  private profileChanged(trackIndex: number, profileLevelId: string): void {
    const tracks = this._tracks;
    const track = tracks?.find((t) => t.index === trackIndex);
    if (!tracks || !track || track.fmtp['profile-level-id']?.toLowerCase() === profileLevelId) return;
    this.log.info({ from: track.fmtp['profile-level-id'] ?? 'none', to: profileLevelId }, 'camera H.264 profile-level-id from its SPS');
    const updated = { ...track, fmtp: { ...track.fmtp, 'profile-level-id': profileLevelId } };
    this.setTracks(tracks.map((t) => (t === track ? updated : t)));
  }

  private deliver(frame: MediaFrame): void {
    // Cached before delivery: a viewer that asks for a keyframe from inside onFrame gets this frame too.
    if (frame.kind === 'video') this.gop.push(frame);
    for (const sink of this.sinks) {
      try {
        sink.onFrame(frame);
      } catch (err) {
        // A broken sink must not stop the others (invariant 2).
        this.log.error({ err }, 'viewer failed to take a frame');
      }
    }
  }
}
