/**
 * Browser side of camrtc for one camera: opens the signaling socket, watches the camera, answers the
 * server's offer and exposes the picture as a MediaStream. Reconnects by itself with backoff when the
 * socket closes or the peer connection fails, reusing the same MediaStream so a <video> bound to it
 * keeps playing once the new connection is up. On camrtc's camera page the first connection is the
 * socket the page's early script already opened for this camera (earlySignaling.ts).
 *
 * Only type imports from shared/: the runtime schemas there would pull zod into the bundle.
 */
import type { ClientMessage, ServerMessage, StreamName } from '../../shared/protocol.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { CamrtcClientOptions, ClientStatus, ClientStream, TalkInfo } from './CamrtcClientTypes.js';
import { adoptEarlySignal, allowTalk, candidateMessage, newSessionId, openWatchSocket, type EarlySignal } from './earlySignaling.js';
import { TalkMicrophone } from './TalkMicrophone.js';
import { defaultSignalingUrl, signalingUrl } from './signalingUrl.js';
import { ReceivedStream } from './ReceivedStream.js';
import { ReconnectBackoff } from './ReconnectBackoff.js';
import { hasOwnIce, rtcConfiguration, serverIce } from './iceConfig.js';
import { relayUnavailable, watchIceTrouble, type IceTrouble } from './iceTrouble.js';

/** Errors after which retrying cannot help (a removed camera, a viewer an administrator disconnected). */
const FATAL_CODES: ReadonlySet<string> = new Set([
  'ERR_CAMERA_UNKNOWN',
  'ERR_CODEC_UNSUPPORTED',
  'ERR_FFMPEG_MISSING',
  'ERR_SIGNALING_INVALID',
  'ERR_RTSP_NO_TRACKS',
  'ERR_CAMERA_REMOVED',
  'ERR_VIEWER_DISCONNECTED',
]);
/**
 * Reconnect without a delay: the camera was changed on the server (the new one is there already), or
 * a cluster node is shutting down (another node serves the camera: docs/cluster.md).
 */
const RECONNECT_NOW_CODES: ReadonlySet<string> = new Set(['ERR_CAMERA_CHANGED', 'ERR_CLUSTER_MOVED']);
/**
 * Refusals of access (a missing, invalid, expired or insufficient login or token): the player stops
 * and says so, instead of reconnecting every few seconds to be refused again. A new token (the
 * player's `token` attribute) or a reload starts over.
 */
export const REFUSAL_CODES: ReadonlySet<string> = new Set(['ERR_AUTH_REQUIRED', 'ERR_AUTH_INVALID', 'ERR_FORBIDDEN']);

let sessionCounter = 0;

export { canReceiveH265, defaultSignalingUrl, signalingUrl } from './signalingUrl.js';
export type { CamrtcClientOptions, ClientState, ClientStatus, TalkInfo, TalkState, ClientStream } from './CamrtcClientTypes.js';

export class CamrtcClient {
  readonly camera: string;
  /** The camera's picture (and sound); the same object across reconnects. */
  readonly stream: MediaStream;
  readonly #options: CamrtcClientOptions;
  readonly #received: ReceivedStream;
  #ws: WebSocket | undefined;
  #pc: RTCPeerConnection | undefined;
  #sessionId = '';
  #status: ClientStatus = { state: 'connecting' };
  #closed = false;
  #started = false;
  #paused = false;
  readonly #backoff = new ReconnectBackoff();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #lastError: { code?: ErrorCode; reason: string } | undefined;
  #frameWatch = 0;
  /** The page's early signaling socket is only considered for the first connection. */
  #earlyChecked = false;
  /** The early script's unused peer connection, for the first offer. */
  #warmPc: RTCPeerConnection | undefined;
  /** The camera page's offer, which the early script answered on the current #pc. */
  #pageOfferSdp: string | undefined;
  /** The current #pc's STUN/TURN errors: why it failed, when a server is the cause. */
  #iceTrouble: IceTrouble | undefined;
  /** A cluster node's `redirect`: the next connection goes there (once; later ones go to the first server). */
  #redirectTo: string | undefined;
  /** The current connection came by a redirect (a second redirect is not followed). */
  #viaRedirect = false;
  #talk: TalkInfo = { state: 'unavailable' };
  /** talk() was called and stopTalk() not yet: the microphone goes to the camera while the server agrees. */
  #wantTalk = false;
  readonly #mic: TalkMicrophone;
  /** The stream asked for (setStream), and the last `stream` message: what the server sends. */
  #wantedStream: StreamName | undefined;
  #stream: ClientStream | undefined;

  constructor(options: CamrtcClientOptions) {
    this.camera = options.camera;
    this.#options = options;
    this.#paused = options.paused ?? false;
    if (typeof options.stream === 'string') this.#wantedStream = options.stream;
    this.#received = new ReceivedStream(options.video);
    this.stream = this.#received.stream;
    this.#mic = new TalkMicrophone(options.talkConstraints);
  }

  get status(): ClientStatus {
    return this.#status;
  }
  get paused(): boolean {
    return this.#paused;
  }
  /** The current peer connection (for getStats()); replaced on every reconnect. */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#pc;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Two-way audio: whether this viewer may talk, and who talks now. */
  get talkInfo(): TalkInfo {
    return this.#talk;
  }

  /**
   * Starts talking to the camera (push-to-talk pressed): asks the server for the camera's speaker and
   * puts the microphone on the connection at once (no renegotiation). Rejects when talk is unavailable
   * or the microphone is refused; a refused floor shows as talk state `busy`, with the holder named.
   */
  async talk(): Promise<void> {
    if (this.#closed || this.#talk.state === 'unavailable') throw new Error('talk is not available for this camera');
    this.#wantTalk = true;
    this.#send({ type: 'talk', id: this.#sessionId });
    const pc = this.#pc;
    let track: MediaStreamTrack;
    try {
      track = await this.#mic.acquire();
    } catch (err) {
      this.stopTalk();
      throw err;
    }
    if (!this.#wantTalk || pc !== this.#pc || !pc) return;
    await this.#mic.attach(pc, track);
  }

  /** The microphone's constraints from the next talk() on (see CamrtcClientOptions.talkConstraints). */
  set talkConstraints(constraints: MediaTrackConstraints | undefined) {
    this.#mic.constraints = constraints;
  }

  /** Stops talking (push-to-talk released): the microphone comes off and the camera's speaker is free. */
  stopTalk(): void {
    const wanted = this.#wantTalk;
    this.#wantTalk = false;
    if (this.#pc) void this.#mic.detach(this.#pc);
    this.#mic.releaseLater();
    if (wanted || this.#talk.state === 'talking') this.#send({ type: 'stoptalk', id: this.#sessionId });
  }

  /** The stream the server sends and the camera's streams, once it said (undefined before). */
  get activeStream(): ClientStream | undefined {
    return this.#stream;
  }

  /**
   * Switches to the camera's `main` or `sub` stream on the current connection: the server keeps the
   * picture going until the new stream's keyframe is there, then cuts over (no new offer). Kept
   * across reconnects. onStream tells when it happened (or why not).
   */
  setStream(stream: StreamName): void {
    if (this.#closed || this.#wantedStream === stream) return;
    this.#wantedStream = stream;
    this.#send({ type: 'stream', id: this.#sessionId, stream });
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#connect();
  }

  /** Asks the server to stop forwarding to this viewer (the connection stays up). */
  pause(): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.#frameWatch++;
    this.#send({ type: 'pause', id: this.#sessionId });
    if (this.#status.state === 'live' || this.#status.state === 'connecting') this.#setStatus({ state: 'paused' });
  }

  /** Resumes: 'connecting' until the first frame after the resume (the server restarts at a keyframe). */
  play(): void {
    if (this.#closed || !this.#paused) return;
    this.#paused = false;
    this.#send({ type: 'play', id: this.#sessionId });
    if (this.#status.state === 'paused') {
      this.#setStatus({ state: 'connecting' });
      if (this.#pc) this.#watchFirstFrame();
    }
  }

  /** Recording cameras: play from `seconds` into the recording (resumes when paused). */
  seek(seconds: number): void {
    if (this.#closed || !Number.isFinite(seconds) || seconds < 0) return;
    this.#paused = false;
    this.#send({ type: 'seek', id: this.#sessionId, seconds });
    if (this.#status.state === 'live' || this.#status.state === 'paused') {
      this.#setStatus({ state: 'connecting' });
      if (this.#pc) this.#watchFirstFrame();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#send({ type: 'stop', id: this.#sessionId });
    this.#teardown();
    this.#received.stop();
    this.#mic.close();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#setStatus({ state: 'connecting' });
    const url = this.#redirectTo ?? (this.#options.url ? signalingUrl(this.#options.url, location.href) : defaultSignalingUrl());
    this.#viaRedirect = this.#redirectTo !== undefined;
    this.#redirectTo = undefined;
    // The camera page started watching before this player existed: carry on with that session.
    // The camera page's early socket carries no token: a player given one opens its own.
    const adopted = this.#earlyChecked || this.#token() ? undefined : adoptEarlySignal(this.camera, url, hasOwnIce(this.#options));
    this.#earlyChecked = true;
    const early = adopted?.early;
    if (adopted?.warmPc) this.#warmPc = adopted.warmPc;
    this.#sessionId = early?.id ?? newSessionId(`s${++sessionCounter}`);
    // The socket's URL carries the watch (shared/watchUrl.ts): the server starts at once.
    if (!early && typeof this.#options.stream === 'function') this.#wantedStream ??= this.#options.stream();
    const ws = early?.ws ?? openWatchSocket(url, this.#sessionId, this.camera, this.#paused, undefined, this.#token(), this.#wantedStream);
    this.#ws = ws;
    ws.onmessage = (event) => {
      if (ws !== this.#ws || typeof event.data !== 'string') return;
      this.#receive(event.data);
    };
    ws.onclose = (event) => {
      if (ws !== this.#ws) return;
      this.#retry(event.reason || 'connection to the server lost');
    };
    if (!early) return;
    this.#adoptAnswering(early);
    if (this.#paused) {
      // The early socket watches unpaused: a player that starts paused says so as soon as it can.
      const pause = (): void => this.#send({ type: 'pause', id: this.#sessionId });
      if (ws.readyState === WebSocket.OPEN) pause();
      else ws.onopen = pause;
    }
    // What the server said before this player took the socket over, in order.
    for (const data of early.messages) {
      if (ws !== this.#ws) return;
      this.#receive(data);
    }
  }

  /** Carries on with the peer connection on which the early script is answering the page's offer. */
  #adoptAnswering(early: EarlySignal): void {
    const { pc, offer, answering } = early;
    if (!pc || !offer || !answering) return;
    this.#pc = pc;
    this.#pageOfferSdp = offer.sdp;
    // The early script trickles this connection's candidates itself.
    this.#attach(pc, false);
    // Tracks that arrived before this player did (their 'track' events are gone).
    for (const receiver of pc.getReceivers()) this.#addTrack(receiver);
    answering.then(
      () => {
        if (pc === this.#pc && this.#paused) this.#setStatus({ state: 'paused' });
      },
      (err: unknown) => {
        if (pc === this.#pc) this.#retry(`negotiation failed: ${errorText(err)}`);
      },
    );
  }

  #receive(data: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    void this.#onMessage(message).catch((err: unknown) => this.#retry(`negotiation failed: ${errorText(err)}`));
  }

  async #onMessage(message: ServerMessage): Promise<void> {
    if ('id' in message && message.id !== undefined && message.id !== this.#sessionId) return;
    switch (message.type) {
      case 'offer':
        this.#setTalk(message.talk ? { state: 'idle' } : { state: 'unavailable' });
        // The page's own offer, which the early script answers already.
        if (message.sdp === this.#pageOfferSdp && this.#pc) return;
        await this.#answer(message.sdp, rtcConfiguration(this.#options, serverIce(message)));
        return;
      case 'talk':
        this.#onTalk(message);
        return;
      case 'candidate':
        if (message.candidate) await this.#pc?.addIceCandidate(message.candidate);
        return;
      case 'status':
        if (message.state === 'unplayable') {
          this.#setStatus({ state: 'error', reason: message.error?.message ?? 'the camera sends nothing this browser can play', code: message.error?.code });
        } else if (message.state === 'retrying' || message.state === 'offline' || (message.state === 'waiting' && message.error)) {
          // 'waiting' with an error: connected, but no picture comes (no media, or none decodable).
          this.#setStatus({
            state: 'offline',
            reason: message.error?.message ?? 'the camera is not reachable',
            code: message.error?.code,
            ...(this.#hadPicture ? { wasLive: true } : {}),
          });
        } else if (message.state === 'live' && this.#status.state === 'offline' && this.#paused) {
          this.#setStatus({ state: 'paused' });
        } else if (message.state === 'live' && this.#status.state === 'offline') {
          // The camera is back: 'live' again once a frame is decoded.
          this.#setStatus({ state: 'connecting' });
          this.#watchFirstFrame();
        }
        return;
      case 'error':
        this.#lastError = { code: message.code, reason: this.#withIceTrouble(message.code, message.message) };
        if (REFUSAL_CODES.has(message.code)) {
          // Refused (the socket's proof, or this watch): nothing to retry until the proof changes.
          this.#teardown();
          this.#setStatus({ state: 'error', reason: message.message, code: message.code });
          return;
        }
        if (message.id === undefined && !FATAL_CODES.has(message.code)) return;
        // Not an error to show: `closed` follows and the player reconnects at once.
        if (RECONNECT_NOW_CODES.has(message.code)) return;
        this.#setStatus({ state: 'error', reason: message.message, code: message.code });
        return;
      case 'closed': {
        const fatal = this.#lastError?.code !== undefined && FATAL_CODES.has(this.#lastError.code);
        if (fatal) {
          this.#teardown();
          return;
        }
        const now = this.#lastError?.code !== undefined && RECONNECT_NOW_CODES.has(this.#lastError.code);
        this.#retry(message.reason ?? this.#lastError?.reason ?? 'the server ended the session', now);
        return;
      }
      case 'redirect':
        this.#redirect(message.url);
        return;
      case 'playback':
        this.#options.onPlayback?.({ seekable: message.seekable, ...(message.position !== undefined ? { position: message.position } : {}) });
        return;
      case 'stream': {
        const stream: ClientStream = { stream: message.stream, streams: message.streams, ...(message.error ? { error: message.error } : {}) };
        this.#stream = stream;
        const wanted = this.#wantedStream;
        if (message.error) this.#wantedStream = message.stream;
        // A session that started on another stream than the one wanted now (the camera page's early
        // socket watches main; a setStream() while the socket was opening): ask once more.
        else if (wanted && wanted !== message.stream && message.streams.some((s) => s.name === wanted)) this.#send({ type: 'stream', id: this.#sessionId, stream: wanted });
        this.#options.onStream?.(stream);
        return;
      }
      case 'welcome':
      case 'cameras':
      case 'answer':
      case 'stats':
        return;
    }
  }

  /**
   * Answers the server's offer on a connection configured with `config` (the page's ICE settings and
   * the ones the offer came with). The browser gathers only from setLocalDescription on, so the warm
   * connection takes the configuration as well as a new one would.
   */
  async #answer(sdp: string, config: RTCConfiguration): Promise<void> {
    this.#pc?.close();
    this.#pageOfferSdp = undefined;
    let warm = this.#warmPc?.signalingState === 'stable' ? this.#warmPc : undefined;
    this.#warmPc = undefined;
    try {
      warm?.setConfiguration(config);
    } catch {
      warm?.close();
      warm = undefined;
    }
    const pc = warm ?? new RTCPeerConnection(config);
    this.#pc = pc;
    this.#attach(pc, true);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    allowTalk(pc);
    const answer = await pc.createAnswer();
    if (pc !== this.#pc) return;
    // Sent before setLocalDescription, which takes 10-140 ms on a busy machine: the server applies the
    // answer meanwhile. The candidates follow as they are gathered (onicecandidate).
    this.#send({ type: 'answer', id: this.#sessionId, sdp: answer.sdp ?? '' });
    await pc.setLocalDescription(answer);
    if (pc !== this.#pc) return;
    if (this.#paused) this.#setStatus({ state: 'paused' });
  }

  /** The current connection's handlers: its tracks, its failure and (`trickle`) its candidates. */
  #attach(pc: RTCPeerConnection, trickle: boolean): void {
    if (trickle) {
      pc.onicecandidate = (event) => {
        if (pc === this.#pc) this.#send(candidateMessage(this.#sessionId, event.candidate));
      };
    }
    pc.ontrack = (event) => {
      if (pc === this.#pc) this.#addTrack(event.receiver);
    };
    const trouble = watchIceTrouble(pc);
    this.#iceTrouble = trouble;
    pc.onconnectionstatechange = () => {
      if (pc !== this.#pc) return;
      if (pc.connectionState === 'failed') this.#retry(this.#withIceTrouble('ERR_WEBRTC', 'the media connection failed'));
    };
    // Relay only, and no TURN server gave a candidate: say so now, rather than after ICE gives up.
    const checkRelay = (): void => {
      const why = pc === this.#pc ? relayUnavailable(pc, trouble) : undefined;
      if (why) this.#retry(why);
    };
    pc.addEventListener('icegatheringstatechange', checkRelay);
    checkRelay();
  }

  /** A connection failure's reason, with the STUN/TURN server error that explains it when there was one. */
  #withIceTrouble(code: string, reason: string): string {
    const trouble = this.#iceTrouble?.lastError;
    return trouble && (code === 'ERR_WEBRTC' || code === 'ERR_TIMEOUT') ? `${reason}: ${trouble}` : reason;
  }

  #addTrack(rtpReceiver: RTCRtpReceiver): void {
    const track = this.#received.add(rtpReceiver);
    if (!track) return;
    this.#options.onTracks?.(this.stream);
    if (track.kind === 'video') this.#watchFirstFrame();
    else if (!this.#options.video && this.#status.state === 'connecting') this.#setStatus({ state: 'live' });
  }

  /** 'live' when the first frame is decoded: the moment the user sees the picture. */
  #watchFirstFrame(): void {
    const watch = ++this.#frameWatch;
    this.#received.whenFrameShown(() => {
      if (watch !== this.#frameWatch || this.#closed || this.#paused) return;
      this.#backoff.reset();
      this.#setStatus({ state: 'live' });
    });
  }

  /**
   * A cluster node sends this watch to the node that owns the camera: connect there at once. A
   * reconnect after a failure goes back to the first server (its load balancer picks a live node).
   */
  #redirect(url: string): void {
    if (this.#closed) return;
    let target: URL | undefined;
    try {
      target = new URL(url);
    } catch {
      target = undefined;
    }
    if (this.#viaRedirect || !target || (target.protocol !== 'ws:' && target.protocol !== 'wss:')) {
      this.#retry('the server redirected this camera somewhere it cannot be watched');
      return;
    }
    this.#teardown();
    this.#redirectTo = target.href;
    this.#connect();
  }

  #retry(reason: string, now = false): void {
    if (this.#closed) return;
    this.#teardown();
    const retryInMs = now ? 0 : this.#backoff.next();
    this.#lastError = undefined;
    this.#setStatus({ state: 'reconnecting', reason, retryInMs });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), retryInMs);
  }

  /** The server's `talk` message: who has the camera's speaker now. */
  #onTalk(message: { state: TalkInfo['state']; holder?: string; error?: { code: ErrorCode; message: string } }): void {
    if (this.#talk.state === 'unavailable') return;
    const info: TalkInfo = { state: message.state, ...(message.holder !== undefined ? { holder: message.holder } : {}), ...(message.error ? { error: message.error } : {}) };
    if (message.state !== 'talking' && this.#wantTalk) {
      // Refused (busy) or ended by the server (silence, time up, camera gone): the microphone comes off.
      this.#wantTalk = false;
      if (this.#pc) void this.#mic.detach(this.#pc);
      this.#mic.releaseLater();
    } else if (message.state === 'talking' && !this.#wantTalk) {
      // Granted after the button was released already.
      this.#send({ type: 'stoptalk', id: this.#sessionId });
    }
    this.#setTalk(info);
  }

  #setTalk(info: TalkInfo): void {
    const same = JSON.stringify(info) === JSON.stringify(this.#talk);
    this.#talk = info;
    if (!same) this.#options.onTalk?.(info);
  }

  #teardown(): void {
    if (this.#wantTalk) {
      this.#wantTalk = false;
      this.#mic.releaseLater();
    }
    this.#setTalk({ state: 'unavailable' });
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    }
    const pc = this.#pc;
    this.#pc = undefined;
    this.#pageOfferSdp = undefined;
    this.#iceTrouble = undefined;
    pc?.close();
    this.#warmPc?.close();
    this.#warmPc = undefined;
    this.#frameWatch++;
  }

  /** The token to open the next socket with (read each time: a page may hand the player a fresh one). */
  #token(): string | undefined {
    const { token } = this.#options;
    const value = typeof token === 'function' ? token() : token;
    return value ? value : undefined;
  }

  #send(message: ClientMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** A picture was shown since this client started: later camera outages read "reconnecting to camera". */
  #hadPicture = false;

  #setStatus(status: ClientStatus): void {
    if (status.state === 'live') this.#hadPicture = true;
    const same = JSON.stringify(status) === JSON.stringify(this.#status);
    this.#status = status;
    if (!same) this.#options.onStatus?.(status);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
