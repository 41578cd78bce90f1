/**
 * An H.265 camera as H.264, for the viewers that need it (`transcode: h264`, or `auto` for browsers
 * without H.265). To the rest of the media graph it is a camera like any other: viewers take a lease,
 * subscribe, ask for keyframes (the transcoded GOP is cached and replayed, as LiveCamera's is), so
 * the Viewer, OutboundTrack and the offer code are the H.264 ones, unchanged.
 *
 * One H264Transcoder (one ffmpeg) per camera, shared by all its transcoded viewers: it starts with
 * the first one, fed the camera's cached GOP so that viewer's first picture does not wait for the
 * camera's next keyframe, and stops TRANSCODE_IDLE_MS after the last one left (a page reload finds it
 * running). It holds one lease on the camera meanwhile, so the camera sees one more viewer at most
 * (invariant 1). Audio, and video that is not H.265, pass through untouched.
 */
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import type { Camera, CameraEvents, CameraLease, FrameSink } from '../media/Camera.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { CameraCounters } from '../media/CameraCounters.js';
import { FanOut } from '../media/FanOut.js';
import { GopCache } from '../media/GopCache.js';
import { MAX_RTP_PAYLOAD, type MediaFrame } from '../media/MediaFrame.js';
import { annexB, frameNalus } from '../rtp/depayload.js';
import { packetizeH264 } from '../rtp/h264/H264Packetizer.js';
import type { Track } from '../sdp/Track.js';
import { FALLBACK_PROFILE_LEVEL_ID } from '../webrtc/codecs.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { CameraInfo } from '../../../shared/protocol.js';
import { H264Transcoder, type TranscodedPicture } from './H264Transcoder.js';

/** The transcode keeps running this long after its last viewer left (a page reload finds it warm). */
export const TRANSCODE_IDLE_MS = 10_000;
/** After ffmpeg failed, it is started again at a keyframe no sooner than this. */
export const TRANSCODE_RESTART_MS = 5_000;

export const FFMPEG_MISSING_FOR_H265 = 'this camera sends H.265 and is set to transcode it to H.264 for this browser, but ffmpeg is not installed';

export interface TranscodedCameraOptions {
  /** The camera whose H.265 is transcoded (a LiveCamera). */
  inner: Camera;
  logger: Logger;
  idleMs?: number;
  /** Where ffmpeg is (default: findFfmpeg, PATH or CAMRTC_FFMPEG). */
  ffmpeg?: () => string | undefined;
}

/** The camera's tracks as the transcoded viewers get them: H.265 video becomes Constrained Baseline H.264. */
export function transcodedTracks(tracks: readonly Track[]): readonly Track[] {
  if (!tracks.some((t) => t.kind === 'video' && t.codec === 'H265')) return tracks;
  return tracks.map((t) =>
    t.kind === 'video' && t.codec === 'H265' ? { ...t, codec: 'H264', fmtp: { 'packetization-mode': '1', 'profile-level-id': FALLBACK_PROFILE_LEVEL_ID } } : t,
  );
}

class TranscodeLease implements CameraLease {
  sink: FrameSink | undefined;
  playing = true;
  released = false;
  constructor(readonly camera: TranscodedCamera, private readonly owner: TranscodedCamera['owner']) {}
  subscribe(sink: FrameSink | undefined): void {
    if (!this.released) this.owner.subscribe(this, sink);
  }
  setPlaying(playing: boolean): void {
    if (this.released || this.playing === playing) return;
    this.playing = playing;
    this.owner.reconcilePlaying();
  }
  requestKeyframe(): readonly MediaFrame[] {
    return this.released ? [] : this.owner.requestKeyframe();
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

export class TranscodedCamera extends TypedEmitter<CameraEvents> implements Camera {
  readonly name: string;
  readonly seekable = false;
  readonly #inner: Camera;
  readonly #log: Logger;
  readonly #idleMs: number;
  readonly #ffmpeg: () => string | undefined;
  readonly #leases = new Set<TranscodeLease>();
  readonly #fanOut: FanOut;
  /** The current GOP of what viewers get (transcoded H.264, or the camera's own video passed through). */
  readonly #gop = new GopCache();
  /** The one lease on the camera while any transcoded viewer (or the idle time after the last) is there. */
  #upstream: CameraLease | undefined;
  readonly #upstreamSink: FrameSink = { onFrame: (frame) => this.#onCameraFrame(frame) };
  #transcoder: H264Transcoder | undefined;
  #generation = -1;
  #failedAt = -Infinity;
  #warnedMissing = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #tracksIn: readonly Track[] | undefined;
  #tracksOut: readonly Track[] | undefined;
  #closed = false;

  /** What the leases call (kept off the public surface). */
  readonly owner = {
    subscribe: (lease: TranscodeLease, sink: FrameSink | undefined): void => {
      if (lease.sink) this.#fanOut.delete(lease.sink);
      lease.sink = sink;
      if (sink) this.#fanOut.add(sink);
    },
    reconcilePlaying: (): void => this.#reconcilePlaying(),
    requestKeyframe: (): readonly MediaFrame[] => {
      const frames = this.#gop.frames();
      // Nothing cached yet: the camera's next keyframe (asked for if it has none cached) becomes one here.
      if (frames.length === 0) this.#upstream?.requestKeyframe();
      return frames;
    },
    release: (lease: TranscodeLease): void => this.#release(lease),
  };

  readonly #onStatus = (status: CameraStatus): void => {
    // A picture from before a drop would be replayed to new viewers as if live (LiveCamera does the same).
    if (status.state !== 'live' && status.state !== 'waiting') this.#gop.clear();
    this.safeEmit('status', status);
  };
  readonly #onTracks = (tracks: readonly Track[], compatible: boolean): void => {
    this.safeEmit('tracks', this.#present(tracks), compatible);
  };
  readonly #onClosed = (reason: CamrtcError): void => {
    this.safeEmit('closed', reason);
    void this.close();
  };

  constructor(options: TranscodedCameraOptions) {
    super();
    this.#inner = options.inner;
    this.name = options.inner.name;
    this.#log = options.logger.child({ camera: this.name, module: 'transcode' });
    this.#idleMs = options.idleMs ?? TRANSCODE_IDLE_MS;
    this.#ffmpeg = options.ffmpeg ?? (() => findFfmpeg());
    this.#fanOut = new FanOut(this.#log);
    this.#inner.on('status', this.#onStatus);
    this.#inner.on('tracks', this.#onTracks);
    this.#inner.on('closed', this.#onClosed);
  }

  get status(): CameraStatus {
    return this.#inner.status;
  }
  get counters(): CameraCounters {
    return this.#inner.counters;
  }
  get knownTracks(): readonly Track[] | undefined {
    const tracks = this.#inner.knownTracks;
    return tracks && this.#present(tracks);
  }
  /** The ffmpeg transcode runs now. */
  get transcoding(): boolean {
    return this.#transcoder !== undefined && !this.#transcoder.closed;
  }
  get leaseCount(): number {
    return this.#leases.size;
  }

  async tracks(): Promise<readonly Track[]> {
    const tracks = await this.#inner.tracks();
    if (tracks.some((t) => t.kind === 'video' && t.codec === 'H265') && this.#ffmpeg() === undefined) {
      throw new CamrtcError('ERR_FFMPEG_MISSING', FFMPEG_MISSING_FOR_H265);
    }
    return this.#present(tracks);
  }

  info(): CameraInfo {
    return this.#inner.info();
  }

  acquire(): CameraLease {
    const lease = new TranscodeLease(this, this.owner);
    if (this.#closed) {
      lease.released = true;
      return lease;
    }
    this.#leases.add(lease);
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (!this.#upstream) {
      this.#upstream = this.#inner.acquire();
      this.#upstream.subscribe(this.#upstreamSink);
      // The camera's cached GOP, at once: the first transcoded picture comes after one transcode, not
      // after the camera's next keyframe. (Empty: the camera is asked for a keyframe.)
      for (const frame of this.#upstream.requestKeyframe()) this.#onCameraFrame(frame);
    }
    this.#reconcilePlaying();
    return lease;
  }

  /** Stops the transcode and lets go of the camera. Idempotent; the inner camera closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    for (const lease of this.#leases) lease.released = true;
    this.#leases.clear();
    this.#fanOut.clear();
    this.#stop();
    this.#inner.off('status', this.#onStatus);
    this.#inner.off('tracks', this.#onTracks);
    this.#inner.off('closed', this.#onClosed);
    this.removeAllListeners();
  }

  /** The same array for the same camera tracks: spare viewers are matched to their tracks by identity. */
  #present(tracks: readonly Track[]): readonly Track[] {
    if (tracks !== this.#tracksIn) {
      this.#tracksIn = tracks;
      this.#tracksOut = transcodedTracks(tracks);
    }
    return this.#tracksOut!;
  }

  #release(lease: TranscodeLease): void {
    if (lease.sink) this.#fanOut.delete(lease.sink);
    lease.sink = undefined;
    if (!this.#leases.delete(lease)) return;
    this.#reconcilePlaying();
    if (this.#leases.size > 0 || this.#closed) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#leases.size === 0) this.#stop();
    }, this.#idleMs);
  }

  #stop(): void {
    this.#transcoder?.close();
    this.#transcoder = undefined;
    this.#upstream?.release();
    this.#upstream = undefined;
    this.#gop.clear();
  }

  /** The camera is paused only when no transcoded viewer plays (and no other viewer, LiveCamera's rule). */
  #reconcilePlaying(): void {
    let playing = this.#leases.size === 0;
    for (const l of this.#leases) if (l.playing) playing = true;
    this.#upstream?.setPlaying(playing);
  }

  #onCameraFrame(frame: MediaFrame): void {
    if (frame.kind === 'video' && this.#codecOf(frame.trackIndex) === 'H265') return this.#transcode(frame);
    if (frame.kind === 'video') this.#gop.push(frame);
    this.#fanOut.deliver(frame);
  }

  #codecOf(trackIndex: number): string | undefined {
    return this.#inner.knownTracks?.find((t) => t.index === trackIndex)?.codec;
  }

  #transcode(frame: MediaFrame): void {
    let transcoder = this.#transcoder;
    if (!transcoder || transcoder.closed) {
      if (!frame.keyframe || performance.now() - this.#failedAt < TRANSCODE_RESTART_MS) return;
      const ffmpeg = this.#ffmpeg();
      if (!ffmpeg) {
        if (!this.#warnedMissing) this.#log.error({ code: 'ERR_FFMPEG_MISSING' }, FFMPEG_MISSING_FOR_H265);
        this.#warnedMissing = true;
        return;
      }
      const videoIndex = frame.trackIndex;
      transcoder = new H264Transcoder(ffmpeg, {
        picture: (picture) => this.#deliverTranscoded(videoIndex, picture),
        error: (error) => {
          if (this.#transcoder !== transcoder) return;
          this.#log.error({ code: error.code }, `H.265 to H.264 transcode stopped: ${error.message}`);
          this.#failedAt = performance.now();
          this.#transcoder = undefined;
          this.#gop.clear();
        },
      });
      this.#transcoder = transcoder;
      this.#generation = frame.generation;
      this.#log.info('H.265 to H.264 transcode started');
    }
    if (frame.generation !== this.#generation) {
      // A new camera session: its pictures reference its own keyframe.
      this.#generation = frame.generation;
      transcoder.waitForKeyframe();
    }
    const nalus = frameNalus('H265', frame.payloads);
    if (nalus instanceof CamrtcError) {
      this.#log.debug({ code: nalus.code }, nalus.message);
      transcoder.waitForKeyframe();
      return;
    }
    transcoder.push({ annexB: annexB(nalus), keyframe: frame.keyframe, timestamp: frame.timestamp, generation: frame.generation });
  }

  #deliverTranscoded(trackIndex: number, picture: TranscodedPicture): void {
    const frame: MediaFrame = {
      trackIndex,
      kind: 'video',
      timestamp: picture.timestamp,
      keyframe: picture.keyframe,
      payloads: packetizeH264(picture.nalus, MAX_RTP_PAYLOAD),
      generation: picture.generation,
      // When it was ready to send: what viewers' "live picture" measure compares with.
      receivedAt: performance.now(),
    };
    this.#gop.push(frame);
    this.#fanOut.deliver(frame);
  }
}
