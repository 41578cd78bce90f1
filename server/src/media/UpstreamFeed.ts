/**
 * One upstream RTSP feed: the session to the camera, its track pipelines, the generation of its
 * frames, the SSRC watch, reconnects with backoff, pause/play/seek, and the state a viewer will get.
 * A live camera holds one feed for all its viewers; a recording camera one feed per viewer. Every
 * line of upstream lifecycle is here, once.
 *
 * States (docs/architecture.md, "Camera states"): idle → connecting → waiting (PLAY answered, no
 * playable frame yet) → live (frames flow); retrying after a failure; unplayable when the camera
 * offers nothing a browser can play (no retry: it would fail the same way).
 */
import { performance } from 'node:perf_hooks';
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText, redactUrl } from '../log/redact.js';
import { RtspSession } from '../rtsp/RtspSession.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import type { CameraConfig } from '../config/Config.js';
import { Backoff } from './Backoff.js';
import { CameraCounters } from './CameraCounters.js';
import { sameStatus, type CameraStatus } from './CameraState.js';
import type { MediaFrame } from './MediaFrame.js';
import { MediaWatch } from './MediaWatch.js';
import { sessionOptions } from './sessionOptions.js';
import type { UpstreamFactory, UpstreamSession } from './UpstreamSession.js';
import { createTrackPipeline, isAac, type PipelineOutput, type TrackPipeline } from './TrackPipeline.js';
import { FeedTracks } from './FeedTracks.js';
import { describeTracks, honestTrack, selectForwardedTracks } from './trackSelection.js';
import { isBackchannel } from '../sdp/SessionDescription.js';

export type { UpstreamFactory, UpstreamSession } from './UpstreamSession.js';

export type UpstreamFeedEvents = {
  status: [CameraStatus];
  /**
   * The tracks viewers get (stable indexes, AAC presented as Opus) are known or changed. `compatible`:
   * viewers made for the previous tracks carry on (same media and codecs); false: they must renegotiate.
   */
  tracks: [readonly Track[], boolean];
  /** The camera started a new stream within the session (new SSRC): frames before it are stale. */
  restart: [];
};

export interface UpstreamFeedOptions {
  camera: CameraConfig;
  logger: Logger;
  /** Every frame of the feed, in the packet's tick (invariant 2). Must not throw. */
  onFrame: (frame: MediaFrame) => void;
  createSession?: UpstreamFactory;
  backoff?: Backoff;
  /** A recording's position to start each connection at (`npt=…-`); undefined: the live edge. */
  range?: () => string | undefined;
  /** Default MEDIA_TIMEOUT_MS. */
  mediaTimeoutMs?: number;
  /** Where the feed counts what it receives (the camera's, shared by a recording's feeds). Default: its own. */
  counters?: CameraCounters;
  /** Ask the camera for its ONVIF audio backchannel when describing it (two-way audio). Default false. */
  backchannel?: boolean;
  /** Transcode AAC for browsers from the start (default true); see setTranscoding(). */
  transcode?: boolean;
}

/** At most one keyframe request to the camera per this many ms, whatever the viewers ask. */
export const UPSTREAM_KEYFRAME_INTERVAL_MS = 5_000;
/** No playable frame for this long after PLAY (or since the last one) and the state says why. */
export const MEDIA_TIMEOUT_MS = 4_000;
/** At most one log line per camera per this many ms about dropped media or SSRC changes. */
const MEDIA_LOG_INTERVAL_MS = 10_000;

/**
 * Generations are unique across every feed of the process, not counted per feed: a viewer that moves
 * from a camera's main stream to its sub stream (two feeds) sees a new generation, and re-bases its
 * timestamps and restarts at a keyframe exactly as after a camera reconnect.
 */
let lastGeneration = 0;
function nextGeneration(): number {
  return ++lastGeneration;
}

export class UpstreamFeed extends TypedEmitter<UpstreamFeedEvents> {
  readonly name: string;
  readonly #camera: CameraConfig;
  readonly #log: Logger;
  readonly #onFrame: (frame: MediaFrame) => void;
  readonly #createSession: UpstreamFactory;
  readonly #backoff: Backoff;
  readonly #range: () => string | undefined;
  readonly #watch: MediaWatch;
  readonly #counters: CameraCounters;

  #status: CameraStatus = { state: 'idle' };
  readonly #tracks: FeedTracks;
  #session: UpstreamSession | undefined;
  #pipelines = new Map<number, TrackPipeline>();
  #generation = 0;
  #running = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #connectedAt = 0;
  #paused = false;
  #pauseRefused = false;
  /** PAUSE/PLAY/seek run one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();
  #lastKeyframeRequest = -Infinity;
  /** Arrival and generation of the last video keyframe (keyframe interval). */
  #lastKeyframeAt = 0;
  #lastKeyframeGeneration = -1;
  #lastMediaLog = -Infinity;
  #mediaErrors = 0;
  #bFramesWarned = false;
  #aacWarned = false;
  #transcode: boolean;
  #closed = false;
  readonly #askBackchannel: boolean;
  #backchannel: Track | undefined;

  constructor(options: UpstreamFeedOptions) {
    super();
    this.#camera = options.camera;
    this.name = options.camera.name;
    this.#log = options.logger;
    this.#onFrame = options.onFrame;
    this.#createSession = options.createSession ?? ((o) => new RtspSession(o));
    this.#backoff = options.backoff ?? new Backoff();
    this.#range = options.range ?? (() => undefined);
    this.#counters = options.counters ?? new CameraCounters();
    this.#askBackchannel = options.backchannel ?? false;
    this.#transcode = options.transcode ?? true;
    this.#tracks = new FeedTracks(this.#log, (tracks, compatible) => this.safeEmit('tracks', tracks, compatible));
    this.#watch = new MediaWatch(
      options.mediaTimeoutMs ?? MEDIA_TIMEOUT_MS,
      (error) => this.#mediaStalled(error),
      () => this.#session?.invalidPacketCount ?? 0,
    );
  }

  get status(): CameraStatus {
    return this.#status;
  }
  /** Tracks viewers get (stable indexes), once the camera was described. */
  get tracks(): readonly Track[] | undefined {
    return this.#tracks.presented;
  }
  /** What the feed received and went through (the camera's counters when it gave them). */
  get counters(): CameraCounters {
    return this.#counters;
  }
  /** The camera's ONVIF audio backchannel as its last DESCRIBE showed it (undefined: none, or not asked). */
  get backchannel(): Track | undefined {
    return this.#backchannel;
  }
  get running(): boolean {
    return this.#running;
  }
  /** True while the camera accepted RTSP PAUSE. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Connects (idempotent). An unplayable camera is tried once more: its firmware may have changed. */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#connect();
  }

  /** TEARDOWN; the state goes back to idle. The tracks stay known for the next start. */
  async stop(reason: string): Promise<void> {
    this.#running = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const session = this.#session;
    this.#session = undefined;
    this.#closePipelines();
    this.#watch.stop();
    if (session) {
      this.#log.info({ reason }, 'stopping upstream session');
      await this.#closeSession(session);
    }
    if (!this.#closed && this.#status.state !== 'unplayable') this.#setStatus({ state: 'idle' });
  }

  /**
   * RTSP PAUSE (true) or PLAY (false). A camera that refuses PAUSE is asked once; from then on pausing
   * is the caller's business (it stops forwarding). A camera that cannot resume is reconnected.
   */
  setPaused(paused: boolean): Promise<void> {
    return this.#enqueue(() => this.#applyPause(paused));
  }

  /** PLAY from `range` (PAUSE first when playing): a recording's seek. Not connected: the next connection starts there. */
  playFrom(range: string): Promise<void> {
    return this.#enqueue(async () => {
      const session = this.#session;
      if (!session || !this.#isConnected()) return;
      if (session.state !== 'paused') await session.pause();
      if (this.#session !== session) return;
      // A new generation: the depacketizers start clean and viewers re-base their timestamps.
      this.#newGeneration();
      this.#paused = false;
      await session.play({ range });
      if (this.#session === session) this.#watch.start();
    });
  }

  /**
   * Whether a browser needs the transcoded audio of an AAC camera now (a live camera: while one is
   * subscribed). Off, the camera's AAC still reaches the restream, and no ffmpeg runs.
   */
  setTranscoding(on: boolean): void {
    if (on === this.#transcode) return;
    this.#transcode = on;
    for (const p of this.#pipelines.values()) p.setTranscoding?.(on);
  }

  /** RTCP PLI to the camera for its video, at most one per UPSTREAM_KEYFRAME_INTERVAL_MS. */
  requestKeyframe(): void {
    const session = this.#session;
    const now = performance.now();
    if (!session?.requestKeyframe || !this.#isConnected() || now - this.#lastKeyframeRequest < UPSTREAM_KEYFRAME_INTERVAL_MS) return;
    const video = [...this.#pipelines.entries()].find(([, p]) => p.track.kind === 'video');
    if (!video) return;
    this.#lastKeyframeRequest = now;
    try {
      session.requestKeyframe(video[0]);
    } catch (err) {
      this.#log.debug({ err }, 'keyframe request to the camera failed');
    }
  }

  /** Stops the upstream (TEARDOWN). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.stop('closed');
    this.#watch.close();
    this.removeAllListeners();
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  #isConnected(): boolean {
    return this.#status.state === 'live' || this.#status.state === 'waiting';
  }

  #setStatus(status: CameraStatus): void {
    const prev = this.#status;
    if (sameStatus(prev, status)) return;
    this.#status = status;
    if (status.error) this.#log.warn({ state: status.state, code: status.error.code }, `camera ${status.state}: ${status.error.message}`);
    else this.#log.info({ state: status.state }, `camera ${status.state}`);
    this.safeEmit('status', status);
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(op);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #newGeneration(): number {
    this.#generation = nextGeneration();
    for (const p of this.#pipelines.values()) p.reset?.();
    return this.#generation;
  }

  async #connect(): Promise<void> {
    if (!this.#running || this.#closed) return;
    const previous = this.#status.error;
    this.#setStatus({ state: 'connecting', ...(previous && this.#status.state !== 'unplayable' ? { error: previous } : {}) });
    this.#generation = nextGeneration();
    this.#paused = false;
    const range = this.#range();
    const session = this.#createSession({
      ...sessionOptions(this.#camera, this.#log),
      selectTracks: selectForwardedTracks,
      ...(range !== undefined ? { range } : {}),
      ...(this.#askBackchannel ? { backchannel: true } : {}),
    });
    this.#session = session;
    this.#counters.sessionOpened(session);
    /** Pipelines by the session's track index (its SDP position). */
    const pipelines = new Map<number, TrackPipeline>();
    /** Camera SSRC per track: a change means a new stream (new sequence and timestamp bases). */
    const ssrcs = new Map<number, number>();
    session.on('rtp', (trackIndex: number, packet: Buffer) => {
      if (this.#session !== session) return;
      this.#counters.packetsIn++;
      this.#counters.bytesIn += packet.length;
      const pipeline = pipelines.get(trackIndex);
      if (!pipeline) return;
      if (packet.length >= 12) {
        const ssrc = packet.readUInt32BE(8);
        const known = ssrcs.get(trackIndex);
        if (known !== ssrc) {
          ssrcs.set(trackIndex, ssrc);
          // Like a reconnect for the viewers: re-base timestamps and restart at a keyframe. Without
          // the reset, the new sequence numbers could look "late" and be dropped for a long while.
          if (known !== undefined) this.#ssrcChanged(trackIndex);
        }
      }
      this.#watch.packet(pipeline.track.kind);
      pipeline.push(packet, this.#generation, performance.now());
    });
    session.on('close', (error?: CamrtcError) => {
      this.#counters.sessionClosed(session);
      for (const p of pipelines.values()) p.close?.();
      if (this.#session !== session) return;
      this.#session = undefined;
      this.#failed(error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', `the connection to camera '${this.name}' was closed`));
    });

    try {
      const { tracks } = await session.start();
      if (this.#session !== session) return;
      const forwarded = selectForwardedTracks(tracks).map(honestTrack);
      if (!forwarded.length) {
        throw new CamrtcError('ERR_RTSP_NO_TRACKS', `camera '${this.name}' offers no track camrtc can play (it offers: ${describeTracks(tracks)})`);
      }
      if (!this.#aacWarned && !findFfmpeg() && tracks.some(isAac)) {
        this.#aacWarned = true;
        this.#log.warn('the camera sends AAC audio, which browsers cannot play over WebRTC: install ffmpeg (apt-get install ffmpeg) to hear it transcoded to Opus; playing without sound meanwhile');
      }
      // A camera described without the header for a while (it refused a session with it) keeps the
      // backchannel it showed before: talk does not depend on this session.
      if (session.describedWithBackchannel !== false || !this.#askBackchannel) {
        this.#backchannel = session.describedTracks?.find((t) => t.kind === 'audio' && isBackchannel(t));
      }
      const stable = this.#tracks.adopt(forwarded);
      // Keyed by the session's index (its SDP position); frames carry the stable index.
      forwarded.forEach((t, i) => pipelines.set(t.index, createTrackPipeline(stable[i], this.#pipelineOutput, { transcode: this.#transcode })));
      this.#pipelines = pipelines;
      this.#connectedAt = performance.now();
      this.#watch.expect(stable.some((t) => t.kind === 'video') ? 'video' : 'audio');
      this.#setStatus({ state: 'waiting' });
      this.#watch.start();
    } catch (err) {
      for (const p of pipelines.values()) p.close?.();
      if (this.#session !== session) return;
      this.#session = undefined;
      void this.#closeSession(session);
      this.#failed(toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
    }
  }

  /** Closes a session; its loss counts as final once it is closed. Never rejects. */
  async #closeSession(session: UpstreamSession): Promise<void> {
    await session.close().catch(() => undefined);
    this.#counters.sessionClosed(session);
  }

  #ssrcChanged(trackIndex: number): void {
    this.#newGeneration();
    this.safeEmit('restart');
    this.#watch.error(new CamrtcError('ERR_MEDIA_UNDECODABLE', 'the camera keeps changing its RTP SSRC (a new stream each time)'));
    this.#mediaLog(() => this.#log.info({ track: trackIndex }, 'camera changed its RTP SSRC (new stream): restarting at the next keyframe'));
  }

  #closePipelines(): void {
    for (const p of this.#pipelines.values()) p.close?.();
    this.#pipelines.clear();
  }

  #failed(error: CamrtcError): void {
    this.#closePipelines();
    this.#watch.stop();
    if (!this.#running || this.#closed) return;
    if (this.#connectedAt) this.#backoff.connectionEnded(performance.now() - this.#connectedAt);
    this.#connectedAt = 0;
    this.#counters.failed(error.code);
    const message = redactText(error.message);
    if (error.code === 'ERR_RTSP_NO_TRACKS') {
      // Nothing playable: trying again would fail the same way. The next viewer tries once more.
      this.#running = false;
      this.#setStatus({ state: 'unplayable', error: { code: error.code, message } });
      return;
    }
    // A cluster relay whose owner went away or changed (cluster/ClusterUpstream.ts): the next session
    // waits for the new owner itself, so it starts now rather than after a growing backoff.
    const delay = error.details.reconnectNow === true ? 0 : this.#backoff.next();
    this.#setStatus({ state: 'retrying', error: { code: error.code, message } });
    this.#log.info({ delayMs: delay }, 'reconnecting to camera %s after %d ms', redactUrl(this.#camera.url), delay);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#counters.reconnects++;
      void this.#connect();
    }, delay);
  }

  async #applyPause(paused: boolean): Promise<void> {
    const session = this.#session;
    if (!session || !this.#isConnected() || this.#closed) return;
    if (paused && !this.#paused && !this.#pauseRefused) {
      try {
        await session.pause();
        if (this.#session !== session) return;
        this.#paused = true;
        this.#watch.stop();
        this.#log.info('camera paused (RTSP PAUSE)');
      } catch (err) {
        if (this.#session !== session) return;
        this.#pauseRefused = true;
        const error = toCamrtcError(err);
        this.#log.info({ code: error.code }, `camera refused PAUSE (${redactText(error.message)}); paused viewers just stop receiving`);
      }
    } else if (!paused && this.#paused) {
      try {
        await session.play();
        if (this.#session !== session) return;
        this.#paused = false;
        this.#watch.start();
        this.#log.info('camera resumed (RTSP PLAY)');
      } catch (err) {
        if (this.#session !== session) return;
        // A camera that cannot resume is treated like one that dropped: reconnect.
        this.#session = undefined;
        void this.#closeSession(session);
        this.#failed(toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
      }
    }
  }

  // ---- packet path (invariant 2: same tick, never waits) --------------------------------------

  #frame(frame: MediaFrame): void {
    if (frame.keyframe && frame.kind === 'video') this.#keyframe(frame);
    // While browsers get AAC transcoded, what they hear is the Opus: the camera's AAC alone is not live for them.
    const playable = frame.encoding !== 'camera' || !this.#transcode;
    if (playable && this.#watch.frame(frame) && this.#status.state !== 'live' && this.#session) this.#setStatus({ state: 'live' });
    this.#onFrame(frame);
  }

  #keyframe(frame: MediaFrame): void {
    const counters = this.#counters;
    counters.keyframes++;
    // Within one camera session only: across a reconnect the gap is the outage, not the camera's GOP.
    if (frame.generation === this.#lastKeyframeGeneration) counters.keyframeIntervalSeconds = (frame.receivedAt - this.#lastKeyframeAt) / 1000;
    this.#lastKeyframeAt = frame.receivedAt;
    this.#lastKeyframeGeneration = frame.generation;
  }

  /** No playable frame for a while: the state says so (and why), the session stays. */
  #mediaStalled(error: CamrtcError): void {
    if (!this.#session || this.#paused || this.#closed) return;
    this.#counters.failed(error.code);
    this.#setStatus({ state: 'waiting', error: { code: error.code, message: error.message } });
  }

  #mediaLog(write: () => void): void {
    const now = performance.now();
    if (now - this.#lastMediaLog < MEDIA_LOG_INTERVAL_MS) return;
    this.#lastMediaLog = now;
    write();
  }

  readonly #pipelineOutput: PipelineOutput = {
    frame: (frame) => this.#frame(frame),
    error: (error) => {
      this.#mediaErrors++;
      this.#watch.error(error);
      // Viewers freeze until the next keyframe after a loss: ask the camera for one (rate-limited).
      if (error.details.reason === 'packet-loss') this.requestKeyframe();
      this.#mediaLog(() => this.#log.warn({ code: error.code, total: this.#mediaErrors }, `dropped malformed or incomplete media from camera: ${error.message}`));
    },
    profile: (trackIndex, profileLevelId) => this.#tracks.profileChanged(trackIndex, profileLevelId),
    bFrames: () => {
      if (this.#bFramesWarned) return;
      this.#bFramesWarned = true;
      this.#log.warn(
        'the camera sends H.264 B-frames: browsers may stutter or add latency with them; turn B-frames off in the camera (or use its Baseline/Main profile without B-frames)',
      );
    },
  };
}
