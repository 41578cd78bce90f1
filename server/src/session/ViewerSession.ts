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
import type { Camera } from '../media/Camera.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { Viewer, type ViewerState } from '../webrtc/Viewer.js';
import type { CameraState, IceCandidate, PlaybackState, SessionStats, StreamName, TalkStatus } from '../../../shared/protocol.js';
import { CameraTalk } from '../talk/CameraTalk.js';
import { TalkSeat } from '../talk/TalkSeat.js';
import { talkFormatOf } from '../talk/talkPlan.js';
import type { SuppliedViewer, ViewerSupply } from './OfferBroker.js';
import { checkClientSdp, assertClientSdp } from './clientSdp.js';
import { restrictOfferToH264 } from './offerCodecs.js';
import type { PeerSettings } from './PeerSettings.js';
import { SessionStreams, type SessionStream } from './SessionStreams.js';
import { planStreamOffer } from './streamOffer.js';

export { STREAM_SWITCH_TIMEOUT_MS, type SessionStream } from './SessionStreams.js';

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
  /** After the offer or answer, after each switch between main and sub, and when a switch failed. */
  stream: [SessionStream];
  /** The peer connection came up (ICE and DTLS), once: the connect timeout no longer applies. */
  connected: [];
  /** The session ends because of this error; `closed` follows. */
  failed: [CamrtcError];
  /** Two-way audio: who has the camera's speaker (sessions that may talk, from the offer on). */
  talk: [TalkStatus];
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
  /**
   * The viewer may talk to the camera (the `talk` permission): `label` names it to other talkers;
   * `logger` is the camera's talk room's when this session makes it.
   */
  talk?: { label: string; logger: Logger };
  /** The stream to start with (default main; a camera without a sub stream sends main). */
  stream?: StreamName;
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
  /**
   * The demand this session puts on the camera, from start() to close(): a lease on the stream it is
   * on (main or sub), two while it switches.
   */
  readonly #streams: SessionStreams;
  /** A switch asked for before the viewer existed: made once the offer is out. */
  #wantedStream: StreamName | undefined;
  /** The viewer was made as the broker's spares are (main stream, its own tracks): it may use and feed them. */
  #sparesFit = false;
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
  #talk: TalkSeat | undefined;
  #closePromise: Promise<void> | undefined;
  readonly #onStatus = (status: CameraStatus): void => {
    // A stream that cannot play before the viewer exists: the session starts on the other one.
    if (status.state === 'unplayable' && !this.#viewer && this.#streams.canFallBack()) return;
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
    this.#streams = new SessionStreams(options.camera, {
      sessionId: options.id,
      logger: options.logger,
      onStatus: this.#onStatus,
      onTracks: this.#onTracks,
      paused: () => this.#paused,
      switched: (stream) => this.safeEmit('stream', stream),
      h265: options.h265,
    });
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
  /** The camera stream the viewer is on: main, or the camera's sub stream. */
  get stream(): StreamName {
    return this.#streams.name;
  }

  /** Runs the watch; failures end the session (`failed`, then `closed`), never a throw. */
  async start(): Promise<void> {
    if (this.#options.offer !== undefined) {
      // Before the camera starts and before any parser: a hostile offer costs one line scan. The
      // adapters refuse it earlier (no session at all); this keeps every path to werift bounded.
      const check = checkClientSdp(this.#options.offer, 'offer');
      if (!check.ok) return this.fail(check.error);
    }
    this.camera.on('closed', this.#onCameraClosed);
    this.#streams.start(this.#options.stream);
    this.safeEmit('status', this.#streams.current.status);
    try {
      const tracks = await this.#startTracks();
      if (this.closed) return;
      this.#checkCodecs(tracks);
      // Made to carry the camera's other stream too (main and sub): streamOffer.ts.
      const { tracks: offered, h264ProfileLevelId } = planStreamOffer(tracks, this.#streams.otherTracks());
      this.#tracks = offered;
      // Prepared viewers are made for the main stream's own tracks and profile.
      this.#sparesFit = this.#streams.name === 'main' && offered === tracks && !h264ProfileLevelId;
      const prepared = this.#sparesFit ? this.#takePrepared(tracks) : undefined;
      const viewer = prepared?.viewer ?? new Viewer({
        id: this.id,
        tracks: offered,
        h265: this.#options.h265,
        ...(h264ProfileLevelId ? { h264ProfileLevelId } : {}),
        // Fresh for each viewer: a TURN REST credential expires.
        iceServers: this.#options.peer.serverIceServers(),
        network: this.#options.peer.network,
        // A client-made offer is answered as it asks (receive only): no talk in it.
        talk: this.#options.offer === undefined ? talkFormatOf(this.camera) : undefined,
        logger: this.#logger,
      });
      this.#viewer = viewer;
      this.#joinTalk(viewer);
      // The viewer subscribes to the camera's frames and asks it for keyframes (its PLIs included)
      // through the lease: one keyframe path, one rate limit.
      viewer.attach(this.#streams.lease!);
      viewer.on('state', (state) => this.#onViewerState(state));
      viewer.on('candidate', (candidate) => this.safeEmit('candidate', candidate));
      if (this.#paused) viewer.pause();
      this.#armConnectTimer();
      if (this.#options.offer !== undefined) {
        const video = viewer.tracks.find((t) => t.kind === 'video');
        const sdp = await viewer.acceptOffer(restrictOfferToH264(this.#options.offer, h264ProfileLevelId ?? video?.fmtp['profile-level-id']));
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
      this.safeEmit('stream', this.#streams.info());
      if (this.#wantedStream !== undefined) this.switchStream(this.#wantedStream);
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
    this.#streams.setPlaying(false);
    this.#emitPlayback();
  }

  play(): void {
    this.#paused = false;
    this.#viewer?.play();
    this.#streams.setPlaying(true);
    this.#emitPlayback();
  }

  /** Whether this viewer may talk to the camera (said with the offer). */
  get talkAvailable(): boolean {
    return this.#talk !== undefined;
  }
  get talkStatus(): TalkStatus | undefined {
    return this.#talk?.status;
  }

  /** Asks for the camera's speaker: a `talk` event answers (talking, or busy with the holder). */
  startTalk(): void {
    if (!this.#talk || this.closed) throw new CamrtcError('ERR_TALK_UNAVAILABLE', `session ${this.id} cannot talk to camera '${this.camera.name}'`);
    this.#talk.start();
  }

  stopTalk(): void {
    this.#talk?.stop();
  }

  /**
   * Moves the viewer to the camera's main or sub stream on its peer connection (no new offer): the
   * current stream plays until the new one's keyframe is here. A `stream` event follows the cut-over
   * or says why the switch failed; asking for the stream the viewer is on answers at once.
   */
  switchStream(name: StreamName): void {
    if (this.closed) return;
    const viewer = this.#viewer;
    this.#wantedStream = viewer ? undefined : name;
    if (viewer) this.#streams.request(name, viewer);
  }

  /** Recording cameras: plays from `seconds` into the recording (this viewer's own RTSP session). */
  async seek(seconds: number): Promise<void> {
    const lease = this.#streams.lease;
    if (!this.camera.seekable || !lease) {
      throw new CamrtcError('ERR_NOT_SEEKABLE', `camera '${this.camera.name}' is live, not a recording: it cannot seek`);
    }
    await lease.seek(seconds);
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
    this.camera.off('closed', this.#onCameraClosed);
    this.#streams.close(this.#viewer);
    this.#talk?.close();
    this.#closePromise = (this.#viewer?.close() ?? Promise.resolve()).finally(() => this.safeEmit('ended'));
    this.safeEmit('closed', reason);
    return this.#closePromise;
  }

  /** A viewer that can carry talk audio, of a session that may talk, gets its seat in the camera's room. */
  #joinTalk(viewer: Viewer): void {
    const talk = this.#options.talk;
    // A client-made offer is answered as it asks (receive only): the browser would not send.
    if (!talk || viewer.talkCodec === undefined || this.#options.offer !== undefined) return;
    const room = CameraTalk.of(this.camera, talk.logger);
    if (!room) return;
    this.#talk = new TalkSeat(room, viewer, talk.label);
    this.#talk.on('status', (status) => this.safeEmit('talk', status));
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

  /**
   * The tracks of the stream the session starts on; those of the camera's other stream when this one
   * cannot play here (unplayable, such as an MJPEG sub stream, or H.265 for a browser without it) and
   * the other one is H.264: a grid of sub streams still plays when the sub stream is MJPEG, a
   * full-size player the sub stream when the main one is H.265.
   */
  async #startTracks(): Promise<readonly Track[]> {
    try {
      const tracks = await this.#streams.current.tracks();
      if (!this.#h265Refused(tracks) || !this.#streams.canFallBack() || this.#h265Refused(this.#streams.otherTracks() ?? [])) return tracks;
    } catch (err) {
      if (this.closed || !this.#streams.canFallBack()) throw err;
    }
    this.#streams.fallBack();
    this.#logger.info({ session: this.id, stream: this.#streams.name }, `the other stream cannot play here: starting on the ${this.#streams.name} stream`);
    this.safeEmit('status', this.#streams.current.status);
    return this.#streams.current.tracks();
  }

  #h265Refused(tracks: readonly Track[]): boolean {
    return !this.#options.h265 && tracks.some((t) => t.kind === 'video' && t.codec === 'H265');
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
      if (this.#tracks && this.#sparesFit) this.#options.supply?.connected(this.camera, this.#tracks, this.#options.h265);
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
