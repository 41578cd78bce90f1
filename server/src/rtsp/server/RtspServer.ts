/**
 * An RTSP server for live sources (RFC 2326): it owns the listening socket, the client connections,
 * the sessions and their transports (TCP interleaved, UDP unicast from one server port pair,
 * multicast), keepalive and session timeouts, client limits and slow-client disconnection, and the
 * RTCP clients send back (keyframe requests go up to the track). What it serves comes from mounts
 * (Mount.ts, one per path); request and packet hooks (ServerHooks.ts) let the owner authenticate,
 * redirect or misbehave on purpose. The demo camera, the test cameras and the restream build on it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { CamrtcError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { TypedEmitter } from '../../util/TypedEmitter.js';
import { serializeResponse, type RtspRequest } from '../message.js';
import { UdpPair } from '../UdpPair.js';
import { isKeyframeRequest } from './clientRtcp.js';
import { trackIndexOfControl, type Mount } from './Mount.js';
import { MethodHandler, type MountEntry, type ServerCore } from './MethodHandler.js';
import { MulticastSender } from './MulticastSender.js';
import { ServerConnection } from './ServerConnection.js';
import { chainHooks, chainPacketHooks, type DeliveryInfo, type PacketHook, type RequestContext, type RequestHook } from './ServerHooks.js';
import { reasonOf, response, type ServerResponse } from './ServerResponse.js';
import { ServerSession } from './ServerSession.js';
import { UdpDelivery, type MulticastOptions } from './ServerTransport.js';
import { FanOutRegistry, type PacketSink } from './TrackFanOut.js';
import { normalizePath, requestOrigin, requestPath } from './requestUrl.js';

/** Session timeout announced in SETUP answers; a session with no request and no RTCP for this long is dropped. */
export const DEFAULT_SESSION_TIMEOUT_S = 60;
/** A client whose socket holds more unsent bytes than this is too slow and is disconnected. */
export const MAX_CLIENT_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 256;
/** A client asking for more sessions on one connection is refused (453): each holds timers and sinks. */
export const DEFAULT_MAX_SESSIONS_PER_CONNECTION = 16;
const SINK_ERROR_LOG_INTERVAL_MS = 5000;

export interface RtspServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Serve rtsps: TLS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: Logger;
  /** The Server header of every answer (default 'camrtc'). */
  serverName?: string;
  /** Default DEFAULT_SESSION_TIMEOUT_S. */
  sessionTimeoutS?: number;
  /** Default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Default DEFAULT_MAX_SESSIONS_PER_CONNECTION. */
  maxSessionsPerConnection?: number;
  /** Default MAX_CLIENT_WRITE_BUFFER_BYTES. */
  maxWriteBufferBytes?: number;
  /** Offer UDP unicast (default true): binds one port pair on `host`. */
  udp?: boolean;
  /** Run around every request, in order (ServerHooks.ts). */
  hooks?: readonly RequestHook[];
  /** Asked once per delivery, in order (ServerHooks.ts). */
  packetHooks?: readonly PacketHook[];
}

export interface MountOptions {
  /** Offer multicast delivery for this mount (SETUP with `multicast`), sent from `host`'s interface. */
  multicast?: MulticastOptions;
}

export type RtspServerEvents = {
  connection: [conn: ServerConnection];
  /** Every request, before hooks and answer (a log for tests and diagnostics). */
  request: [req: RtspRequest, conn: ServerConnection];
  session: [session: ServerSession];
  /** RTCP a client sent about a track it set up (receiver reports, feedback). */
  rtcp: [session: ServerSession, trackIndex: number, packet: Buffer];
  /** A client asked for a keyframe (PLI or FIR); the track's requestKeyframe() was called. */
  keyframeRequest: [session: ServerSession, trackIndex: number];
  listenererror: [event: string, err: unknown];
};

export class RtspServer extends TypedEmitter<RtspServerEvents> {
  readonly host: string;
  private readonly log: Logger;
  private readonly sessionTimeoutS: number;
  private readonly hooks: readonly RequestHook[];
  private readonly packetHooks: readonly PacketHook[];
  private readonly mounts = new Map<string, MountEntry>();
  private readonly conns = new Set<ServerConnection>();
  private readonly sessionMap = new Map<string, ServerSession>();
  private readonly fanOut: FanOutRegistry;
  private readonly methods: MethodHandler;
  private server: net.Server | undefined;
  private udp: UdpPair | undefined;
  private originValue: string | undefined;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RtspServerOptions = {}) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.log = (options.logger ?? silentLogger()).child({ module: 'rtsp-server' });
    this.sessionTimeoutS = options.sessionTimeoutS ?? DEFAULT_SESSION_TIMEOUT_S;
    // Whole seconds: the Session header's timeout parameter is an integer.
    if (!Number.isInteger(this.sessionTimeoutS) || this.sessionTimeoutS <= 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'the RTSP session timeout must be a positive whole number of seconds');
    this.hooks = [...(options.hooks ?? [])];
    this.packetHooks = [...(options.packetHooks ?? [])];
    let lastSinkError = -Infinity;
    this.fanOut = new FanOutRegistry((err) => {
      // A broken packet hook fails on every packet: say it once every few seconds, not per packet.
      if (Date.now() - lastSinkError < SINK_ERROR_LOG_INTERVAL_MS) return;
      lastSinkError = Date.now();
      this.log.warn({ err }, 'rtsp server: a packet sink failed');
    });
    this.methods = new MethodHandler(this.core());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** rtsp://host:port (rtsps:// with TLS) once listening. */
  get origin(): string | undefined {
    return this.originValue;
  }

  get port(): number | undefined {
    return (this.server?.address() as net.AddressInfo | null)?.port;
  }

  /** The URL of a mount path once listening. */
  urlOf(path: string): string {
    const p = normalizePath(path);
    return `${this.originValue ?? ''}${p === '/' ? '' : p}`;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  get sessions(): IterableIterator<ServerSession> {
    return this.sessionMap.values();
  }

  async listen(): Promise<{ port: number; origin: string }> {
    if (this.isClosed) throw new CamrtcError('ERR_CLOSED', 'the RTSP server is closed');
    if (this.server) throw new CamrtcError('ERR_INTERNAL', 'the RTSP server is already listening');
    const server = this.options.tls
      ? tls.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (socket) => this.onConnection(socket))
      : net.createServer((socket) => this.onConnection(socket));
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port ?? 0, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      if (this.options.udp !== false) {
        const udp = await UdpPair.bind(this.host);
        if (this.isClosed) {
          udp.close();
          throw new CamrtcError('ERR_CLOSED', 'the RTSP server was closed while starting');
        }
        this.udp = udp;
        udp.rtcp.on('message', (packet: Buffer, rinfo) => this.onUdpRtcp(packet, rinfo.address, rinfo.port));
      }
    } catch (err) {
      // Nothing half-open: a failed listen() can be retried (a port in use, then free).
      this.server = undefined;
      if (server.listening) server.close();
      throw err;
    }
    server.on('error', (err) => this.log.warn({ err }, 'rtsp server error'));
    // A TLS handshake that fails (a plain RTSP client on the rtsps port) is the client's problem.
    server.on('tlsClientError', (err: Error) => this.log.debug({ err }, 'rtsp server: TLS handshake failed'));
    const port = (server.address() as net.AddressInfo).port;
    const hostForUrl = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.originValue = `${this.options.tls ? 'rtsps' : 'rtsp'}://${hostForUrl}:${port}`;
    this.log.debug({ origin: this.originValue }, 'rtsp server listening');
    return { port, origin: this.originValue };
  }

  /** Serves `mount` at `path` (replacing what was there: its sessions end). */
  async mount(path: string, mount: Mount, options: MountOptions = {}): Promise<void> {
    if (this.isClosed) throw new CamrtcError('ERR_CLOSED', 'the RTSP server is closed');
    const p = normalizePath(path);
    const multicast = options.multicast ? await MulticastSender.open(options.multicast, this.host, this.log) : undefined;
    if (this.isClosed) {
      multicast?.close();
      throw new CamrtcError('ERR_CLOSED', 'the RTSP server was closed while mounting');
    }
    this.unmount(p);
    this.mounts.set(p, { path: p, mount, multicast, sdpSessionId: String(randomBytes(4).readUInt32BE(0)) });
  }

  /** Stops serving `path`; its sessions end ('unmounted'). */
  unmount(path: string): void {
    const p = normalizePath(path);
    const entry = this.mounts.get(p);
    if (!entry) return;
    this.mounts.delete(p);
    for (const s of [...this.sessionMap.values()]) if (s.mountPath === p) s.close('unmounted');
    entry.multicast?.close();
  }

  /** Destroys every client connection at once, like a camera that reboots. The server keeps listening. */
  dropConnections(): void {
    for (const conn of [...this.conns]) conn.close('closed');
  }

  /** Stops listening, ends every session and connection, closes the UDP sockets. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.isClosed = true;
      for (const s of [...this.sessionMap.values()]) s.close('server-closed');
      for (const conn of [...this.conns]) conn.close('closed');
      for (const entry of this.mounts.values()) entry.multicast?.close();
      this.mounts.clear();
      this.fanOut.close();
      this.udp?.close();
      const server = this.server;
      if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return this.closing;
  }

  // --- connections and requests ---

  private onConnection(socket: net.Socket): void {
    if (this.isClosed) {
      socket.destroy();
      return;
    }
    const conn = new ServerConnection(socket, {
      handle: (c, req) => this.handle(c, req),
      maxWriteBufferBytes: this.options.maxWriteBufferBytes ?? MAX_CLIENT_WRITE_BUFFER_BYTES,
      idleTimeoutMs: this.sessionTimeoutS * 1000,
    });
    this.conns.add(conn);
    conn.on('interleaved', (channel, data) => this.onInterleaved(conn, channel, data));
    conn.on('protocolError', (err) => {
      this.log.debug({ err, remote: conn.remoteAddress }, 'rtsp server: unparsable request, closing');
      this.write(conn, undefined, response(400));
    });
    conn.on('close', (reason) => {
      this.conns.delete(conn);
      if (reason === 'slow') this.log.warn({ remote: conn.remoteAddress }, 'rtsp server: client too slow, disconnected');
      for (const id of [...conn.sessionIds]) this.sessionMap.get(id)?.close('disconnected');
    });
    this.safeEmit('connection', conn);
  }

  private async handle(conn: ServerConnection, req: RtspRequest): Promise<void> {
    this.safeEmit('request', req, conn);
    const ctx = this.contextOf(conn, req);
    ctx.session?.touch();
    let res: ServerResponse | null;
    try {
      res = await chainHooks(this.hooks, req, ctx, async () => (req.headers.get('CSeq') === undefined ? response(400) : this.methods.handle(req, ctx)));
    } catch (err) {
      this.log.warn({ err, method: req.method }, 'rtsp server: request failed');
      res = response(500);
    }
    if (!res || conn.closed) return;
    if (this.write(conn, req.headers.get('CSeq'), res)) res.afterSend?.();
  }

  /** Writes an answer with CSeq and Server; false when it could not be serialized (a hook's bad header). */
  private write(conn: ServerConnection, cseq: string | undefined, res: ServerResponse): boolean {
    const headers = res.headers;
    if (cseq !== undefined && !headers.has('CSeq')) headers.set('CSeq', cseq);
    if (!headers.has('Server')) headers.set('Server', this.options.serverName ?? 'camrtc');
    let bytes: Buffer;
    try {
      bytes = serializeResponse({ status: res.status, reason: res.reason ?? reasonOf(res.status), headers, body: res.body });
    } catch (err) {
      this.log.warn({ err }, 'rtsp server: cannot serialize an answer');
      return false;
    }
    conn.write(bytes);
    return true;
  }

  private contextOf(conn: ServerConnection, req: RtspRequest): RequestContext {
    const path = requestPath(req.uri);
    const header = req.headers.get('Session');
    const id = header?.split(';')[0].trim();
    const candidate = id ? this.sessionMap.get(id) : undefined;
    // A session belongs to the connection that made it: another client cannot play or tear it down.
    const session = candidate?.connection === conn ? candidate : undefined;
    return {
      connection: conn,
      path,
      baseUrl: requestOrigin(req.uri) ?? this.originValue ?? '',
      mountPath: this.mountAt(path)?.path ?? this.trackAt(path)?.entry.path,
      session,
    };
  }

  private mountAt(path: string | undefined): MountEntry | undefined {
    return path === undefined ? undefined : this.mounts.get(path);
  }

  private trackAt(path: string | undefined): { entry: MountEntry; index: number } | undefined {
    if (path === undefined) return undefined;
    const slash = path.lastIndexOf('/');
    const entry = this.mounts.get(slash <= 0 ? '/' : path.slice(0, slash));
    const index = trackIndexOfControl(path.slice(slash + 1));
    if (!entry || index === undefined || index >= entry.mount.tracks.length) return undefined;
    return { entry, index };
  }

  private core(): ServerCore {
    const server = this;
    return {
      log: this.log,
      sessionTimeoutS: this.sessionTimeoutS,
      get udp() {
        return server.udp;
      },
      mountAt: (path) => this.mountAt(path),
      trackAt: (path) => this.trackAt(path),
      openSession: (ctx, entry) => this.openSession(ctx.connection, entry),
      sinkFor: (info: DeliveryInfo, deliver: PacketSink) => chainPacketHooks(this.packetHooks, info, deliver),
    };
  }

  private openSession(conn: ServerConnection, entry: MountEntry): ServerSession | undefined {
    if (conn.sessionIds.size >= (this.options.maxSessionsPerConnection ?? DEFAULT_MAX_SESSIONS_PER_CONNECTION)) return undefined;
    let id: string;
    do id = randomBytes(8).toString('hex').toUpperCase();
    while (this.sessionMap.has(id));
    const session = new ServerSession({ id, connection: conn, mountPath: entry.path, mount: entry.mount, timeoutS: this.sessionTimeoutS, sinks: this.fanOut });
    this.sessionMap.set(id, session);
    conn.sessionIds.add(id);
    session.on('close', (reason) => {
      this.sessionMap.delete(id);
      conn.sessionIds.delete(id);
      this.log.debug({ session: id, reason }, 'rtsp server: session ended');
    });
    this.safeEmit('session', session);
    return session;
  }

  // --- RTCP from clients ---

  private onInterleaved(conn: ServerConnection, channel: number, data: Buffer): void {
    // Even channels would carry the client's RTP (RECORD), which this server does not take.
    if (channel % 2 === 0) return;
    const owner = conn.channels.get(channel);
    const session = owner && this.sessionMap.get(owner.sessionId);
    if (session) this.onRtcp(session, owner.trackIndex, data);
  }

  private onUdpRtcp(packet: Buffer, address: string, port: number): void {
    const from = address.replace(/^::ffff:/, '');
    for (const session of this.sessionMap.values()) {
      for (const t of session.setUp) {
        const d = t.delivery;
        if (d instanceof UdpDelivery && d.address === from && d.clientPort[1] === port) {
          this.onRtcp(session, t.index, packet);
          return;
        }
      }
    }
  }

  /**
   * Like gst-rtsp-server (and unlike most IP cameras) the server passes keyframe requests on: a PLI
   * or FIR naming the track's SSRC calls its requestKeyframe(), once per compound packet.
   */
  private onRtcp(session: ServerSession, index: number, packet: Buffer): void {
    session.touch();
    const track = session.trackAt(index)?.track;
    if (!track) return;
    this.safeEmit('rtcp', session, index, packet);
    if (!isKeyframeRequest(packet, track.ssrc)) return;
    track.requestKeyframe?.();
    this.safeEmit('keyframeRequest', session, index);
  }
}
