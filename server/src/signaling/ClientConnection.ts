/**
 * One WebSocket: validates every message (shared/protocol.ts), enforces the per-socket limits and
 * routes to its viewer sessions, whose events go back as messages (sessionMessages.ts). A `watch` with
 * the camera page's ticket gets the broker's PageClaim as its viewer supply, and the page's early
 * `answer` and `candidate` messages go to that claim first. Hostile input gets an `error` reply; a
 * socket that keeps misbehaving is closed with 1008. Nothing a client sends can throw out of here.
 */
import type { WebSocket, RawData } from 'ws';
import { CamrtcError, toCamrtcError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera, CameraDirectory } from '../media/Camera.js';
import {
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseClientMessage,
  type CameraInfo,
  type ClientMessage,
  type ServerMessage,
} from '../../../shared/protocol.js';
import type { UrlWatch } from '../../../shared/watchUrl.js';
import { TokenBucket } from './TokenBucket.js';
import type { OfferBroker, PageClaim, ViewerSupply } from '../session/OfferBroker.js';
import type { PeerSettings } from '../session/PeerSettings.js';
import { checkClientSdp } from '../session/clientSdp.js';
import { ViewerSession } from '../session/ViewerSession.js';
import type { ViewerDirectory } from '../session/ViewerDirectory.js';
import { sendSessionEvents, statsMessage } from './sessionMessages.js';
import { AccessPolicy, watchAction } from '../auth/AccessPolicy.js';
import type { Authenticator } from '../auth/Authenticator.js';
import { displayName, principalLabel, type Principal } from '../auth/Principal.js';

export interface SignalingLimits {
  /** Sustained messages per second per socket. */
  messagesPerSecond: number;
  /** Messages a socket may send in a burst before the rate applies. */
  messageBurst: number;
  /** Concurrent viewer sessions (watched cameras) per socket. */
  maxSessionsPerSocket: number;
  /** Violations (invalid, over-rate, over-limit messages) tolerated in a burst before closing. */
  maxViolations: number;
  /** Violations forgiven per minute, so an occasional bad message never adds up to a close. */
  violationsForgivenPerMinute: number;
}

export const DEFAULT_SIGNALING_LIMITS: Readonly<SignalingLimits> = Object.freeze({
  messagesPerSecond: 50,
  messageBurst: 50,
  maxSessionsPerSocket: 8,
  maxViolations: 20,
  violationsForgivenPerMinute: 30,
});

/** WebSocket close code for policy violations (RFC 6455 7.4.1). */
export const CLOSE_POLICY_VIOLATION = 1008;

export const SERVER_NAME = 'camrtc';

export interface ClientConnectionOptions {
  cameras: CameraDirectory;
  limits: SignalingLimits;
  peer: PeerSettings;
  logger: Logger;
  connectTimeoutMs?: number;
  now?: () => number;
  /** Spares and page offers; without it every session makes its own viewer. */
  broker?: OfferBroker;
  /** Who opened the socket (SignalingServer authenticated the upgrade). Default: anonymous, open policy. */
  principal?: Principal;
  /** Decides each watch; verifies a watch's own token. Default: open. */
  authenticator?: Authenticator;
  /** The page origin that opened the socket (its Origin header): a token may be bound to one. */
  origin?: string;
  /** Every session is registered here (control API: list and disconnect viewers). */
  viewers?: ViewerDirectory;
  /** The client's address (the socket's remote address), for the viewer list. */
  address?: string;
  /**
   * A cluster node's viewer routing (docs/cluster.md): a watch is served here, redirected to the
   * camera's owner (`redirect` message) or refused. Absent: every watch is served here.
   */
  router?: WatchRouter;
  /** The socket came by a cluster redirect: it is served here, never redirected again. */
  redirected?: boolean;
}

/** Where a watch is served (cluster/Cluster.ts route()); `url` of a redirect is the owner's signaling URL. */
export interface WatchRouter {
  route(camera: string, redirected: boolean): Promise<{ kind: 'local' } | { kind: 'redirect'; url: string } | { kind: 'refused'; error: CamrtcError }>;
}

/** Messages held while a watch's token is verified, so the ones after it keep their order. */
const MAX_HELD_MESSAGES = 64;

/** A session on this socket, with its page's claim when its `watch` came with a ticket. */
interface SocketSession {
  readonly session: ViewerSession;
  readonly claim: PageClaim | undefined;
}

export class ClientConnection {
  readonly #ws: WebSocket;
  readonly #options: ClientConnectionOptions;
  readonly #logger: Logger;
  readonly #sessions = new Map<string, SocketSession>();
  readonly #rate: TokenBucket;
  readonly #violations: TokenBucket;
  readonly #now: () => number;
  #h265 = false;
  readonly #policy: AccessPolicy;
  readonly #principal: Principal;
  /** Set while a watch's token is verified or its route decided: later messages wait here, in order. */
  #held: string[] | undefined;
  /** Holds in progress (a token check, then a route), nested. */
  #holds = 0;
  /** Sessions redirected to another node: their late messages (a held `pause`) are dropped quietly. */
  readonly #redirectedIds = new Set<string>();
  /** A session was started on this socket (the server closes sockets that never watch). */
  #watched = false;
  #closePromise: Promise<void> | undefined;

  constructor(ws: WebSocket, options: ClientConnectionOptions) {
    this.#ws = ws;
    this.#options = options;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => performance.now());
    this.#policy = options.authenticator?.policy ?? AccessPolicy.open();
    this.#principal = options.principal ?? this.#policy.anonymous(undefined);
    const { limits } = options;
    this.#rate = new TokenBucket(limits.messageBurst, limits.messagesPerSecond);
    this.#violations = new TokenBucket(limits.maxViolations, limits.violationsForgivenPerMinute / 60);
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', () => void this.close());
    ws.on('error', (err) => {
      // ws closes the socket itself (oversize frames: 1009); log and let 'close' clean up.
      this.#logger.debug({ err }, 'websocket error');
    });
  }

  get closed(): boolean {
    return this.#closePromise !== undefined;
  }
  get sessionCount(): number {
    return this.#sessions.size;
  }
  /** Whether a camera was watched on this socket (a session started), now or before. */
  get watched(): boolean {
    return this.#watched;
  }

  /** Closes a socket that watched nothing in time: an `error` saying why, then close code 1008. */
  closeIdle(message: string): Promise<void> {
    this.#send({ type: 'error', code: 'ERR_SIGNALING_IDLE', message });
    return this.close(CLOSE_POLICY_VIOLATION, message);
  }

  /** Closes every session and the socket. Idempotent. */
  close(code?: number, reason?: string): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    const sessions = [...this.#sessions.values()].map((s) => s.session);
    this.#closePromise = (async () => {
      await Promise.all(sessions.map((s) => s.close(reason)));
      if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) {
        this.#ws.close(code ?? 1000, reason?.slice(0, 120));
      }
    })();
    return this.#closePromise;
  }

  #send(message: ServerMessage): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify(message));
  }

  /**
   * The watch the socket's URL asked for (shared/watchUrl.ts): handled as the socket's first
   * messages, `hello`, `watch` and, when paused, `pause`, with the same checks as any message.
   */
  watchFromUrl(watch: UrlWatch): void {
    const messages: unknown[] = [
      { type: 'hello', version: PROTOCOL_VERSION, capabilities: { h265: watch.h265 } },
      {
        type: 'watch',
        id: watch.id,
        camera: watch.camera,
        capabilities: { h265: watch.h265 },
        ...(watch.ticket !== undefined ? { ticket: watch.ticket } : {}),
        ...(watch.stream !== undefined ? { stream: watch.stream } : {}),
      },
    ];
    if (watch.paused) messages.push({ type: 'pause', id: watch.id });
    for (const message of messages) {
      // Counted like messages on the socket (they could not be over the limit on a new socket).
      this.#rate.take(this.#now());
      this.#onText(JSON.stringify(message));
    }
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    try {
      if (!this.#rate.take(this.#now())) {
        this.#violation('ERR_SIGNALING_RATE', 'too many messages: slow down');
        return;
      }
      if (isBinary) {
        this.#violation('ERR_SIGNALING_INVALID', 'binary messages are not part of the protocol');
        return;
      }
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      // Checked before decoding: an oversized message costs no parsing (ws already capped the frame).
      if (bytes.length > MAX_MESSAGE_BYTES) {
        this.#violation('ERR_LIMIT', `message of ${bytes.length} bytes: at most ${MAX_MESSAGE_BYTES} bytes`);
        return;
      }
      this.#onText(bytes.toString('utf8'));
    } catch (err) {
      this.#logger.error({ err }, 'signaling message handling failed');
      this.#send({ type: 'error', code: 'ERR_INTERNAL', message: 'internal error' });
    }
  }

  /** One text message, already counted against the rate limit. */
  #onText(raw: string): void {
    if (this.closed) return;
    if (this.#held) {
      if (this.#held.length >= MAX_HELD_MESSAGES) this.#violation('ERR_LIMIT', 'too many messages while a token is checked');
      else this.#held.push(raw);
      return;
    }
    try {
      const parsed = parseClientMessage(raw);
      if (!parsed.ok) {
        this.#violation(parsed.code, parsed.message);
        return;
      }
      this.#handle(parsed.message);
    } catch (err) {
      this.#logger.error({ err }, 'signaling message handling failed');
      this.#send({ type: 'error', code: 'ERR_INTERNAL', message: 'internal error' });
    }
  }

  #violation(code: ErrorCode, message: string, id?: string): void {
    this.#send({ type: 'error', ...(id ? { id } : {}), code, message });
    if (!this.#violations.take(this.#now())) {
      this.#logger.warn({ code }, 'closing a signaling socket that keeps violating the protocol');
      void this.close(CLOSE_POLICY_VIOLATION, 'too many invalid or excessive messages');
    }
  }

  #handle(message: ClientMessage): void {
    switch (message.type) {
      case 'hello':
        this.#h265 = message.capabilities?.h265 ?? false;
        this.#send({ type: 'welcome', version: PROTOCOL_VERSION, server: SERVER_NAME });
        return;
      case 'list': {
        const visible = this.#policy.visibleCameras(this.#options.cameras, this.#principal, { origin: this.#options.origin });
        this.#send({ type: 'cameras', cameras: visible.map(publicCameraInfo) });
        return;
      }
      case 'watch':
        if (message.token !== undefined) this.#watchWithToken(message, message.token);
        else this.#watch(message, message.capabilities?.h265 ?? this.#h265, this.#principal);
        return;
      case 'stop': {
        const session = this.#sessions.get(message.id)?.session;
        if (session) void session.close();
        else this.#send({ type: 'closed', id: message.id });
        return;
      }
    }
    const entry = this.#sessions.get(message.id);
    if (!entry && this.#redirectedIds.has(message.id)) return;
    if (!entry) {
      this.#violation('ERR_SIGNALING_INVALID', `no session ${message.id} on this connection`, message.id);
      return;
    }
    const { session, claim } = entry;
    switch (message.type) {
      case 'answer': {
        // The page's claim decides: it keeps the page's early answer for the session, drops one to an
        // offer the session did not use, or passes it on. Without a claim, a ticketed answer is stale.
        const forSession = claim ? claim.answer(message.sdp, message.ticket) : message.ticket === undefined;
        if (forSession) this.#run(session, () => session.answer(message.sdp));
        else if (!claim) this.#logger.debug({ session: session.id }, "ignoring the answer to a page's offer this session did not use");
        return;
      }
      case 'candidate':
        if (claim && !claim.candidate(message.candidate)) return;
        this.#run(session, () => session.candidate(message.candidate));
        return;
      case 'play':
        session.play();
        return;
      case 'pause':
        session.pause();
        return;
      case 'seek':
        this.#run(session, () => session.seek(message.seconds));
        return;
      case 'stats':
        this.#send(statsMessage(session.id, session.stats()));
        return;
      case 'talk':
        try {
          session.startTalk();
        } catch (err) {
          const error = toCamrtcError(err);
          this.#send({ type: 'error', id: session.id, code: error.code, message: error.message });
        }
        return;
      case 'stoptalk':
        session.stopTalk();
        return;
      case 'stream':
        session.switchStream(message.stream);
        return;
    }
  }

  /** A watch admitted by its own token: the messages after it wait (in order) until it is checked. */
  #watchWithToken(message: WatchMessage, token: string): void {
    const h265 = message.capabilities?.h265 ?? this.#h265;
    const authenticator = this.#options.authenticator;
    const verified = authenticator
      ? authenticator.authenticate({ token })
      : Promise.reject(new CamrtcError('ERR_AUTH_INVALID', 'this server accepts no tokens'));
    this.#holdWhile(
      verified.then(
        (principal) => this.#watch(message, h265, principal),
        (err: unknown) => {
          const error = toCamrtcError(err, 'ERR_AUTH_INVALID');
          this.#violation(error.code, error.message, message.id);
        },
      ),
    );
  }

  /** The socket's later messages wait until `work` settles, then run in order (holds nest). */
  #holdWhile(work: Promise<unknown>): void {
    this.#held ??= [];
    this.#holds++;
    void work
      .catch((err: unknown) => this.#logger.error({ err }, 'signaling hold failed'))
      .finally(() => {
        if (--this.#holds > 0) return;
        const held = this.#held ?? [];
        this.#held = undefined;
        for (const raw of held) this.#onText(raw);
      });
  }

  #watch(message: WatchMessage, h265: boolean, principal: Principal): void {
    const { id, camera } = message;
    if (this.#sessions.has(id)) {
      this.#violation('ERR_SIGNALING_INVALID', `session ${id} already exists on this connection`, id);
      return;
    }
    if (this.#sessions.size >= this.#options.limits.maxSessionsPerSocket) {
      this.#violation('ERR_LIMIT', `at most ${this.#options.limits.maxSessionsPerSocket} cameras per connection`, id);
      return;
    }
    const target = this.#options.cameras.get(camera);
    // Decided before the camera's existence shows: a client that may not watch it learns nothing of it.
    const decision = this.#policy.decide(principal, target ? watchAction(target) : 'view', camera, { origin: this.#options.origin });
    if (!decision.allowed) {
      this.#logger.info({ camera, code: decision.code }, 'refused a watch');
      this.#violation(decision.code, decision.message, id);
      return;
    }
    if (!target) {
      this.#violation('ERR_CAMERA_UNKNOWN', `no camera named '${camera}'`, id);
      return;
    }
    // A hostile offer is refused here, as a violation, before a session or the camera starts.
    const check = message.offer !== undefined ? checkClientSdp(message.offer, 'offer') : undefined;
    if (check && !check.ok) {
      this.#violation(check.error.code, check.error.message, id);
      return;
    }
    const router = this.#options.router;
    if (router) {
      // A cluster node: the camera may be served by another node (docs/cluster.md).
      this.#holdWhile(
        router.route(camera, this.#options.redirected === true).then((route) => {
          if (this.closed) return;
          if (route.kind === 'local') return this.#startSession(message, h265, principal, target);
          if (this.#sessions.has(id)) return this.#violation('ERR_SIGNALING_INVALID', `session ${id} already exists on this connection`, id);
          if (route.kind === 'redirect') {
            this.#logger.debug({ camera, url: route.url }, 'redirected a watch to the camera owner');
            this.#watched = true;
            if (this.#redirectedIds.size < 64) this.#redirectedIds.add(id);
            return this.#send({ type: 'redirect', id, url: route.url });
          }
          this.#send({ type: 'error', id, code: route.error.code, message: route.error.message });
          this.#send({ type: 'closed', id, reason: route.error.message });
        }),
      );
      return;
    }
    this.#startSession(message, h265, principal, target);
  }

  #startSession(message: WatchMessage, h265: boolean, principal: Principal, target: Camera): void {
    const { id, camera } = message;
    if (this.#sessions.has(id)) {
      this.#violation('ERR_SIGNALING_INVALID', `session ${id} already exists on this connection`, id);
      return;
    }
    const logger = this.#logger.child({ session: id, camera });
    const broker = this.#options.broker;
    // Two-way audio needs its own permission; the offer says whether this viewer has it.
    const mayTalk = this.#policy.allows(principal, 'talk', camera, { origin: this.#options.origin });
    // Prepared viewers carry a full server-made offer: a page claim only makes sense for that watch.
    const claim = message.ticket !== undefined && message.offer === undefined && !message.trickle ? broker?.claim(message.ticket, logger) : undefined;
    const supply: ViewerSupply | undefined = claim ?? broker;
    const session = new ViewerSession({
      id,
      camera: target,
      h265,
      peer: this.#options.peer,
      logger,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      offer: message.offer,
      trickle: message.trickle,
      supply,
      ...(mayTalk ? { talk: { label: displayName(principal), logger: this.#logger.child({ camera }) } } : {}),
      ...(message.stream !== undefined ? { stream: message.stream } : {}),
    });
    // Only a watch the policy admitted gets here: its ICE configuration (a TURN credential) is its own.
    const peer = this.#options.peer;
    sendSessionEvents(session, (m) => this.#send(m), () => peer.browserIce(principalLabel(principal)));
    session.once('ended', () => {
      if (this.#sessions.get(id)?.session === session) this.#sessions.delete(id);
    });
    this.#sessions.set(id, { session, claim });
    this.#options.viewers?.add(session, 'ws', this.#options.address);
    this.#watched = true;
    void session.start();
  }

  /** Runs a session operation; a CamrtcError it throws becomes an error reply for that session. */
  #run(session: ViewerSession, op: () => Promise<void>): void {
    op().catch((err: unknown) => {
      const error = toCamrtcError(err);
      if (error.code === 'ERR_SIGNALING_INVALID' || error.code === 'ERR_LIMIT') {
        this.#violation(error.code, error.message, session.id);
      } else if (!(err instanceof CamrtcError && error.code === 'ERR_CLOSED')) {
        this.#send({ type: 'error', id: session.id, code: error.code, message: redactText(error.message) });
      }
    });
  }
}

type WatchMessage = Extract<ClientMessage, { type: 'watch' }>;

/** Only the fields the protocol defines, messages redacted: nothing else about a camera leaves the server. */
export function publicCameraInfo(info: CameraInfo): CameraInfo {
  return {
    name: info.name,
    state: info.state,
    ...(info.codecs ? { codecs: [...info.codecs] } : {}),
    ...(info.error ? { error: { code: info.error.code, message: redactText(info.error.message) } } : {}),
    ...(info.warning ? { warning: { code: info.warning.code, message: redactText(info.warning.message) } } : {}),
    ...(info.substream
      ? { substream: { state: info.substream.state, ...(info.substream.error ? { error: { code: info.substream.error.code, message: redactText(info.substream.error.message) } } : {}) } }
      : {}),
  };
}
