/**
 * A camera configured as a recording (an NVR playback URL that accepts `Range`): unlike a live Source,
 * every viewer gets its own RTSP session, so pause, play and seek map one to one onto RTSP PAUSE and
 * PLAY with `Range: npt=` (ARCHITECTURE "Pause and play"). Implements the same CameraSource interface
 * as Source, so signaling and WHEP use it unchanged; `seek()` is the extra.
 */
import { sessionOptions } from './sessionOptions.js';
import { performance } from 'node:perf_hooks';
import { CamrtcError, toCamrtcError } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { RtspSession } from '../rtsp/RtspSession.js';
import type { RtspSessionOptions, RtspSessionState } from '../rtsp/RtspSessionTypes.js';
import { selectPlayableTracks } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraConfig } from '../config/Config.js';
import { Backoff } from './Backoff.js';
import type { CameraSource, CameraSourceEvents, FrameSink } from './CameraSource.js';
import type { CameraStatus } from './CameraState.js';
import type { UpstreamSession } from './Source.js';
import { createTrackPipeline, isForwardable, type PipelineOutput, type TrackPipeline } from './TrackPipeline.js';

/** An upstream session that can play from a position: RtspSession.play({ range, scale }). */
export interface RecordingUpstream extends UpstreamSession {
  /** RtspSession's state: PLAY with a Range needs the session paused first. */
  readonly state: RtspSessionState;
  play(options?: { range?: string; scale?: number }): Promise<void>;
}
export type RecordingUpstreamFactory = (options: RtspSessionOptions) => RecordingUpstream;

/** A CameraSource whose viewers can seek (recordings). */
export interface SeekableCameraSource extends CameraSource {
  readonly seekable: true;
  /** Plays the sink's session from `seconds` after the start of the recording; resumes if paused. */
  seek(sink: FrameSink, seconds: number): Promise<void>;
}

export function isSeekable(source: CameraSource): source is SeekableCameraSource {
  return (source as Partial<SeekableCameraSource>).seekable === true;
}

/** `Range: npt=` value for a position; millisecond precision is what RTSP servers commonly accept. */
export function nptRange(seconds: number): string {
  return `npt=${seconds.toFixed(3)}-`;
}

export interface RecordingSourceOptions {
  camera: CameraConfig;
  logger?: Logger;
  createSession?: RecordingUpstreamFactory;
  /** Backoff per viewer session; default the same as live cameras. */
  backoff?: () => Backoff;
}

/** One viewer's own RTSP session with the recording. */
interface Playback {
  readonly sink: FrameSink;
  readonly backoff: Backoff;
  session: RecordingUpstream | undefined;
  /** Frames of a new generation make the viewer re-base timestamps and wait for a keyframe. */
  generation: number;
  pipelines: Map<number, TrackPipeline>;
  status: CameraStatus;
  paused: boolean;
  /** The recording refused PAUSE once: pausing only stops forwarding from then on. */
  pauseRefused: boolean;
  /** Where the last seek went, so a reconnect resumes there rather than at the start. */
  position: number | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  /** PAUSE/PLAY/seek run one at a time, in order. */
  chain: Promise<void>;
  connectedAt: number;
}

export class RecordingSource extends TypedEmitter<CameraSourceEvents> implements SeekableCameraSource {
  readonly name: string;
  readonly seekable = true as const;
  readonly #camera: CameraConfig;
  readonly #log: Logger;
  readonly #createSession: RecordingUpstreamFactory;
  readonly #newBackoff: () => Backoff;
  readonly #playbacks = new Map<FrameSink, Playback>();
  #status: CameraStatus = { state: 'idle' };
  #tracks: readonly Track[] | undefined;
  #waiters: Array<{ resolve: (t: readonly Track[]) => void; reject: (e: Error) => void }> = [];
  #generation = 0;
  #closed = false;

  constructor(options: RecordingSourceOptions) {
    super();
    this.#camera = options.camera;
    this.name = options.camera.name;
    this.#log = (options.logger ?? silentLogger()).child({ camera: this.name, recording: true });
    this.#createSession = options.createSession ?? ((o) => new RtspSession(o));
    this.#newBackoff = options.backoff ?? (() => new Backoff());
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
  /** Upstream RTSP sessions open now (one per viewer). */
  get sessionCount(): number {
    return [...this.#playbacks.values()].filter((p) => p.session !== undefined).length;
  }

  info(): CameraInfo {
    return {
      name: this.name,
      state: this.#status.state,
      ...(this.#tracks ? { codecs: this.#tracks.map((t) => t.codec) } : {}),
      ...(this.#status.error ? { error: { ...this.#status.error } } : {}),
    };
  }

  tracks(): Promise<readonly Track[]> {
    if (this.#closed) return Promise.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    if (this.#tracks) return Promise.resolve(this.#tracks);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  addSink(sink: FrameSink): void {
    if (this.#closed || this.#playbacks.has(sink)) return;
    const playback: Playback = {
      sink,
      backoff: this.#newBackoff(),
      session: undefined,
      generation: 0,
      pipelines: new Map(),
      status: { state: 'connecting' },
      paused: false,
      pauseRefused: false,
      position: undefined,
      retryTimer: undefined,
      chain: Promise.resolve(),
      connectedAt: 0,
    };
    this.#playbacks.set(sink, playback);
    void this.#connect(playback);
  }

  removeSink(sink: FrameSink): void {
    const playback = this.#playbacks.get(sink);
    if (!playback) return;
    this.#playbacks.delete(sink);
    void this.#stop(playback);
    this.#updateStatus();
  }

  setSinkPlaying(sink: FrameSink, playing: boolean): void {
    const playback = this.#playbacks.get(sink);
    if (!playback || playback.paused === !playing) return;
    playback.paused = !playing;
    this.#enqueue(playback, () => this.#applyPause(playback));
  }

  seek(sink: FrameSink, seconds: number): Promise<void> {
    const playback = this.#playbacks.get(sink);
    if (!playback) return Promise.reject(new CamrtcError('ERR_CLOSED', 'the viewer left the recording'));
    if (!Number.isFinite(seconds) || seconds < 0) return Promise.reject(new CamrtcError('ERR_SIGNALING_INVALID', 'seek needs a position of 0 s or more'));
    return this.#enqueue(playback, async () => {
      playback.position = seconds;
      playback.paused = false;
      const session = playback.session;
      // Not connected: the next connection starts at `position`.
      if (!session || playback.status.state !== 'live') return;
      await this.#playFrom(playback, session, seconds);
    });
  }

  requestKeyframe(): void {
    // A recording starts every PLAY (and so every seek) at a keyframe; nothing to ask upstream.
  }

  /** TEARDOWN of every viewer's session, rejects pending waiters. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const playbacks = [...this.#playbacks.values()];
    this.#playbacks.clear();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new CamrtcError('ERR_CLOSED', `camera '${this.name}' is closed`));
    await Promise.all(playbacks.map((p) => this.#stop(p)));
    this.removeAllListeners();
  }

  // ---- per-viewer session --------------------------------------------------------------------

  #enqueue(playback: Playback, op: () => Promise<void>): Promise<void> {
    const run = playback.chain.then(op);
    playback.chain = run.catch(() => undefined);
    return run;
  }

  async #connect(playback: Playback): Promise<void> {
    if (this.#closed || this.#playbacks.get(playback.sink) !== playback) return;
    this.#setPlaybackStatus(playback, { state: 'connecting', ...(playback.status.error ? { error: playback.status.error } : {}) });
    const generation = ++this.#generation;
    playback.generation = generation;
    const session = this.#createSession({
      ...sessionOptions(this.#camera, this.#log),
      selectTracks: (tracks) => selectPlayableTracks(tracks).filter(isForwardable),
      // After a drop, the new session starts where the viewer last sought to, not at the beginning.
      ...(playback.position !== undefined ? { range: nptRange(playback.position) } : {}),
    });
    playback.session = session;
    session.on('rtp', (trackIndex: number, packet: Buffer) => {
      if (playback.session !== session) return;
      playback.pipelines.get(trackIndex)?.push(packet, playback.generation, performance.now());
    });
    session.on('close', (error?: CamrtcError) => {
      if (playback.session !== session) return;
      playback.session = undefined;
      this.#failed(playback, error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', `the connection to recording '${this.name}' was closed`));
    });
    try {
      const { tracks } = await session.start();
      if (playback.session !== session) return;
      const forwarded = selectPlayableTracks(tracks).filter(isForwardable);
      if (!forwarded.length) throw new CamrtcError('ERR_RTSP_NO_TRACKS', `recording '${this.name}' offers no track camrtc can play`);
      playback.pipelines = this.#pipelines(playback, forwarded);
      playback.connectedAt = performance.now();
      this.#setTracks(forwarded);
      this.#setPlaybackStatus(playback, { state: 'live' });
      if (playback.paused) this.#enqueue(playback, () => this.#applyPause(playback)).catch(() => undefined);
    } catch (err) {
      if (playback.session !== session) return;
      playback.session = undefined;
      void session.close().catch(() => undefined);
      this.#failed(playback, toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
    }
  }

  /** PAUSE (when playing) then PLAY with Range: the way RFC 2326/7826 servers accept a new position. */
  async #playFrom(playback: Playback, session: RecordingUpstream, seconds: number): Promise<void> {
    if (playback.session !== session) return;
    if (session.state !== 'paused') await session.pause();
    if (playback.session !== session) return;
    // A new generation: the depacketizers start clean and the viewer re-bases its timestamps.
    playback.generation = ++this.#generation;
    playback.pipelines = this.#pipelines(playback, [...playback.pipelines.values()].map((p) => p.track));
    await session.play({ range: nptRange(seconds) });
    this.#log.info({ seconds }, 'recording seek (RTSP PLAY with Range)');
  }

  async #applyPause(playback: Playback): Promise<void> {
    const session = playback.session;
    if (!session || playback.status.state !== 'live') return;
    const state = session.state;
    try {
      if (playback.paused && !playback.pauseRefused && state !== 'paused') {
        await session.pause();
      } else if (!playback.paused && state === 'paused') {
        await session.play();
      }
    } catch (err) {
      if (playback.session !== session) return;
      const error = toCamrtcError(err);
      if (playback.paused) {
        playback.pauseRefused = true;
        this.#log.info({ code: error.code }, `recording refused PAUSE (${redactText(error.message)}); the paused viewer just stops receiving`);
        return;
      }
      playback.session = undefined;
      void session.close().catch(() => undefined);
      this.#failed(playback, toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
    }
  }

  #pipelines(playback: Playback, tracks: readonly Track[]): Map<number, TrackPipeline> {
    const output: PipelineOutput = {
      frame: (frame) => {
        try {
          playback.sink.onFrame(frame);
        } catch (err) {
          this.#log.error({ err }, 'viewer failed to take a frame');
        }
      },
      error: () => undefined,
    };
    return new Map(tracks.map((t) => [t.index, createTrackPipeline(t, output)]));
  }

  #failed(playback: Playback, error: CamrtcError): void {
    playback.pipelines = new Map();
    if (this.#closed || this.#playbacks.get(playback.sink) !== playback) return;
    if (playback.connectedAt) playback.backoff.connectionEnded(performance.now() - playback.connectedAt);
    playback.connectedAt = 0;
    const delay = playback.backoff.next();
    this.#setPlaybackStatus(playback, { state: 'retrying', error: { code: error.code, message: redactText(error.message) } });
    clearTimeout(playback.retryTimer);
    playback.retryTimer = setTimeout(() => {
      playback.retryTimer = undefined;
      void this.#connect(playback);
    }, delay);
  }

  async #stop(playback: Playback): Promise<void> {
    clearTimeout(playback.retryTimer);
    playback.retryTimer = undefined;
    const session = playback.session;
    playback.session = undefined;
    playback.pipelines = new Map();
    await session?.close().catch(() => undefined);
  }

  #setTracks(tracks: readonly Track[]): void {
    const first = this.#tracks === undefined;
    this.#tracks = tracks;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve(tracks);
    if (first) this.safeEmit('tracks', tracks);
  }

  #setPlaybackStatus(playback: Playback, status: CameraStatus): void {
    playback.status = status;
    this.#updateStatus();
  }

  /**
   * The camera's status for lists and viewers: live when any viewer's session is, otherwise the most
   * hopeful of the others (connecting before retrying), idle without viewers.
   */
  #updateStatus(): void {
    const states = [...this.#playbacks.values()].map((p) => p.status);
    const next =
      states.find((s) => s.state === 'live') ??
      states.find((s) => s.state === 'connecting') ??
      states.find((s) => s.state === 'retrying') ??
      ({ state: 'idle' } as CameraStatus);
    const prev = this.#status;
    if (prev.state === next.state && prev.error?.message === next.error?.message) return;
    this.#status = next;
    if (next.error) this.#log.warn({ state: next.state, code: next.error.code }, `recording ${next.state}: ${next.error.message}`);
    this.safeEmit('status', next);
  }
}
