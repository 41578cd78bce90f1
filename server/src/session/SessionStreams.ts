/**
 * Which stream of its camera a viewer session is on (main, or the camera's sub stream), the lease
 * that holds it, and the switch from one to the other on the session's peer connection
 * (docs/architecture.md, "Main and sub streams"). During a switch the session holds both leases: the
 * stream it leaves plays until the new one's keyframe is at the viewer (Viewer.switchSource), then
 * its lease goes, and its camera's idle timer runs if no one else watches it. Status and track
 * changes come from the stream the session is on.
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { streamOf, type Camera, type CameraEvents, type CameraLease } from '../media/Camera.js';
import type { Track } from '../sdp/Track.js';
import type { Viewer } from '../webrtc/Viewer.js';
import type { StreamInfo, StreamName } from '../../../shared/protocol.js';

/**
 * A switch gives up when the new stream has no keyframe for the viewer within this time (it cannot
 * connect, or sends nothing): the viewer stays on its stream.
 */
export const STREAM_SWITCH_TIMEOUT_MS = 10_000;

/** The stream a session sends (ViewerSession's `stream` event). */
export interface SessionStream {
  stream: StreamName;
  /** The camera's streams, with their picture sizes when known. */
  streams: StreamInfo[];
  /** The switch asked for failed (the stream stays); not redacted yet. */
  error?: CamrtcError;
}

export interface SessionStreamsHooks {
  readonly sessionId: string;
  readonly logger: Logger;
  /** The session's listeners for the camera stream it is on. */
  readonly onStatus: (...args: CameraEvents['status']) => void;
  readonly onTracks: (...args: CameraEvents['tracks']) => void;
  /** The session is paused: a new stream's lease starts paused too. */
  paused(): boolean;
  /** The viewer switched, or a switch failed. */
  switched(stream: SessionStream): void;
  /** The browser decodes H.265: otherwise a stream set to transcode is watched as its H.264 view. */
  readonly h265?: boolean;
}

/** A switch under way: the new stream's lease, held until the cut-over or until it is given up. */
interface Attempt {
  readonly name: StreamName;
  readonly lease: CameraLease;
  timer: NodeJS.Timeout | undefined;
}

export class SessionStreams {
  readonly #camera: Camera;
  readonly #hooks: SessionStreamsHooks;
  #name: StreamName = 'main';
  #current: Camera;
  #lease: CameraLease | undefined;
  #attempt: Attempt | undefined;
  #fellBack = false;

  constructor(camera: Camera, hooks: SessionStreamsHooks) {
    this.#camera = camera;
    this.#hooks = hooks;
    this.#current = this.#stream('main');
  }

  /** A stream as this session watches it: an H.265 stream set to transcode, as its H.264 view when the browser needs it. */
  #stream(name: StreamName): Camera {
    const stream = streamOf(this.#camera, name);
    return stream.viewFor?.(this.#hooks.h265 === true) ?? stream;
  }

  /** The stream the viewer is on. */
  get name(): StreamName {
    return this.#name;
  }
  /** That stream as a camera (the camera itself for main). */
  get current(): Camera {
    return this.#current;
  }
  /** The lease on that stream (from start() to close()). */
  get lease(): CameraLease | undefined {
    return this.#lease;
  }

  /** Starts on `wanted` (main when the camera has no sub stream): follows and leases it. */
  start(wanted: StreamName | undefined): CameraLease {
    this.#name = wanted === 'sub' && this.#camera.substream ? 'sub' : 'main';
    this.#follow(this.#stream(this.#name));
    this.#lease = this.#current.acquire();
    return this.#lease;
  }

  /** The camera has another stream and the session has not fallen back to it yet. */
  canFallBack(): boolean {
    return this.#camera.substream !== undefined && !this.#fellBack;
  }

  /**
   * Before the viewer exists: the session starts on the other stream instead (the one it asked for
   * cannot play here). Once per session.
   */
  fallBack(): CameraLease {
    this.#fellBack = true;
    const previous = this.#lease;
    this.#name = this.#name === 'main' ? 'sub' : 'main';
    this.#follow(this.#stream(this.#name));
    this.#lease = this.#current.acquire();
    this.#lease.setPlaying(!this.#hooks.paused());
    previous?.release();
    return this.#lease;
  }

  /** The other stream's tracks, when the camera has two and that one was described. */
  otherTracks(): readonly Track[] | undefined {
    if (!this.#camera.substream) return undefined;
    return this.#stream(this.#name === 'main' ? 'sub' : 'main').knownTracks;
  }

  /** Pause and play reach the stream switched to as well. */
  setPlaying(playing: boolean): void {
    this.#lease?.setPlaying(playing);
    this.#attempt?.lease.setPlaying(playing);
  }

  /**
   * Moves `viewer` to stream `name`. The last request wins; asking for the stream the viewer is on
   * (or for `sub` of a camera without one) answers with the current stream at once.
   */
  request(name: StreamName, viewer: Viewer): void {
    const target: StreamName = name === 'sub' && this.#camera.substream ? 'sub' : 'main';
    if (this.#attempt?.name === target) return;
    this.#abandon(viewer);
    if (target === this.#name) this.#hooks.switched(this.info());
    else void this.#switchTo(target, viewer);
  }

  /** The stream the viewer is on and the camera's streams. */
  info(error?: CamrtcError): SessionStream {
    const streams: StreamInfo[] = [{ name: 'main', ...this.#camera.videoSize?.() }];
    const sub = this.#camera.substream;
    if (sub) streams.push({ name: 'sub', ...sub.videoSize?.() });
    return { stream: this.#name, streams, ...(error ? { error } : {}) };
  }

  /** Releases every lease and stops following. Idempotent. */
  close(viewer: Viewer | undefined): void {
    this.#abandon(viewer);
    this.#current.off('status', this.#hooks.onStatus);
    this.#current.off('tracks', this.#hooks.onTracks);
    this.#lease?.release();
  }

  async #switchTo(name: StreamName, viewer: Viewer): Promise<void> {
    const camera = this.#stream(name);
    const lease = camera.acquire();
    lease.setPlaying(!this.#hooks.paused());
    const attempt: Attempt = { name, lease, timer: undefined };
    this.#attempt = attempt;
    attempt.timer = setTimeout(() => {
      this.#failed(attempt, viewer, new CamrtcError('ERR_TIMEOUT', `the ${name} stream of camera '${this.#camera.name}' gave no picture within ${STREAM_SWITCH_TIMEOUT_MS / 1000} s`));
    }, STREAM_SWITCH_TIMEOUT_MS);
    attempt.timer.unref();
    const startedAt = performance.now();
    try {
      const tracks = await camera.tracks();
      if (this.#attempt !== attempt) return;
      const switched = await viewer.switchSource(lease, tracks);
      if (!switched || this.#attempt !== attempt) return;
      clearTimeout(attempt.timer);
      this.#attempt = undefined;
      const previous = this.#lease;
      this.#lease = lease;
      previous?.release();
      this.#name = name;
      this.#follow(camera);
      this.#hooks.logger.debug({ session: this.#hooks.sessionId, stream: name, ms: Math.round(performance.now() - startedAt) }, 'viewer switched stream');
      this.#hooks.onStatus(camera.status);
      this.#hooks.switched(this.info());
    } catch (err) {
      this.#failed(attempt, viewer, err);
    }
  }

  /** The switch under way is given up: its lease goes, the viewer stays where it is. */
  #abandon(viewer: Viewer | undefined): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    this.#attempt = undefined;
    clearTimeout(attempt.timer);
    viewer?.cancelSwitch();
    attempt.lease.release();
  }

  #failed(attempt: Attempt, viewer: Viewer, err: unknown): void {
    if (this.#attempt !== attempt) return;
    this.#abandon(viewer);
    const error = toCamrtcError(err);
    this.#hooks.logger.info({ session: this.#hooks.sessionId, stream: attempt.name, code: error.code }, `stream switch failed: ${redactText(error.message)}`);
    this.#hooks.switched(this.info(error));
  }

  #follow(camera: Camera): void {
    this.#current.off('status', this.#hooks.onStatus);
    this.#current.off('tracks', this.#hooks.onTracks);
    this.#current = camera;
    camera.on('status', this.#hooks.onStatus);
    camera.on('tracks', this.#hooks.onTracks);
  }
}
