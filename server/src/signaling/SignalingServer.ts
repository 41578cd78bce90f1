/**
 * The WebSocket signaling endpoint at /ws on the HTTP server (protocol: shared/protocol.ts,
 * docs/signaling.md). Owns the sockets; each socket is a ClientConnection with its viewer sessions.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { originAllowed } from '../http/origin.js';
import type { Logger } from '../log/logger.js';
import type { CameraDirectory } from '../media/Camera.js';
import { OfferBroker } from '../session/OfferBroker.js';
import { peerSettings, type PeerSettings } from '../session/PeerSettings.js';
import { MAX_FRAME_BYTES } from '../../../shared/protocol.js';
import { urlWatch } from '../../../shared/watchUrl.js';
import { ClientConnection, DEFAULT_SIGNALING_LIMITS, type SignalingLimits } from './ClientConnection.js';

export const SIGNALING_PATH = '/ws';
/** Sockets are pinged this often; one that has not answered the previous ping is dropped. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** More sockets than this are refused with 503 (each may hold up to 8 peer connections). */
export const MAX_CLIENTS = 256;
/** How long close() waits for a client's close handshake before cutting the socket. */
const CLOSE_GRACE_MS = 1_000;
/** WebSocket close code "going away" (RFC 6455 7.4.1). */
const CLOSE_GOING_AWAY = 1001;

export interface SignalingServerOptions {
  /** The HTTP server to attach to (its 'upgrade' event); it is not closed by close(). */
  server: Server;
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
}

export class SignalingServer {
  readonly #options: SignalingServerOptions;
  readonly #logger: Logger;
  readonly #wss: WebSocketServer;
  readonly #clients = new Map<WebSocket, ClientConnection>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #limits: SignalingLimits;
  readonly #peer: PeerSettings;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #broker: OfferBroker;
  /** The broker was made here, so close() closes it. */
  readonly #ownsBroker: boolean;
  #closePromise: Promise<void> | undefined;
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.#upgrade(req, socket, head);

  constructor(options: SignalingServerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#limits = { ...DEFAULT_SIGNALING_LIMITS, ...options.limits };
    this.#peer = options.peer ?? peerSettings();
    this.#ownsBroker = options.broker === undefined;
    this.#broker = options.broker ?? new OfferBroker({ peer: this.#peer, logger: options.logger });
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
    if (path !== SIGNALING_PATH) {
      // Another upgrade handler may own this path; when there is none, refuse like ws does.
      if (this.#options.server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.closed) return refuse(socket, 503, 'Service Unavailable');
    if (!this.#originAllowed(req)) {
      this.#logger.info({ origin: req.headers.origin }, 'refused a signaling socket from another origin');
      return refuse(socket, 403, 'Forbidden');
    }
    if (this.#clients.size >= MAX_CLIENTS) return refuse(socket, 503, 'Service Unavailable');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const client = new ClientConnection(ws, {
      cameras: this.#options.cameras,
      limits: this.#limits,
      peer: this.#peer,
      logger: this.#logger.child({ client: req.socket.remoteAddress }),
      connectTimeoutMs: this.#options.connectTimeoutMs,
      broker: this.#broker,
    });
    this.#clients.set(ws, client);
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    ws.once('close', () => this.#clients.delete(ws));
    const watch = urlWatch(req.url ?? '');
    if (watch) client.watchFromUrl(watch);
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

function refuse(socket: Duplex, status: number, text: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
