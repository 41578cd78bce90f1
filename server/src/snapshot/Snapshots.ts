/**
 * A camera's current picture as a JPEG (GET /api/cameras/NAME/snapshot.jpg, what Home Assistant's
 * generic camera polls). Made from the camera's cached GOP, the keyframe and the frames after it,
 * decoded by ffmpeg up to the newest: a live camera gets no new session and no keyframe request.
 *
 * A camera that is not live (idle, nobody watching) is started as a viewer would start it: a lease
 * is taken, the first keyframe is awaited (SNAPSHOT_WAIT_MS at most), the lease is released, and the
 * camera's idle timer keeps it connected a while for the next poll. That is go2rtc's behaviour for
 * `frame.jpeg` (MediaMTX has no snapshot route). A camera that is failing answers at once with its
 * reason (ERR_CAMERA_OFFLINE), rather than after the wait.
 *
 * Decoding a whole GOP takes time (1080p H.265 on a busy 2-core machine: ~10 ms a frame), so the
 * frames decoded are time-boxed per camera: from how long its last snapshot took, as many as fit in
 * SNAPSHOT_BUDGET_MS (at least the keyframe, at most MAX_SNAPSHOT_FRAMES). A fast machine shows the
 * newest picture; a slow one the newest it can decode in time, up to a GOP older.
 *
 * Concurrent pollers of one camera and width share one ffmpeg run, and a JPEG less than
 * SNAPSHOT_REUSE_MS old is answered again; JpegEncoders bounds the ffmpeg processes.
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import type { Camera, FrameSink } from '../media/Camera.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { MediaFrame } from '../media/MediaFrame.js';
import { annexB, frameNalus, type VideoCodec } from '../rtp/depayload.js';
import { JpegEncoders, type JpegEncodersOptions } from './JpegEncoders.js';
import { LAST_PICTURE_SECONDS } from './JpegJob.js';
import { muxTs, type TsPicture } from './mpegTs.js';

/** `?width=` bounds (pixels). */
export const SNAPSHOT_MIN_WIDTH = 16;
export const SNAPSHOT_MAX_WIDTH = 3840;
/**
 * Frames decoded at most: the keyframe and the ones after it. A camera with a longer GOP gives the
 * picture this many frames after its keyframe (2 s at 25 fps).
 */
export const MAX_SNAPSHOT_FRAMES = 50;
/** The time ffmpeg should take for a snapshot: the number of frames decoded is fitted to it. */
export const SNAPSHOT_BUDGET_MS = 200;
/** The first guess of a camera's decoding cost per frame (ms), before its first snapshot says. */
const FIRST_MS_PER_FRAME = 4;
/** A JPEG this recent is answered again (several pollers, a dashboard and a recorder). */
export const SNAPSHOT_REUSE_MS = 1_000;
/** How long a camera that is not live may take to give a first keyframe. */
export const SNAPSHOT_WAIT_MS = 8_000;
/** How long waiting for an encoder and ffmpeg's run may take together. */
export const SNAPSHOT_ENCODE_MS = 5_000;

/** JPEGs kept for reuse (one per camera and width asked recently); the oldest goes first. */
const MAX_CACHED = 64;
const PTS_STEP = 3000; // 90 kHz: the pictures before the last, 1/30 s apart (their spacing does not matter)

export interface SnapshotsOptions {
  logger: Logger;
  /** Where ffmpeg is, asked at each snapshot (default findFfmpeg: CAMRTC_FFMPEG, or PATH). */
  ffmpeg?: () => string | undefined;
  waitMs?: number;
  encodeMs?: number;
  encoders?: JpegEncodersOptions;
}

export interface Snapshot {
  readonly jpeg: Buffer;
  /** Date.now() when it was made. */
  readonly madeAt: number;
}

interface Cached extends Snapshot {
  readonly camera: Camera;
  readonly at: number;
}

/** A camera gives no picture now: its own reason, for the answer's message. */
function offline(camera: Camera, status: CameraStatus, why?: string): CamrtcError {
  const reason = why ?? status.error?.message ?? `state ${status.state}`;
  return new CamrtcError('ERR_CAMERA_OFFLINE', `camera '${camera.name}' gives no picture: ${reason}`, {
    state: status.state,
    ...(status.error ? { cause: status.error.code } : {}),
  });
}

export class Snapshots {
  readonly #log: Logger;
  readonly #ffmpeg: () => string | undefined;
  readonly #waitMs: number;
  readonly #encodeMs: number;
  readonly #encoders: JpegEncoders;
  readonly #inflight = new Map<string, Promise<Snapshot>>();
  readonly #cache = new Map<string, Cached>();
  /** Per camera name: ms per decoded frame of its last snapshots (ffmpeg's whole run divided by its frames). */
  readonly #cost = new Map<string, number>();
  #closed = false;

  constructor(options: SnapshotsOptions) {
    this.#log = options.logger;
    this.#ffmpeg = options.ffmpeg ?? (() => findFfmpeg());
    this.#waitMs = options.waitMs ?? SNAPSHOT_WAIT_MS;
    this.#encodeMs = options.encodeMs ?? SNAPSHOT_ENCODE_MS;
    this.#encoders = new JpegEncoders(options.encoders);
  }

  /** The ffmpeg processes (for tests and stats). */
  get encoders(): JpegEncoders {
    return this.#encoders;
  }

  /** The camera's current picture, `width` pixels wide at most when given. Rejects with a CamrtcError. */
  async take(camera: Camera, width?: number): Promise<Snapshot> {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', 'the server is shutting down');
    const ffmpeg = this.#ffmpeg();
    if (!ffmpeg) throw new CamrtcError('ERR_FFMPEG_MISSING', 'snapshots need ffmpeg, which is not installed (or not where CAMRTC_FFMPEG points)');
    if (camera.seekable) {
      throw new CamrtcError('ERR_REQUEST_INVALID', `camera '${camera.name}' is a recording: snapshots are of live cameras`, { status: 409 });
    }
    const key = `${camera.name}\u0000${width ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached && cached.camera === camera && performance.now() - cached.at < SNAPSHOT_REUSE_MS) return cached;
    if (cached) this.#cache.delete(key);
    const running = this.#inflight.get(key);
    if (running) return running;
    const made = this.#make(camera, width, ffmpeg)
      .then((jpeg) => {
        const snapshot = { jpeg, madeAt: Date.now() };
        if (!this.#closed) {
          this.#cache.delete(key);
          this.#cache.set(key, { ...snapshot, camera, at: performance.now() });
          if (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
        }
        return snapshot;
      })
      .finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, made);
    return made;
  }

  close(): void {
    this.#closed = true;
    this.#cache.clear();
    this.#encoders.close();
  }

  async #make(camera: Camera, width: number | undefined, ffmpeg: string): Promise<Buffer> {
    const started = performance.now();
    const { codec, frames } = await this.#picture(camera);
    const used = frames.slice(0, this.#frameBudget(camera.name));
    const pictures: TsPicture[] = [];
    for (const [i, frame] of used.entries()) {
      const nalus = frameNalus(codec, frame.payloads);
      if (nalus instanceof CamrtcError) throw new CamrtcError('ERR_SNAPSHOT_FAILED', `the cached picture is malformed: ${nalus.message}`);
      pictures.push({ annexB: annexB(nalus), pts: i === used.length - 1 ? LAST_PICTURE_SECONDS * 90_000 : i * PTS_STEP });
    }
    const { jpeg, runMs } = await this.#encoders.encode(ffmpeg, muxTs(codec, pictures), width, performance.now() + this.#encodeMs);
    // The whole run over its frames: start-up and JPEG count too, so the estimate errs on the slow side.
    const cost = runMs / used.length;
    const before = this.#cost.get(camera.name);
    this.#cost.set(camera.name, before === undefined ? cost : (before + cost) / 2);
    if (this.#cost.size > 1000) this.#cost.delete(this.#cost.keys().next().value!);
    this.#log.debug({ camera: camera.name, frames: used.length, of: frames.length, bytes: jpeg.length, ffmpegMs: Math.round(runMs), ms: Math.round(performance.now() - started) }, 'snapshot made');
    return jpeg;
  }

  /** How many frames of the camera's GOP fit in SNAPSHOT_BUDGET_MS. */
  #frameBudget(name: string): number {
    const perFrame = this.#cost.get(name) ?? FIRST_MS_PER_FRAME;
    return Math.max(1, Math.min(MAX_SNAPSHOT_FRAMES, Math.floor(SNAPSHOT_BUDGET_MS / perFrame)));
  }

  /** The camera's cached GOP, or once it is not live, its first keyframe (ERR_CAMERA_OFFLINE when none comes). */
  async #picture(camera: Camera): Promise<{ codec: VideoCodec; frames: readonly MediaFrame[] }> {
    const lease = camera.acquire();
    try {
      const gop = lease.requestKeyframe();
      const frames = gop.length > 0 ? gop : [await this.#firstKeyframe(camera, lease)];
      const codec = camera.knownTracks?.find((t) => t.index === frames[0].trackIndex)?.codec;
      if (codec !== 'H264' && codec !== 'H265') throw new CamrtcError('ERR_CODEC_UNSUPPORTED', `camera '${camera.name}' sends no H.264 or H.265 picture`);
      return { codec, frames };
    } finally {
      // The camera's idle timer runs from here: the next poll finds it live.
      lease.release();
    }
  }

  #firstKeyframe(camera: Camera, lease: ReturnType<Camera['acquire']>): Promise<MediaFrame> {
    const failing = (status: CameraStatus): boolean => status.state === 'retrying' || status.state === 'unplayable' || status.state === 'offline';
    if (failing(camera.status)) return Promise.reject(offline(camera, camera.status));
    return new Promise<MediaFrame>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        camera.off('status', onStatus);
        camera.off('closed', onClosed);
        lease.subscribe(undefined);
      };
      const onStatus = (status: CameraStatus): void => {
        if (!failing(status)) return;
        done();
        reject(offline(camera, status));
      };
      const onClosed = (reason: CamrtcError): void => {
        done();
        reject(toCamrtcError(reason));
      };
      const sink: FrameSink = {
        onFrame: (frame) => {
          if (frame.kind !== 'video' || !frame.keyframe) return;
          done();
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(offline(camera, camera.status, `no picture within ${this.#waitMs / 1000} s (state ${camera.status.state})`));
      }, this.#waitMs);
      camera.on('status', onStatus);
      camera.on('closed', onClosed);
      lease.subscribe(sink);
    });
  }
}
