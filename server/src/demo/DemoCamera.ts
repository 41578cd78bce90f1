/**
 * camrtc's built-in demo camera: a small RTSP server on loopback that serves RtpStreamSource
 * streams (the H.264 clip, the tone) like an IP camera does. Every client gets the same packets
 * (same SSRC, sequence numbers and timestamps), from the next packet after its PLAY, over TCP
 * interleaved or UDP. It doubles as the test camera: it logs what it receives and can misbehave on
 * purpose (faults), so RtspSession and Source are tested against a real socket.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { CamrtcError } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { RtspFramer } from '../rtsp/framer.js';
import { RtspHeaders, serializeInterleaved, serializeResponse, type RtspRequest } from '../rtsp/message.js';
import { parseTransports, serializeTransport, type Transport } from '../rtsp/headers/Transport.js';
import { serializeRtpInfo, type RtpInfoEntry } from '../rtsp/headers/RtpInfo.js';
import { UdpPair } from '../rtsp/UdpPair.js';
import { parseRtcp, RTCP_PSFB } from '../rtp/rtcp.js';
import { splitRtspUrl } from '../sdp/controlUrl.js';
import { DemoAuth, type DemoAuthOptions } from './demoAuth.js';
import { buildDemoSdp, trackControl } from './demoSdp.js';
import type { RtpStreamSource } from './RtpStreamSource.js';

/** Session timeout announced in SETUP answers; a session with no request for this long is dropped. */
export const DEMO_SESSION_TIMEOUT_S = 60;
/** A client whose socket holds more unsent bytes than this is too slow and is disconnected. */
export const MAX_CLIENT_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
export const MAX_DEMO_CLIENTS = 256;
/** `requests` keeps the most recent entries only, so a long-running demo does not grow without bound. */
export const MAX_REQUEST_LOG = 10_000;

const PUBLIC_METHODS = ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'GET_PARAMETER', 'TEARDOWN'];
/** RTSP methods a camera knows but this one does not do: 405 rather than 501. */
const KNOWN_UNSUPPORTED = new Set(['ANNOUNCE', 'RECORD', 'SET_PARAMETER', 'REDIRECT']);
/** Bytes the `garbage` fault puts before every answer: neither '$' nor an upper-case letter. */
const GARBAGE = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x7f, 0x0d, 0x0a]);
/** What the `garbageOnly` fault answers: binary noise, then a line that is no RTSP start line. */
const GARBAGE_ANSWER = Buffer.concat([Buffer.from([0x00, 0xff, 0x10, 0x7f, 0x0d, 0x0a]), Buffer.from('BZZT \u00ff\u00fe garbage\r\n\r\n', 'latin1')]);

export interface DemoCameraFaults {
  /** Answer PAUSE with 405 Method Not Allowed (many cameras do) instead of pausing. */
  refusePause?: boolean;
  /** Methods the camera never answers (the request is still logged), e.g. ['GET_PARAMETER']. */
  neverAnswer?: string[];
  /** Stray bytes before every answer, as some cameras send between messages. */
  garbage?: boolean;
  /** Answer every request with bytes that are not RTSP at all (a broken firmware, a wrong service). */
  garbageOnly?: boolean;
  /** Answer DESCRIBE with 302 to another path of this camera, forever (a redirect loop). */
  redirectLoop?: boolean;
  /** Answer 401 to every request but OPTIONS, whatever the credentials (a 401 loop). */
  alwaysUnauthorized?: boolean;
  /**
   * Over TCP, after this many media packets to a client: write the head of an interleaved frame and
   * half its packet, then close the connection (a camera cut off in the middle of a write).
   */
  truncateInterleavedAfter?: number;
  /** Over UDP, swap every two consecutive media packets (a network that reorders). */
  reorderUdp?: boolean;
}

export interface DemoCameraMulticast {
  /** Group address, e.g. 239.255.12.42. Track i is sent to `port + 2i` (RTP) and `port + 2i + 1`. */
  readonly group: string;
  readonly port: number;
  /** Default 0: the packets never leave this host (loopback tests). */
  readonly ttl?: number;
  /** Answer every UDP SETUP with multicast, as cameras configured for multicast only do. */
  readonly only?: boolean;
}

export interface DemoCameraOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Path of the stream, default '/demo'. */
  path?: string;
  /** One RTSP track each, in this order (trackID=0, 1, ...). The camera starts and closes them. */
  streams: RtpStreamSource[];
  /** Require these credentials for every method except OPTIONS. */
  auth?: DemoAuthOptions;
  logger?: Logger;
  faults?: DemoCameraFaults;
  /** Default DEMO_SESSION_TIMEOUT_S. */
  sessionTimeoutS?: number;
  /** Serve rtsps: TLS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Offer multicast delivery (SETUP with `multicast`). Sent from `host`'s interface. */
  multicast?: DemoCameraMulticast;
}

type Sink = (packet: Buffer) => void;

interface TrackSetup {
  readonly streamIndex: number;
  readonly sink: Sink;
}

interface DemoSession {
  readonly id: string;
  readonly conn: ClientConnection;
  /** Media packets written to this client over TCP (for the truncateInterleavedAfter fault). */
  tcpPackets: number;
  readonly tracks: Map<number, TrackSetup>;
  playing: boolean;
  timer: NodeJS.Timeout;
}

interface ClientConnection {
  readonly socket: net.Socket;
  readonly framer: RtspFramer;
  readonly sessions: Set<DemoSession>;
}

export class DemoCamera {
  /** Every request received (method and URI), oldest first: for test assertions. */
  readonly requests: { method: string; uri: string }[] = [];
  readonly options: Readonly<DemoCameraOptions>;

  private readonly host: string;
  private readonly basePath: string;
  private readonly streams: readonly RtpStreamSource[];
  private readonly auth: DemoAuth | undefined;
  private readonly log: Logger;
  private readonly faults: DemoCameraFaults;
  private readonly sessionTimeoutS: number;
  private readonly sdpSessionId = String(randomBytes(4).readUInt32BE(0));
  private readonly conns = new Set<ClientConnection>();
  private readonly sessions = new Map<string, DemoSession>();
  /** Per stream: where its packets go (one entry per playing client track). */
  private readonly sinks: Set<Sink>[];
  /** Per stream: the 'packet' listener, attached only while someone plays it. */
  private readonly fanOut: ((packet: Buffer) => void)[];
  private server: net.Server | undefined;
  private udp: UdpPair | undefined;
  /** Sends multicast; one sink per stream, shared by every session that plays it (refcounted). */
  private multicastSocket: dgram.Socket | undefined;
  private readonly multicastRefs: number[];
  private readonly multicastSinks: Sink[];
  private listenUrl: string | undefined;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  constructor(options: DemoCameraOptions) {
    if (options.streams.length === 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'the demo camera needs at least one stream');
    this.options = options;
    this.host = options.host ?? '127.0.0.1';
    const path = options.path ?? '/demo';
    this.basePath = ('/' + path.replace(/^\/+/, '')).replace(/\/+$/, '') || '/';
    this.streams = [...options.streams];
    this.auth = options.auth ? new DemoAuth(options.auth) : undefined;
    this.log = (options.logger ?? silentLogger()).child({ module: 'demo-camera' });
    this.faults = options.faults ?? {};
    this.sessionTimeoutS = options.sessionTimeoutS ?? DEMO_SESSION_TIMEOUT_S;
    this.sinks = this.streams.map(() => new Set<Sink>());
    this.fanOut = this.sinks.map((set) => (packet: Buffer) => {
      for (const sink of set) sink(packet);
    });
    this.multicastRefs = this.streams.map(() => 0);
    this.multicastSinks = this.streams.map((_, i) => (packet: Buffer) => {
      const m = this.options.multicast;
      if (m && this.multicastSocket) this.multicastSocket.send(packet, m.port + 2 * i, m.group);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** rtsp://host:port/path (rtsps:// with TLS) once listening. */
  get url(): string | undefined {
    return this.listenUrl;
  }

  /** Number of connected RTSP clients. */
  get clientCount(): number {
    return this.conns.size;
  }

  async listen(): Promise<{ port: number; url: string }> {
    if (this.isClosed) throw new CamrtcError('ERR_CLOSED', 'the demo camera is closed');
    if (this.server) throw new CamrtcError('ERR_INTERNAL', 'the demo camera is already listening');
    const server = this.options.tls
      ? tls.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (socket) => this.onConnection(socket))
      : net.createServer((socket) => this.onConnection(socket));
    server.maxConnections = MAX_DEMO_CLIENTS;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.warn({ err }, 'demo camera server error'));
    const udp = await UdpPair.bind(this.host);
    if (this.isClosed) {
      udp.close();
      throw new CamrtcError('ERR_CLOSED', 'the demo camera was closed while starting');
    }
    this.udp = udp;
    udp.rtcp.on('message', (packet: Buffer) => this.onClientRtcp(packet));
    if (this.options.multicast) this.multicastSocket = await this.openMulticastSocket(this.options.multicast);
    for (const s of this.streams) s.start();
    const port = (server.address() as net.AddressInfo).port;
    const hostForUrl = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.listenUrl = `${this.options.tls ? 'rtsps' : 'rtsp'}://${hostForUrl}:${port}${this.basePath === '/' ? '' : this.basePath}`;
    this.log.info({ url: this.listenUrl }, 'demo camera listening');
    return { port, url: this.listenUrl };
  }

  /** Destroys every client connection at once, like a camera that reboots. The camera keeps listening. */
  dropConnections(): void {
    for (const conn of this.conns) conn.socket.destroy();
  }

  /** Stops listening, disconnects every client, closes the UDP sockets and the streams. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.isClosed = true;
    this.closing = (async () => {
      for (const session of [...this.sessions.values()]) this.destroySession(session);
      for (const conn of this.conns) conn.socket.destroy();
      this.conns.clear();
      this.streams.forEach((s, i) => {
        s.off('packet', this.fanOut[i]);
        s.close();
      });
      this.udp?.close();
      this.multicastSocket?.close();
      this.multicastSocket = undefined;
      const server = this.server;
      if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return this.closing;
  }

  private openMulticastSocket(m: DemoCameraMulticast): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(m.group.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind(0, this.host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.log.debug({ err }, 'demo camera multicast send error'));
        socket.setMulticastInterface(this.host);
        socket.setMulticastLoopback(true);
        socket.setMulticastTTL(m.ttl ?? 0);
        resolve(socket);
      });
    });
  }

  // --- connections ---

  private onConnection(socket: net.Socket): void {
    if (this.isClosed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn: ClientConnection = { socket, framer: new RtspFramer(), sessions: new Set() };
    this.conns.add(conn);
    socket.on('error', (err) => this.log.debug({ err }, 'demo camera client socket error'));
    socket.on('close', () => {
      this.conns.delete(conn);
      for (const session of [...conn.sessions]) this.destroySession(session);
    });
    socket.on('data', (chunk: Buffer) => {
      conn.framer.push(chunk);
      for (let item = conn.framer.next(); item && !socket.destroyed; item = conn.framer.next()) {
        if (item.type === 'message') {
          if (item.message.kind === 'request') this.onRequest(conn, item.message);
        } else if (item.type === 'error') {
          this.log.debug({ err: item.error }, 'demo camera: unparsable request, closing');
          this.write(conn, serializeResponse({ status: 400, reason: 'Bad Request', headers: this.baseHeaders(undefined) }));
          socket.end();
        }
        else if (item.type === 'interleaved' && item.channel % 2 === 1) this.onClientRtcp(item.data);
        // Other interleaved frames and stray bytes are ignored.
      }
    });
  }

  /**
   * RTCP from a client. Like gst-rtsp-server (and unlike most IP cameras) the demo camera honours
   * keyframe requests: a PLI or FIR naming a stream's SSRC makes it jump to its next IDR.
   */
  private onClientRtcp(packet: Buffer): void {
    const items = parseRtcp(packet);
    if (items instanceof CamrtcError) return;
    for (const item of items) {
      if (item.packetType !== RTCP_PSFB || (item.count !== 1 && item.count !== 4) || item.length < 16) continue;
      // PLI names the stream in the media-source field; FIR in its first FCI entry.
      const target = packet.readUInt32BE(item.offset + (item.count === 1 ? 8 : 12));
      const stream = this.streams.find((s) => s.ssrc === target);
      if (!stream?.requestKeyframe) continue;
      this.keyframeRequests++;
      stream.requestKeyframe();
    }
  }

  /** Keyframe requests (RTCP PLI/FIR) received from clients, for tests. */
  keyframeRequests = 0;

  /** Writes to a client, dropping it when it does not keep up. */
  private write(conn: ClientConnection, data: Buffer): void {
    const socket = conn.socket;
    if (socket.destroyed || !socket.writable) return;
    socket.write(data);
    if (socket.writableLength > MAX_CLIENT_WRITE_BUFFER_BYTES) {
      this.log.warn({ remote: socket.remoteAddress, buffered: socket.writableLength }, 'demo camera: client too slow, disconnecting');
      socket.destroy();
    }
  }

  // --- requests ---

  private baseHeaders(cseq: string | undefined): RtspHeaders {
    const h = new RtspHeaders();
    if (cseq !== undefined) h.set('CSeq', cseq);
    h.set('Server', 'camrtc-demo');
    return h;
  }

  private onRequest(conn: ClientConnection, req: RtspRequest): void {
    this.requests.push({ method: req.method, uri: req.uri });
    if (this.requests.length > MAX_REQUEST_LOG) this.requests.splice(0, this.requests.length - MAX_REQUEST_LOG);
    this.log.debug({ method: req.method, uri: req.uri }, 'demo camera request');
    if (this.faults.neverAnswer?.includes(req.method)) return;
    if (this.faults.garbageOnly) {
      this.write(conn, GARBAGE_ANSWER);
      return;
    }

    const cseq = req.headers.get('CSeq');
    const respond = (status: number, reason: string, extra: Record<string, string> = {}, body?: Buffer): void => {
      const headers = this.baseHeaders(cseq);
      for (const [k, v] of Object.entries(extra)) headers.set(k, v);
      const msg = serializeResponse({ status, reason, headers, body });
      this.write(conn, this.faults.garbage ? Buffer.concat([GARBAGE, msg]) : msg);
    };

    if (cseq === undefined) return respond(400, 'Bad Request');
    if (this.auth && req.method !== 'OPTIONS' && (this.faults.alwaysUnauthorized || !this.auth.check(req.method, req.headers.get('Authorization')))) {
      return respond(401, 'Unauthorized', { 'WWW-Authenticate': this.auth.challenge() });
    }
    if (this.faults.alwaysUnauthorized && req.method !== 'OPTIONS') {
      return respond(401, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="camrtc-demo"' });
    }

    switch (req.method) {
      case 'OPTIONS':
        return respond(200, 'OK', { Public: PUBLIC_METHODS.join(', ') });
      case 'DESCRIBE':
        return this.onDescribe(req, respond);
      case 'SETUP':
        return this.onSetup(conn, req, respond);
      case 'PLAY':
      case 'PAUSE':
      case 'GET_PARAMETER':
      case 'TEARDOWN':
        return this.onSessionRequest(conn, req, respond);
      default:
        if (KNOWN_UNSUPPORTED.has(req.method)) return respond(405, 'Method Not Allowed', { Allow: PUBLIC_METHODS.join(', ') });
        return respond(501, 'Not Implemented');
    }
  }

  private onDescribe(req: RtspRequest, respond: Responder): void {
    if (this.faults.redirectLoop) {
      // Back and forth between two paths of this camera: a client must give up, not spin.
      const other = requestPath(req.uri) === this.basePath ? `${this.basePath}-moved` : this.basePath;
      return respond(302, 'Moved Temporarily', { Location: `${this.origin()}${other}` });
    }
    if (requestPath(req.uri) !== this.basePath) return respond(404, 'Not Found');
    const sdp = Buffer.from(buildDemoSdp(this.streams, this.host, this.sdpSessionId), 'utf8');
    respond(200, 'OK', { 'Content-Type': 'application/sdp', 'Content-Base': `${this.listenUrl}/` }, sdp);
  }

  private onSetup(conn: ClientConnection, req: RtspRequest, respond: Responder): void {
    const index = this.trackIndexOf(req.uri);
    if (index === undefined) return respond(404, 'Not Found');
    const header = req.headers.get('Transport');
    const offered = header === undefined ? [] : parseTransports(header);
    const multicast = this.options.multicast;
    const chosen = offered instanceof CamrtcError ? undefined
      : offered.find((t) => t.protocol === 'TCP' || (t.delivery === 'multicast' ? multicast !== undefined : t.clientPort !== undefined));
    if (!chosen) return respond(461, 'Unsupported Transport');
    const asMulticast = multicast !== undefined && chosen.protocol === 'UDP' && (chosen.delivery === 'multicast' || multicast.only === true);

    let session: DemoSession | undefined;
    const sid = sessionIdOf(req);
    if (sid !== undefined) {
      session = this.sessions.get(sid);
      if (!session || session.conn !== conn) return respond(454, 'Session Not Found');
    } else {
      session = this.createSession(conn);
    }

    const stream = this.streams[index];
    let reply: Transport;
    let sink: Sink;
    if (asMulticast) {
      const port = multicast.port + 2 * index;
      reply = { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'multicast', destination: multicast.group, port: [port, port + 1], ttl: multicast.ttl ?? 0, ssrc: stream.ssrc };
      sink = this.multicastSinks[index];
    } else if (chosen.protocol === 'TCP') {
      const interleaved = chosen.interleaved ?? ([index * 2, index * 2 + 1] as const);
      const channel = interleaved[0];
      reply = { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved, ssrc: stream.ssrc };
      const truncateAfter = this.faults.truncateInterleavedAfter;
      sink = (packet) => {
        const s = session!;
        if (truncateAfter !== undefined && ++s.tcpPackets > truncateAfter) {
          const frame = serializeInterleaved(channel, packet);
          this.write(conn, frame.subarray(0, 4 + (packet.length >> 1)));
          conn.socket.end();
          return;
        }
        this.write(conn, serializeInterleaved(channel, packet));
      };
    } else {
      const udp = this.udp!;
      // Never the `destination` the client names: RTP goes only to the address the request came from.
      const address = (conn.socket.remoteAddress ?? this.host).replace(/^::ffff:/, '');
      const port = chosen.clientPort![0];
      reply = { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'unicast', clientPort: chosen.clientPort, serverPort: [udp.rtpPort, udp.rtcpPort], ssrc: stream.ssrc };
      const send = (packet: Buffer): void => {
        if (!udp.closed) udp.rtp.send(packet, port, address);
      };
      let held: Buffer | undefined;
      sink = !this.faults.reorderUdp
        ? send
        : (packet) => {
            if (!held) {
              held = packet;
              return;
            }
            send(packet);
            send(held);
            held = undefined;
          };
    }
    const previous = session.tracks.get(index);
    if (previous && session.playing) this.removeSink(index, previous.sink);
    const setup = { streamIndex: index, sink };
    session.tracks.set(index, setup);
    if (session.playing) this.addSink(index, sink);
    respond(200, 'OK', { Transport: serializeTransport(reply), Session: `${session.id};timeout=${this.sessionTimeoutS}` });
  }

  private onSessionRequest(conn: ClientConnection, req: RtspRequest, respond: Responder): void {
    const sid = sessionIdOf(req);
    const session = sid === undefined ? undefined : this.sessions.get(sid);
    if (req.method === 'GET_PARAMETER' && sid === undefined) return respond(200, 'OK');
    if (!session || session.conn !== conn) return respond(454, 'Session Not Found');
    session.timer.refresh();
    const sessionHeader = { Session: session.id };

    switch (req.method) {
      case 'GET_PARAMETER':
        return respond(200, 'OK', sessionHeader);
      case 'TEARDOWN':
        this.destroySession(session);
        return respond(200, 'OK', sessionHeader);
      case 'PAUSE':
        if (this.faults.refusePause) return respond(405, 'Method Not Allowed', { Allow: PUBLIC_METHODS.filter((m) => m !== 'PAUSE').join(', ') });
        this.setPlaying(session, false);
        return respond(200, 'OK', sessionHeader);
      case 'PLAY': {
        if (session.tracks.size === 0) return respond(455, 'Method Not Valid in This State');
        const entries: RtpInfoEntry[] = [...session.tracks.keys()].sort((a, b) => a - b).map((i) => ({
          url: `${this.listenUrl}/${trackControl(i)}`,
          seq: this.streams[i].nextSequenceNumber,
          rtptime: this.streams[i].currentTimestamp,
        }));
        respond(200, 'OK', { ...sessionHeader, Range: 'npt=now-', 'RTP-Info': serializeRtpInfo(entries) });
        // After the answer, so the client has it before the first packet (the stream emits from a timer).
        this.setPlaying(session, true);
        return;
      }
    }
  }

  // --- sessions and fan-out ---

  private createSession(conn: ClientConnection): DemoSession {
    let id: string;
    do id = randomBytes(8).toString('hex').toUpperCase();
    while (this.sessions.has(id));
    const timer = setTimeout(() => {
      const s = this.sessions.get(id);
      if (s) {
        this.log.debug({ session: id }, 'demo camera: session timed out');
        this.destroySession(s);
      }
    }, this.sessionTimeoutS * 1000);
    timer.unref();
    const session: DemoSession = { id, conn, tracks: new Map(), playing: false, timer, tcpPackets: 0 };
    this.sessions.set(id, session);
    conn.sessions.add(session);
    return session;
  }

  private destroySession(session: DemoSession): void {
    this.setPlaying(session, false);
    clearTimeout(session.timer);
    this.sessions.delete(session.id);
    session.conn.sessions.delete(session);
  }

  private setPlaying(session: DemoSession, playing: boolean): void {
    if (session.playing === playing) return;
    session.playing = playing;
    for (const t of session.tracks.values()) {
      if (playing) this.addSink(t.streamIndex, t.sink);
      else this.removeSink(t.streamIndex, t.sink);
    }
  }

  private addSink(index: number, sink: Sink): void {
    // Every session of a multicast stream shares one sink: the group gets each packet once.
    if (sink === this.multicastSinks[index] && this.multicastRefs[index]++ > 0) return;
    const set = this.sinks[index];
    set.add(sink);
    if (set.size === 1) this.streams[index].on('packet', this.fanOut[index]);
  }

  private removeSink(index: number, sink: Sink): void {
    if (sink === this.multicastSinks[index]) {
      if (this.multicastRefs[index] === 0 || --this.multicastRefs[index] > 0) return;
    }
    const set = this.sinks[index];
    if (!set.delete(sink)) return;
    // Nobody watching: the stream keeps its timeline but builds no packets.
    if (set.size === 0) this.streams[index].off('packet', this.fanOut[index]);
  }

  /** scheme://host:port of this camera. */
  private origin(): string {
    return /^[a-z]+:\/\/[^/]+/.exec(this.listenUrl ?? '')?.[0] ?? '';
  }

  private trackIndexOf(uri: string): number | undefined {
    const path = requestPath(uri);
    const prefix = this.basePath === '/' ? '/' : `${this.basePath}/`;
    if (path === undefined || !path.startsWith(prefix)) return undefined;
    const m = /^trackID=(\d{1,3})$/.exec(path.slice(prefix.length));
    if (!m) return undefined;
    const index = Number(m[1]);
    return index < this.streams.length ? index : undefined;
  }
}

type Responder = (status: number, reason: string, extra?: Record<string, string>, body?: Buffer) => void;

/** Path of a request URI without query and trailing slash ('/' for the root), or undefined. */
function requestPath(uri: string): string | undefined {
  const rest = uri.startsWith('/') ? uri : splitRtspUrl(uri)?.rest;
  if (rest === undefined) return undefined;
  const path = rest.split(/[?#]/)[0].replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

function sessionIdOf(req: RtspRequest): string | undefined {
  const v = req.headers.get('Session');
  if (v === undefined) return undefined;
  const id = v.split(';')[0].trim();
  return id === '' ? undefined : id;
}
