/**
 * One `watch` on one socket: forwards the camera's status, holds a lease on the camera (which starts
 * it on demand, before the peer connection exists), waits for its tracks, then creates the Viewer and
 * sends the offer. The Viewer subscribes to the camera through the lease itself: media never passes
 * through this session.
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera, CameraLease } from '../media/Camera.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { Track } from '../sdp/Track.js';
import { Viewer, type ViewerState } from '../webrtc/Viewer.js';
import type { IceServer, ViewerNetworkOptions } from '../webrtc/peerConfig.js';
import type { ViewerPool } from '../webrtc/ViewerPool.js';
import type { IceCandidate, PlaybackState, ServerMessage } from '../../../shared/protocol.js';
import { restrictOfferToH264 } from './offerCodecs.js';

/** The browser must answer, and ICE/DTLS must come up, within this time after the offer. */
export const SESSION_CONNECT_TIMEOUT_MS = 30_000;

/**
 * The pool's next spare viewer is made this long after a viewer connected: by then its first frame
 * is on screen (making it at once slowed that frame on a 2-core machine).
 */
export const SPARE_AFTER_CONNECT_MS = 1_000;

export const H265_UNSUPPORTED_MESSAGE =
  "this camera sends H.265, which this browser cannot play; switch the camera's stream to H.264";

export interface ViewerSessionOptions {
  id: string;
  camera: Camera;
  /** Sends a message on the session's socket (dropped when the socket is gone). */
  send: (message: ServerMessage) => void;
  /** Called once when the session ends for any reason, so the connection forgets it. */
  onEnded: (session: ViewerSession) => void;
  h265: boolean;
  iceServers: readonly IceServer[];
  network: ViewerNetworkOptions;
  logger: Logger;
  connectTimeoutMs?: number;
  /** The client's SDP offer: the session answers it (`answer` message) instead of making an offer. */
  offer?: string;
  /** Server-made offer only: send it before ICE gathering and trickle the candidates. */
  trickle?: boolean;
  /** Spare viewers with their offers made; the session takes one and has the next one prepared. */
  pool?: ViewerPool;
  /**
   * The camera page's ticket (ViewerPool.reserve): the page already holds that viewer's offer, so the
   * session uses that viewer when it is still there. The page's browser answers with the same ticket
   * before it has seen the session's `offer` message (see answer()).
   */
  ticket?: string;
}

/** Candidates kept while an answer to the page's offer waits for the session's viewer. */
const MAX_EARLY_CANDIDATES = 16;

export class ViewerSession {
  readonly id: string;
  readonly camera: Camera;
  /** The demand this session puts on the camera, from start() to close(). */
  #lease: CameraLease | undefined;
  readonly #options: ViewerSessionOptions;
  readonly #logger: Logger;
  #viewer: Viewer | undefined;
  /** The camera's tracks the viewer was made for (the pool's spare must match them). */
  #tracks: readonly Track[] | undefined;
  #paused = false;
  #position: number | undefined;
  /** The page offer this session's viewer came from (its ticket), if it did. */
  #claimedTicket: string | undefined;
  /**
   * Answer to the page's offer that came before the viewer was chosen, with the candidates that
   * followed it; applied if the session claims that offer, dropped if not.
   */
  #early: { sdp: string; candidates: (IceCandidate | null)[] } | undefined;
  /** With a ticket: the browser's answer has been applied (candidates before it belong to a stale one). */
  #answered = false;
  readonly #startedAt = performance.now();
  #connectTimer: NodeJS.Timeout | undefined;
  #closePromise: Promise<void> | undefined;
  readonly #onStatus = (status: CameraStatus): void => this.#sendStatus(status);
  readonly #onTracks = (_tracks: readonly Track[], compatible: boolean): void => {
    // The camera came back with other media or codecs: this peer connection cannot carry them.
    if (!compatible && this.#viewer) void this.fail(new CamrtcError('ERR_TRACKS_CHANGED', `camera '${this.camera.name}' came back with other tracks or codecs: reconnect to watch it`));
  };

  constructor(options: ViewerSessionOptions) {
    this.id = options.id;
    this.camera = options.camera;
    this.#options = options;
    this.#logger = options.logger;
  }

  get closed(): boolean {
    return this.#closePromise !== undefined;
  }
  get viewer(): Viewer | undefined {
    return this.#viewer;
  }

  /** Runs the watch; failures end the session with an `error` then a `closed` message, never a throw. */
  async start(): Promise<void> {
    this.camera.on('status', this.#onStatus);
    this.camera.on('tracks', this.#onTracks);
    this.#sendStatus(this.camera.status);
    const lease = this.camera.acquire();
    this.#lease = lease;
    try {
      const tracks = await this.camera.tracks();
      if (this.closed) return;
      this.#checkCodecs(tracks);
      this.#tracks = tracks;
      const pool = this.#options.offer === undefined && !this.#options.trickle ? this.#options.pool : undefined;
      const ticket = this.#options.ticket;
      const claimed = ticket !== undefined ? pool?.claim(ticket, this.camera, tracks) : undefined;
      if (claimed) this.#claimedTicket = ticket;
      else if (ticket !== undefined) this.#logger.debug({ session: this.id }, "the page's offer is gone: making a new one");
      const spare = claimed ?? pool?.take(this.camera, tracks, this.#options.h265);
      if (spare) this.#logger.debug({ session: this.id, viewer: spare.viewer.id }, claimed ? "using the page's viewer" : 'using a spare viewer');
      const viewer = spare?.viewer ?? new Viewer({
        id: this.id,
        tracks,
        h265: this.#options.h265,
        iceServers: this.#options.iceServers,
        network: this.#options.network,
        logger: this.#logger,
      });
      this.#viewer = viewer;
      // The viewer subscribes to the camera's frames and asks it for keyframes (its PLIs included)
      // through the lease: one keyframe path, one rate limit.
      viewer.attach(lease);
      viewer.on('state', (state) => this.#onViewerState(state));
      viewer.on('candidate', (candidate) => this.#options.send({ type: 'candidate', id: this.id, candidate }));
      if (this.#paused) viewer.pause();
      this.#armConnectTimer();
      if (this.#options.offer !== undefined) {
        const video = viewer.tracks.find((t) => t.kind === 'video');
        const sdp = await viewer.acceptOffer(restrictOfferToH264(this.#options.offer, video?.fmtp['profile-level-id']));
        if (this.closed) return;
        this.#options.send({ type: 'answer', id: this.id, sdp });
      } else {
        const sdp = await (spare?.offer ?? viewer.createOffer({ trickle: this.#options.trickle }));
        if (this.closed) return;
        // Sent even when the page holds this very offer: every session has its `offer` message, and
        // a page whose offer was not claimed sees a different one here and answers that.
        this.#options.send({ type: 'offer', id: this.id, sdp });
      }
      this.#sendPlayback();
      const early = this.#early;
      this.#early = undefined;
      if (early && this.#claimedTicket !== undefined) {
        await this.answer(early.sdp, this.#claimedTicket);
        for (const candidate of early.candidates) {
          await this.candidate(candidate).catch((err: unknown) => this.#logger.debug({ err, session: this.id }, 'early candidate refused'));
        }
      }
    } catch (err) {
      if (!this.closed) await this.fail(err);
    }
  }

  /**
   * The browser's answer. With `ticket`, it answers the offer in the camera page: applied when this
   * session's viewer is that page's (kept until the viewer is chosen), otherwise ignored, because the
   * browser answers the session's own `offer` message next.
   */
  async answer(sdp: string, ticket?: string): Promise<void> {
    if (ticket !== undefined) {
      if (!this.#viewer && !this.closed && ticket === this.#options.ticket) {
        this.#early = { sdp, candidates: [] };
        return;
      }
      if (ticket !== this.#claimedTicket) {
        this.#logger.debug({ session: this.id }, "ignoring the answer to a page's offer this session did not use");
        return;
      }
    }
    const viewer = this.#requireViewer('answer');
    this.#answered = true;
    try {
      await viewer.setAnswer(sdp);
    } catch (err) {
      await this.fail(err);
    }
  }

  async candidate(candidate: IceCandidate | null): Promise<void> {
    if (this.#options.ticket !== undefined && !this.#answered) {
      // The page's browser trickles after answering the page's offer: before the viewer is chosen
      // they wait with that answer; after an ignored answer they belong to a connection that is gone.
      if (this.#early && this.#early.candidates.length < MAX_EARLY_CANDIDATES) this.#early.candidates.push(candidate);
      return;
    }
    await this.#requireViewer('candidate').addIceCandidate(candidate);
  }

  get playback(): PlaybackState {
    return this.#paused ? 'paused' : 'playing';
  }

  pause(): void {
    this.#paused = true;
    this.#viewer?.pause();
    this.#lease?.setPlaying(false);
    this.#sendPlayback();
  }

  play(): void {
    this.#paused = false;
    this.#viewer?.play();
    this.#lease?.setPlaying(true);
    this.#sendPlayback();
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
    this.#sendPlayback();
  }

  /** The `stats` reply: what the server sent this viewer so far. */
  stats(): Extract<ServerMessage, { type: 'stats' }> {
    const viewer = this.#viewer;
    const counts = viewer?.stats ?? { framesSent: 0, packetsSent: 0, framesSkipped: 0, sendErrors: 0 };
    return {
      type: 'stats',
      id: this.id,
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

  /** Ends the session with an error reply, then `closed`. */
  async fail(err: unknown): Promise<void> {
    if (this.closed) return;
    const error = toCamrtcError(err);
    const message = redactText(error.message);
    if (error.code === 'ERR_INTERNAL') this.#logger.error({ err, session: this.id }, 'viewer session failed');
    else this.#logger.info({ code: error.code, session: this.id }, `viewer session failed: ${message}`);
    this.#options.send({ type: 'error', id: this.id, code: error.code, message });
    await this.close(message);
  }

  /** Idempotent. `reason`, when given, is sent to the client in a `closed` message. */
  close(reason?: string): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    clearTimeout(this.#connectTimer);
    this.camera.off('status', this.#onStatus);
    this.camera.off('tracks', this.#onTracks);
    this.#lease?.release();
    this.#options.send({ type: 'closed', id: this.id, ...(reason ? { reason } : {}) });
    this.#closePromise = (this.#viewer?.close() ?? Promise.resolve()).finally(() => this.#options.onEnded(this));
    return this.#closePromise;
  }

  #armConnectTimer(): void {
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined;
      void this.fail(new CamrtcError('ERR_TIMEOUT', 'the browser did not connect in time'));
    }, this.#options.connectTimeoutMs ?? SESSION_CONNECT_TIMEOUT_MS);
    this.#connectTimer.unref();
  }

  #sendPlayback(): void {
    if (!this.#viewer || this.closed) return;
    this.#options.send({
      type: 'playback',
      id: this.id,
      state: this.playback,
      seekable: this.camera.seekable,
      ...(this.#position !== undefined ? { position: this.#position } : {}),
    });
  }

  #checkCodecs(tracks: readonly Track[]): void {
    const video = tracks.find((t) => t.kind === 'video');
    if (video?.codec === 'H265' && !this.#options.h265) {
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', H265_UNSUPPORTED_MESSAGE, { codec: 'H265' });
    }
  }

  #onViewerState(state: ViewerState): void {
    if (state === 'connected') {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
      // Later, not now: making the spare must not compete with this viewer's handshake and first frame.
      if (this.#tracks) this.#options.pool?.prepareLater(this.camera, this.#tracks, this.#options.h265, SPARE_AFTER_CONNECT_MS);
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

  #sendStatus(status: CameraStatus): void {
    this.#options.send({
      type: 'status',
      id: this.id,
      camera: this.camera.name,
      state: status.state,
      ...(status.error ? { error: { code: status.error.code, message: redactText(status.error.message) } } : {}),
    });
  }
}
