/**
 * The WebSocket signaling endpoint at /ws on the HTTP server (protocol: shared/protocol.ts,
 * docs/signaling.md). Owns the sockets; each socket is a ClientConnection with its viewer sessions.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AddressCounter } from '../http/ClientAddresses.js';
import { KnownHosts, unknownHostMessage } from '../http/knownHosts.js';
import { originAllowed } from '../http/origin.js';
import type { Logger } from '../log/logger.js';
import type { CameraDirectory } from '../media/Camera.js';
import { OfferBroker } from '../session/OfferBroker.js';
import type { ViewerDirectory } from '../session/ViewerDirectory.js';
import { peerSettings, type PeerSettings } from '../session/PeerSettings.js';
import { MAX_FRAME_BYTES } from '../../../shared/protocol.js';
import { urlWatch } from '../../../shared/watchUrl.js';
import { createAccess } from '../auth/access.js';
import type { Authenticator } from '../auth/Authenticator.js';
import type { Principal } from '../auth/Principal.js';
import { toCamrtcError, type CamrtcError } from '../errors.js';
import { credentialsOf } from '../http/requestCredentials.js';
import { ClientConnection, CLOSE_POLICY_VIOLATION, DEFAULT_SIGNALING_LIMITS, type SignalingLimits, type WatchRouter } from './ClientConnection.js';

export const SIGNALING_PATH = '/ws';
/** Sockets are pinged this often; one that has not answered the previous ping is dropped. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** More sockets than this are refused with 503 (each may hold up to 8 peer connections). */
export const MAX_CLIENTS = 256;
/**
 * Sockets one client address (an IPv6 /64) may hold: a page per camera of a large wall display,
 * several times over, but an eighth of MAX_CLIENTS, so one address cannot lock out everyone else.
 */
export const MAX_CLIENTS_PER_ADDRESS = 32;
/**
 * A socket that has not watched a camera this long after opening is closed (ERR_SIGNALING_IDLE): an
 * idle socket would hold one of MAX_CLIENTS for nothing. A socket that watches from its URL (the
 * camera page, the player) watches at once.
 */
export const WATCH_TIMEOUT_MS = 10_000;
/** How long close() waits for a client's close handshake before cutting the socket. */
const CLOSE_GRACE_MS = 1_000;
/** WebSocket close code "going away" (RFC 6455 7.4.1). */
const CLOSE_GOING_AWAY = 1001;

export interface SignalingServerOptions {
  /** The HTTP server to attach to (its 'upgrade' event); it is not closed by close(). */
  server: Server;
  /** The socket's path. Default SIGNALING_PATH (a library user may mount camrtc under a prefix). */
  path?: string;
  cameras: CameraDirectory;
  logger: Logger;
  /** Where the server's peer connections gather ICE (App resolves it once). Default: no STUN, every interface. */
  peer?: PeerSettings;
  /**
   * Spares and camera page offers, shared with the HTTP server that puts offers in pages; not closed
   * by close(). Default: a broker of its own (closed by close()), whose page offers nothing serves.
   */
  broker?: OfferBroker;
  /**
   * Other origins (scheme://host[:port]) allowed to open the socket, for pages embedding the player.
   * Always allowed: the same origin (the Origin header's host equals the Host header) and no Origin
   * at all (non-browser apps). Anything else is refused, so another web site cannot make a visitor's
   * browser watch the cameras.
   */
  allowedOrigins?: readonly string[];
  limits?: Partial<SignalingLimits>;
  /** For tests: how long a viewer may take to connect after the offer. */
  connectTimeoutMs?: number;
  /** The names the server answers to (Host header). Default: the built-in ones only (knownHosts.ts). */
  hosts?: KnownHosts;
  /** Default MAX_CLIENTS_PER_ADDRESS. */
  maxClientsPerAddress?: number;
  /** Default WATCH_TIMEOUT_MS. */
  watchTimeoutMs?: number;
  /** Who may watch what (login cookie, Authorization, `?token=`, a watch's token). Default: open. */
  authenticator?: Authenticator;
  /** Where every session is registered for the control API. */
  viewers?: ViewerDirectory;
  /** A cluster node's routing of watches (docs/cluster.md). */
  router?: WatchRouter;
}

/** The query parameter a cluster redirect adds to the owner's signaling URL. */
export const REDIRECTED_PARAM = 'redirected';

/** What the upgrade request proved: a principal, or why its proof is not valid. */
type UpgradeProof = { principal: Principal } | { error: CamrtcError };

export class SignalingServer {
  readonly #options: SignalingServerOptions;
  readonly #logger: Logger;
  readonly #wss: WebSocketServer;
  readonly #clients = new Map<WebSocket, ClientConnection>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #perAddress: AddressCounter;
  readonly #hosts: KnownHosts;
  readonly #limits: SignalingLimits;
  readonly #peer: PeerSettings;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #broker: OfferBroker;
  readonly #authenticator: Authenticator;
  /** The broker was made here, so close() closes it. */
  readonly #ownsBroker: boolean;
  #closePromise: Promise<void> | undefined;
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.#upgrade(req, socket, head);

  constructor(options: SignalingServerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#limits = { ...DEFAULT_SIGNALING_LIMITS, ...options.limits };
    this.#peer = options.peer ?? peerSettings();
    this.#hosts = options.hosts ?? new KnownHosts();
    this.#perAddress = new AddressCounter(options.maxClientsPerAddress ?? MAX_CLIENTS_PER_ADDRESS);
    this.#ownsBroker = options.broker === undefined;
    this.#broker = options.broker ?? new OfferBroker({ peer: this.#peer, logger: options.logger });
    this.#authenticator = options.authenticator ?? createAccess(undefined).authenticator;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
    options.server.on('upgrade', this.#onUpgrade);
    this.#heartbeat = setInterval(() => this.#ping(), HEARTBEAT_INTERVAL_MS);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#closePromise !== undefined;
  }
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Closes every socket (after telling each session `closed`) and every viewer. Idempotent. */
  close(): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    this.#options.server.off('upgrade', this.#onUpgrade);
    clearInterval(this.#heartbeat);
    const clients = [...this.#clients];
    this.#closePromise = (async () => {
      await Promise.all(
        clients.map(async ([ws, client]) => {
          const gone = new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) resolve();
            else ws.once('close', () => resolve());
          });
          await client.close(CLOSE_GOING_AWAY, 'server shutting down');
          const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
          await gone;
          clearTimeout(timer);
        }),
      );
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
      if (this.#ownsBroker) await this.#broker.close();
    })();
    return this.#closePromise;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== (this.#options.path ?? SIGNALING_PATH)) {
      // Another upgrade handler may own this path; when there is none, refuse like ws does.
      if (this.#options.server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.closed) return refuse(socket, 503, 'Service Unavailable');
    if (!this.#hosts.allows(req.headers.host)) {
      this.#logger.info({ host: req.headers.host?.slice(0, 100) }, 'refused a signaling socket for an unknown host name');
      return refuse(socket, 421, 'Misdirected Request', unknownHostMessage(req.headers.host), 'ERR_HOST_UNKNOWN');
    }
    if (!this.#originAllowed(req)) {
      this.#logger.info({ origin: req.headers.origin }, 'refused a signaling socket from another origin');
      return refuse(socket, 403, 'Forbidden');
    }
    if (this.#clients.size >= MAX_CLIENTS) return refuse(socket, 503, 'Service Unavailable');
    const address = req.socket.remoteAddress;
    const release = this.#perAddress.acquire(address);
    if (!release) {
      this.#logger.warn({ client: address }, 'refused a signaling socket: too many from this address');
      const message = `at most ${this.#perAddress.limit} signaling sockets per client address: close some before opening more`;
      return refuse(socket, 429, 'Too Many Requests', message, 'ERR_LIMIT');
    }
    // The socket under the WebSocket: it closes whether the handshake fails or the WebSocket ends.
    socket.once('close', release);
    // Proof is checked before the handshake; a socket with a broken token is still opened, only to
    // say why in an `error` the player can show (a refused handshake reads as a network failure).
    this.#authenticator.authenticate(credentialsOf(req)).then(
      (principal) => this.#handshake(req, socket, head, { principal }),
      (err: unknown) => this.#handshake(req, socket, head, { error: toCamrtcError(err, 'ERR_AUTH_INVALID') }),
    );
  }

  #handshake(req: IncomingMessage, socket: Duplex, head: Buffer, proof: UpgradeProof): void {
    if (socket.destroyed) return;
    if (this.closed) return refuse(socket, 503, 'Service Unavailable');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req, proof));
  }

  #accept(ws: WebSocket, req: IncomingMessage, proof: UpgradeProof): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    if ('error' in proof) {
      this.#logger.info({ client: req.socket.remoteAddress, code: proof.error.code }, 'refused a signaling socket: its proof is not valid');
      // Said about the camera the URL asks for, when it does: "not allowed to watch front: the token has expired".
      const asked = urlWatch(req.url ?? '')?.camera;
      const about = asked !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(asked) ? `not allowed to watch ${asked}: ` : '';
      ws.send(JSON.stringify({ type: 'error', code: proof.error.code, message: `${about}${proof.error.message}` }));
      ws.close(CLOSE_POLICY_VIOLATION, proof.error.message.slice(0, 120));
      return;
    }
    const client = new ClientConnection(ws, {
      cameras: this.#options.cameras,
      limits: this.#limits,
      peer: this.#peer,
      logger: this.#logger.child({ client: req.socket.remoteAddress }),
      connectTimeoutMs: this.#options.connectTimeoutMs,
      broker: this.#broker,
      principal: proof.principal,
      authenticator: this.#authenticator,
      origin: req.headers.origin,
      viewers: this.#options.viewers,
      address: req.socket.remoteAddress,
      ...(this.#options.router ? { router: this.#options.router, redirected: redirectedUrl(req.url ?? '') } : {}),
    });
    this.#clients.set(ws, client);
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    const watch = urlWatch(req.url ?? '');
    if (watch) client.watchFromUrl(watch);
    const timeoutMs = this.#options.watchTimeoutMs ?? WATCH_TIMEOUT_MS;
    const idle = client.watched ? undefined : setTimeout(() => {
      if (client.watched || client.closed) return;
      this.#logger.info('closing a signaling socket that watched no camera');
      void client.closeIdle(`no camera watched within ${Math.round(timeoutMs / 100) / 10} s: send a watch message after opening the socket`);
    }, timeoutMs);
    idle?.unref();
    ws.once('close', () => {
      clearTimeout(idle);
      this.#clients.delete(ws);
    });
  }

  #ping(): void {
    for (const ws of this.#clients.keys()) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }

  #originAllowed(req: IncomingMessage): boolean {
    return originAllowed(req.headers.origin, req.headers.host, this.#options.allowedOrigins);
  }
}

/** Whether the socket's URL says it came by a cluster redirect. */
function redirectedUrl(requestUrl: string): boolean {
  const q = requestUrl.indexOf('?');
  return q >= 0 && new URLSearchParams(requestUrl.slice(q + 1)).has(REDIRECTED_PARAM);
}

/** Refuses an upgrade with an HTTP status, and a text for the person reading it when there is one. */
function refuse(socket: Duplex, status: number, text: string, message = '', code?: string): void {
  const body = Buffer.from(message, 'utf8');
  const headers = [
    `HTTP/1.1 ${status} ${text}`,
    'Connection: close',
    ...(body.length ? ['Content-Type: text/plain; charset=utf-8'] : []),
    ...(code ? [`X-Camrtc-Error: ${code}`] : []),
    `Content-Length: ${body.length}`,
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`), body]));
}
