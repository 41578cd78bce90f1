/**
 * One live camera as an RTSP mount of the restream. Its RTSP clients are viewers of the camera like
 * the browsers: together they hold ONE lease (invariant 1: the camera still has one upstream
 * session), taken when the first client session is set up and released when the last one ends, so
 * an idle camera is pulled for the first client and let go (after its idle time) after the last.
 * Pause is per client (the server stops that client's packets); the lease plays while any client
 * does, so the camera itself is paused only when every RTSP client and every browser paused.
 * The frames the lease delivers become each track's shared RTP stream (RestreamTrack), and every
 * playing client gets each track's RTCP sender report when it starts and every
 * SENDER_REPORT_INTERVAL_MS, under one CNAME per mount.
 */
import { randomBytes } from 'node:crypto';
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Camera, CameraLease, FrameSink } from '../media/Camera.js';
import type { MediaFrame } from '../media/MediaFrame.js';
import type { Track } from '../sdp/Track.js';
import type { Mount } from '../rtsp/server/Mount.js';
import type { ServerSession } from '../rtsp/server/ServerSession.js';
import { RestreamTrack } from './RestreamTrack.js';
import { restreamMedia, sameMedia } from './restreamMedia.js';

/** DESCRIBE waits at most this long for an idle or reconnecting camera to answer, then says 503. */
export const PREPARE_TIMEOUT_MS = 10_000;
/** A DESCRIBE keeps the camera it woke up this long for the SETUP that follows (whatever its idle time). */
export const DESCRIBE_HOLD_MS = 10_000;
/** Between two RTCP sender reports of a track to each playing client (RFC 3550 asks no more often than 5 s on average; players resync sooner). */
export const SENDER_REPORT_INTERVAL_MS = 2_000;

export interface RestreamMountOptions {
  /** A live camera (not seekable). */
  readonly camera: Camera;
  readonly logger: Logger;
  /**
   * The mount cannot go on: the camera was closed (removed or changed) or came back with other
   * tracks. Clients set up on it must start over: the owner unmounts it (their sessions end).
   */
  readonly ended: (mount: RestreamMount) => void;
  /** Default PREPARE_TIMEOUT_MS. */
  readonly prepareTimeoutMs?: number;
  /** Default SENDER_REPORT_INTERVAL_MS. */
  readonly senderReportIntervalMs?: number;
}

export class RestreamMount implements Mount, FrameSink {
  readonly camera: Camera;
  readonly sessionName: string;
  /** The camera's own AAC, not the Opus browsers get: its clients start no transcoder. */
  readonly cameraCodecs = true;
  readonly #log: Logger;
  readonly #ended: (mount: RestreamMount) => void;
  readonly #prepareTimeoutMs: number;
  readonly #reportIntervalMs: number;
  /** The SDES CNAME of every track's reports: a client syncs streams that share it. */
  readonly #cname = `camrtc-${randomBytes(6).toString('hex')}`;
  #reportTimer: NodeJS.Timeout | undefined;
  #tracks: RestreamTrack[] = [];
  readonly #byCameraIndex = new Map<number, RestreamTrack>();
  readonly #sessions = new Set<ServerSession>();
  readonly #paused = new Set<ServerSession>();
  #lease: CameraLease | undefined;
  /** The demand of a DESCRIBE, until its client sets up or DESCRIBE_HOLD_MS passes. */
  #hold: { lease: CameraLease; timer: NodeJS.Timeout } | undefined;
  #closed = false;
  #waiting: Promise<void> | undefined;

  constructor(options: RestreamMountOptions) {
    this.camera = options.camera;
    this.sessionName = options.camera.name;
    this.#log = options.logger;
    this.#ended = options.ended;
    this.#prepareTimeoutMs = options.prepareTimeoutMs ?? PREPARE_TIMEOUT_MS;
    this.#reportIntervalMs = options.senderReportIntervalMs ?? SENDER_REPORT_INTERVAL_MS;
    this.camera.on('tracks', this.#onTracks);
    this.camera.on('closed', this.#onClosed);
    if (this.camera.knownTracks) this.#adopt(this.camera.knownTracks);
  }

  get tracks(): readonly RestreamTrack[] {
    return this.#tracks;
  }

  /** RTSP client sessions set up on this camera. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Before DESCRIBE and SETUP: the camera is connected and its tracks are known. An idle camera is
   * woken up (and held for the SETUP that follows); one that does not answer within the timeout, is
   * unplayable or goes away makes the request fail (503).
   */
  async prepare(): Promise<void> {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', `camera '${this.camera.name}' is no longer restreamed`);
    this.#holdCamera();
    if (this.#ready()) return;
    // One wait (one set of camera listeners) whatever the number of clients asking meanwhile.
    this.#waiting ??= this.#waitReady().finally(() => (this.#waiting = undefined));
    return this.#waiting;
  }

  #waitReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.camera.off('status', check);
        this.camera.off('tracks', check);
        this.camera.off('closed', onClosed);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (this.#closed) return done(new CamrtcError('ERR_CLOSED', `camera '${this.camera.name}' is no longer restreamed`));
        if (this.#ready()) return done();
        const status = this.camera.status;
        if (status.state === 'unplayable') done(new CamrtcError(status.error?.code ?? 'ERR_RTSP_NO_TRACKS', status.error?.message ?? 'unplayable'));
      };
      const onClosed = (reason: CamrtcError): void => done(reason);
      const timer = setTimeout(() => done(new CamrtcError('ERR_TIMEOUT', `camera '${this.camera.name}' did not answer within ${this.#prepareTimeoutMs} ms`)), this.#prepareTimeoutMs);
      this.camera.on('status', check);
      this.camera.on('tracks', check);
      this.camera.on('closed', onClosed);
      check();
    });
  }

  /** A client session was set up on this mount: it counts as a viewer until it ends. */
  attach(session: ServerSession): void {
    if (this.#closed) {
      session.close('unmounted');
      return;
    }
    this.#sessions.add(session);
    session.on('play', () => {
      this.#paused.delete(session);
      this.#reconcile();
    });
    session.on('pause', () => {
      this.#paused.add(session);
      this.#reconcile();
    });
    session.on('close', () => {
      this.#sessions.delete(session);
      this.#paused.delete(session);
      this.#reconcile();
    });
    this.#reconcile();
  }

  /** A camera frame (the lease's sink), in its tick. */
  onFrame(frame: MediaFrame): void {
    if (frame.encoding === 'transcoded') return;
    this.#byCameraIndex.get(frame.trackIndex)?.push(frame);
  }

  /** Releases the camera. The server ends the sessions (unmount). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.camera.off('tracks', this.#onTracks);
    this.camera.off('closed', this.#onClosed);
    this.#release();
    this.#releaseHold();
    this.#stopReports();
    this.#sessions.clear();
    this.#paused.clear();
  }

  #ready(): boolean {
    const state = this.camera.status.state;
    return this.#tracks.length > 0 && (state === 'live' || state === 'waiting');
  }

  /** Starts (or keeps) the camera for a client that has not set up yet. */
  #holdCamera(): void {
    if (this.#lease) return;
    if (this.#hold) {
      this.#hold.timer.refresh();
      return;
    }
    const lease = this.camera.acquire();
    const timer = setTimeout(() => this.#releaseHold(), DESCRIBE_HOLD_MS);
    timer.unref();
    this.#hold = { lease, timer };
  }

  #releaseHold(): void {
    if (!this.#hold) return;
    clearTimeout(this.#hold.timer);
    this.#hold.lease.release();
    this.#hold = undefined;
  }

  /** The lease follows the sessions: held while any exists, playing while any is not paused. */
  #reconcile(): void {
    if (this.#closed) return;
    if (this.#sessions.size === 0) {
      this.#release();
      this.#stopReports();
      return;
    }
    if (!this.#reportTimer) {
      this.#reportTimer = setInterval(() => this.#sendReports(), this.#reportIntervalMs);
      this.#reportTimer.unref();
    }
    if (!this.#lease) {
      const lease = (this.#lease = this.camera.acquire());
      lease.subscribe(this);
      // The camera's cached GOP (browsers may be watching already): the tracks' replay starts from it.
      for (const frame of lease.requestKeyframe()) this.onFrame(frame);
      this.#releaseHold();
      this.#log.info({ camera: this.camera.name }, 'rtsp restream: first client, watching the camera');
    }
    this.#lease.setPlaying(this.#paused.size < this.#sessions.size);
  }

  /** Each track's sender report, built once, to every client playing it. */
  #sendReports(): void {
    const now = performance.timeOrigin + performance.now();
    const reports = new Map<RestreamTrack, Buffer | undefined>();
    for (const session of this.#sessions) {
      if (session.state !== 'playing') continue;
      for (const { index, track } of session.setUp) {
        if (!(track instanceof RestreamTrack)) continue;
        if (!reports.has(track)) reports.set(track, track.senderReport(now));
        const report = reports.get(track);
        if (report) session.sendRtcp(index, report);
      }
    }
  }

  #stopReports(): void {
    clearInterval(this.#reportTimer);
    this.#reportTimer = undefined;
  }

  #release(): void {
    if (!this.#lease) return;
    this.#lease.release();
    this.#lease = undefined;
    for (const t of this.#tracks) t.reset();
    if (!this.#closed) this.#log.info({ camera: this.camera.name }, 'rtsp restream: last client gone');
  }

  readonly #onTracks = (tracks: readonly Track[]): void => {
    this.#adopt(tracks);
  };

  readonly #onClosed = (): void => {
    this.#ended(this);
  };

  #adopt(tracks: readonly Track[]): void {
    const fresh = tracks.flatMap((t) => {
      const media = restreamMedia(t);
      return media ? [{ index: t.index, media }] : [];
    });
    const known = this.#tracks;
    if (known.length === 0) {
      this.#tracks = fresh.map((f) => new RestreamTrack(f.index, f.media, () => this.#askKeyframe(), this.#cname));
      for (const t of this.#tracks) this.#byCameraIndex.set(t.cameraIndex, t);
      return;
    }
    const compatible = fresh.length === known.length && fresh.every((f, i) => known[i].cameraIndex === f.index && sameMedia(known[i].media, f.media));
    if (compatible) {
      // Same codecs (a profile learnt from the SPS, say): later DESCRIBEs say so, clients go on.
      fresh.forEach((f, i) => (known[i].media = f.media));
      return;
    }
    this.#log.info({ camera: this.camera.name }, 'rtsp restream: the camera came back with other tracks; its RTSP clients must set up again');
    this.#ended(this);
  }

  #askKeyframe(): void {
    // Returns the camera's cached GOP, which this mount already has as packets; asks the camera when there is none.
    this.#lease?.requestKeyframe();
  }
}
