/**
 * One viewer of one camera, whatever the transport: forwards the camera's status, holds a lease on
 * the camera (which starts it on demand, before the peer connection exists), waits for its tracks,
 * then gets a Viewer (a prepared one from its ViewerSupply, or a new one) and makes or answers the
 * offer. It speaks in typed events, never in wire messages: the WebSocket protocol
 * (signaling/ClientConnection.ts) and WHEP (whep/WhepEndpoint.ts) are adapters that map them.
 * The Viewer subscribes to the camera through the lease itself: media never passes through here.
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera, CameraLease } from '../media/Camera.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { Viewer, type ViewerState } from '../webrtc/Viewer.js';
import type { CameraState, IceCandidate, PlaybackState, SessionStats } from '../../../shared/protocol.js';
import type { SuppliedViewer, ViewerSupply } from './OfferBroker.js';
import { checkClientSdp, assertClientSdp } from './clientSdp.js';
import { restrictOfferToH264 } from './offerCodecs.js';
import type { PeerSettings } from './PeerSettings.js';

/** The browser must answer, and ICE/DTLS must come up, within this time after the offer. */
export const SESSION_CONNECT_TIMEOUT_MS = 30_000;

export const H265_UNSUPPORTED_MESSAGE =
  "this camera sends H.265, which this browser cannot play; switch the camera's stream to H.264";

export interface PlaybackInfo {
  state: PlaybackState;
  /** The camera is a recording: seek works. */
  seekable: boolean;
  /** Seconds into the recording, after a seek. */
  position?: number;
}

export type ViewerSessionEvents = {
  /** The camera's state (at start, then on every change); its error is not redacted yet. */
  status: [CameraStatus];
  /** The server-made offer (once). */
  offer: [string];
  /** The answer to the client-made offer (once). */
  answer: [string];
  /** A server ICE candidate, with `trickle` only (null: gathering finished). */
  candidate: [IceCandidate | null];
  /** After the offer or answer, and after each play, pause and seek. */
  playback: [PlaybackInfo];
  /** The peer connection came up (ICE and DTLS), once: the connect timeout no longer applies. */
  connected: [];
  /** The session ends because of this error; `closed` follows. */
  failed: [CamrtcError];
  /** The session ended (stop, failure, shutdown); `reason` is for the client. Once. */
  closed: [string | undefined];
  /** Everything the session held (viewer, lease) is released; its owner may forget it. Once. */
  ended: [];
  /** A listener threw (TypedEmitter.safeEmit): logged, never breaks the session. */
  listenererror: [string, unknown];
};

export interface ViewerSessionOptions {
  id: string;
  camera: Camera;
  h265: boolean;
  peer: PeerSettings;
  logger: Logger;
  connectTimeoutMs?: number;
  /** The client's SDP offer: the session answers it (`answer` event) instead of making an offer. */
  offer?: string;
  /** Server-made offer only: emit it before ICE gathering and trickle the candidates. */
  trickle?: boolean;
  /**
   * Prepared viewers (OfferBroker, or a page's claim on it): used for a server-made, untrickled
   * offer; told when the viewer connected so the next watch finds a spare.
   */
  supply?: ViewerSupply;
}

/** What the session has sent so far, for a `stats` request. */
export interface ViewerSessionStats {
  camera: string;
  cameraState: CameraState;
  playback: PlaybackState;
  stats: SessionStats;
}

export class ViewerSession extends TypedEmitter<ViewerSessionEvents> {
  readonly id: string;
  readonly camera: Camera;
  /** The demand this session puts on the camera, from start() to close(). */
  #lease: CameraLease | undefined;
  readonly #options: ViewerSessionOptions;
  readonly #logger: Logger;
  #viewer: Viewer | undefined;
  /** The camera's tracks the viewer was made for (the next spare must match them). */
  #tracks: readonly Track[] | undefined;
  #paused = false;
  /** An answer was taken (werift applies one per offer: a second one would fail the connection). */
  #answered = false;
  #position: number | undefined;
  readonly #startedAt = performance.now();
  #connectTimer: NodeJS.Timeout | undefined;
  #closePromise: Promise<void> | undefined;
  readonly #onStatus = (status: CameraStatus): void => {
    this.safeEmit('status', status);
  };
  readonly #onTracks = (_tracks: readonly Track[], compatible: boolean): void => {
    // The camera came back with other media or codecs: this peer connection cannot carry them.
    if (!compatible && this.#viewer) void this.fail(new CamrtcError('ERR_TRACKS_CHANGED', `camera '${this.camera.name}' came back with other tracks or codecs: reconnect to watch it`));
  };

  /** The camera was removed or changed at run time (or closed): the session ends with its reason. */
  readonly #onCameraClosed = (reason: CamrtcError): void => {
    void this.fail(reason);
  };

  constructor(options: ViewerSessionOptions) {
    super();
    this.id = options.id;
    // An H.265 camera set to transcode gives browsers without H.265 its H.264 view.
    this.camera = options.camera.viewFor?.(options.h265) ?? options.camera;
    this.#options = options;
    this.#logger = options.logger;
    this.on('listenererror', (event, err) => this.#logger.error({ err, session: this.id, event }, 'viewer session listener failed'));
  }

  get closed(): boolean {
    return this.#closePromise !== undefined;
  }
  /** performance.now() when the client asked to watch: where first-frame times start. */
  get startedAt(): number {
    return this.#startedAt;
  }
  get viewer(): Viewer | undefined {
    return this.#viewer;
  }

  /** Runs the watch; failures end the session (`failed`, then `closed`), never a throw. */
  async start(): Promise<void> {
    if (this.#options.offer !== undefined) {
      // Before the camera starts and before any parser: a hostile offer costs one line scan. The
      // adapters refuse it earlier (no session at all); this keeps every path to werift bounded.
      const check = checkClientSdp(this.#options.offer, 'offer');
      if (!check.ok) return this.fail(check.error);
    }
    this.camera.on('status', this.#onStatus);
    this.camera.on('tracks', this.#onTracks);
    this.camera.on('closed', this.#onCameraClosed);
    this.safeEmit('status', this.camera.status);
    const lease = this.camera.acquire();
    this.#lease = lease;
    try {
      const tracks = await this.camera.tracks();
      if (this.closed) return;
      this.#checkCodecs(tracks);
      this.#tracks = tracks;
      const prepared = this.#takePrepared(tracks);
      const viewer = prepared?.viewer ?? new Viewer({
        id: this.id,
        tracks,
        h265: this.#options.h265,
        // Fresh for each viewer: a TURN REST credential expires.
        iceServers: this.#options.peer.serverIceServers(),
        network: this.#options.peer.network,
        logger: this.#logger,
      });
      this.#viewer = viewer;
      // The viewer subscribes to the camera's frames and asks it for keyframes (its PLIs included)
      // through the lease: one keyframe path, one rate limit.
      viewer.attach(lease);
      viewer.on('state', (state) => this.#onViewerState(state));
      viewer.on('candidate', (candidate) => this.safeEmit('candidate', candidate));
      if (this.#paused) viewer.pause();
      this.#armConnectTimer();
      if (this.#options.offer !== undefined) {
        const video = viewer.tracks.find((t) => t.kind === 'video');
        const sdp = await viewer.acceptOffer(restrictOfferToH264(this.#options.offer, video?.fmtp['profile-level-id']));
        if (this.closed) return;
        this.safeEmit('answer', sdp);
      } else {
        const sdp = await (prepared?.offer ?? viewer.createOffer({ trickle: this.#options.trickle }));
        if (this.closed) return;
        // Emitted even when the page holds this very offer: every session has its offer, and a page
        // whose offer was not used sees a different one here and answers that.
        this.safeEmit('offer', sdp);
      }
      this.#emitPlayback();
      if (prepared?.early) {
        await this.answer(prepared.early.sdp);
        for (const candidate of prepared.early.candidates) {
          await this.candidate(candidate).catch((err: unknown) => this.#logger.debug({ err, session: this.id }, 'early candidate refused'));
        }
      }
    } catch (err) {
      if (!this.closed) await this.fail(err);
    }
  }

  /**
   * The browser's answer to the session's offer. What is wrong with the message itself (a second
   * answer, an answer to the client's own offer, a text that is no SDP) is thrown as
   * ERR_SIGNALING_INVALID or ERR_LIMIT and the session goes on; an answer werift refuses ends it.
   */
  async answer(sdp: string): Promise<void> {
    const viewer = this.#requireViewer('answer');
    if (this.#options.offer !== undefined) {
      throw new CamrtcError('ERR_SIGNALING_INVALID', `session ${this.id} answered the client's offer: it takes no answer`);
    }
    if (this.#answered) throw new CamrtcError('ERR_SIGNALING_INVALID', `session ${this.id} is already answered: the second answer is ignored`);
    assertClientSdp(sdp, 'answer');
    this.#answered = true;
    try {
      await viewer.setAnswer(sdp);
    } catch (err) {
      await this.fail(err);
    }
  }

  async candidate(candidate: IceCandidate | null): Promise<void> {
    await this.#requireViewer('candidate').addIceCandidate(candidate);
  }

  get playback(): PlaybackState {
    return this.#paused ? 'paused' : 'playing';
  }

  pause(): void {
    this.#paused = true;
    this.#viewer?.pause();
    this.#lease?.setPlaying(false);
    this.#emitPlayback();
  }

  play(): void {
    this.#paused = false;
    this.#viewer?.play();
    this.#lease?.setPlaying(true);
    this.#emitPlayback();
  }

  /** Recording cameras: plays from `seconds` into the recording (this viewer's own RTSP session). */
  async seek(seconds: number): Promise<void> {
    if (!this.camera.seekable || !this.#lease) {
      throw new CamrtcError('ERR_NOT_SEEKABLE', `camera '${this.camera.name}' is live, not a recording: it cannot seek`);
    }
    await this.#lease.seek(seconds);
    if (this.#paused) {
      // A seek plays: the viewer forwards again.
      this.#paused = false;
      this.#viewer?.play();
    }
    if (this.closed) return;
    this.#position = seconds;
    this.#emitPlayback();
  }

  /** What the server sent this viewer so far. */
  stats(): ViewerSessionStats {
    const viewer = this.#viewer;
    const counts = viewer?.stats ?? { framesSent: 0, packetsSent: 0, framesSkipped: 0, sendErrors: 0 };
    return {
      camera: this.camera.name,
      cameraState: this.camera.status.state,
      playback: this.playback,
      stats: {
        uptime: Math.round((performance.now() - this.#startedAt) / 100) / 10,
        framesSent: counts.framesSent,
        packetsSent: counts.packetsSent,
        framesSkipped: counts.framesSkipped,
        sendErrors: counts.sendErrors,
        connection: viewer?.state ?? 'new',
      },
    };
  }

  /** Ends the session with `failed`, then `closed` (its reason: the error's redacted message). */
  async fail(err: unknown): Promise<void> {
    if (this.closed) return;
    const error = toCamrtcError(err);
    const message = redactText(error.message);
    if (error.code === 'ERR_INTERNAL') this.#logger.error({ err, session: this.id }, 'viewer session failed');
    else this.#logger.info({ code: error.code, session: this.id }, `viewer session failed: ${message}`);
    this.safeEmit('failed', error);
    await this.close(message);
  }

  /** Idempotent. `reason`, when given, is for the client (`closed` event). */
  close(reason?: string): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    clearTimeout(this.#connectTimer);
    this.camera.off('status', this.#onStatus);
    this.camera.off('tracks', this.#onTracks);
    this.camera.off('closed', this.#onCameraClosed);
    this.#lease?.release();
    this.#closePromise = (this.#viewer?.close() ?? Promise.resolve()).finally(() => this.safeEmit('ended'));
    this.safeEmit('closed', reason);
    return this.#closePromise;
  }

  /** A prepared viewer: only for a server-made offer with every candidate in it, as they are made. */
  #takePrepared(tracks: readonly Track[]): SuppliedViewer | undefined {
    if (this.#options.offer !== undefined || this.#options.trickle) return undefined;
    const prepared = this.#options.supply?.take(this.camera, tracks, this.#options.h265);
    if (prepared) this.#logger.debug({ session: this.id, viewer: prepared.viewer.id }, prepared.origin === 'page' ? "using the page's viewer" : 'using a spare viewer');
    return prepared;
  }

  #armConnectTimer(): void {
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined;
      void this.fail(new CamrtcError('ERR_TIMEOUT', 'the browser did not connect in time'));
    }, this.#options.connectTimeoutMs ?? SESSION_CONNECT_TIMEOUT_MS);
    this.#connectTimer.unref();
  }

  #emitPlayback(): void {
    if (!this.#viewer || this.closed) return;
    this.safeEmit('playback', {
      state: this.playback,
      seekable: this.camera.seekable,
      ...(this.#position !== undefined ? { position: this.#position } : {}),
    });
  }

  #checkCodecs(tracks: readonly Track[]): void {
    const video = tracks.find((t) => t.kind === 'video');
    if (video?.codec === 'H265' && !this.#options.h265) {
      // For this viewer the camera is unplayable, live as it may be for others: the state says so.
      this.safeEmit('status', { state: 'unplayable', error: { code: 'ERR_CODEC_UNSUPPORTED', message: H265_UNSUPPORTED_MESSAGE } });
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', H265_UNSUPPORTED_MESSAGE, { codec: 'H265' });
    }
  }

  #onViewerState(state: ViewerState): void {
    if (state === 'connected') {
      const first = this.#connectTimer !== undefined;
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
      if (first) this.safeEmit('connected');
      if (this.#tracks) this.#options.supply?.connected(this.camera, this.#tracks, this.#options.h265);
    } else if (state === 'failed') {
      void this.fail(new CamrtcError('ERR_WEBRTC', 'the WebRTC connection to the browser failed'));
    }
  }

  #requireViewer(what: string): Viewer {
    if (!this.#viewer || this.closed) {
      throw new CamrtcError('ERR_SIGNALING_INVALID', `${what} before the offer: wait for the offer of session ${this.id}`);
    }
    return this.#viewer;
  }
}
