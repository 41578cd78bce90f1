/**
 * One UDP socket for the ICE, DTLS and SRTP of every viewer (as MediaMTX's :8189 and go2rtc's :8555),
 * so a firewall or `docker run -p` opens one port. Datagrams are routed by their remote address
 * (ip:port) to a viewer's channel; an address not seen yet is learned from a STUN binding request
 * whose USERNAME names a viewer's ufrag and whose MESSAGE-INTEGRITY verifies with that viewer's
 * password (or from the viewer's own STUN sent to it). Everything else is dropped and counted, never
 * logged: an attacker spraying requests with made-up ufrags creates no state, and one who knows a
 * ufrag but not its password creates none either.
 *
 * The receive path is one Map lookup by port and a string compare per datagram, without allocation.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../../log/logger.js';
import { isBindingRequest, readBindingRequest, verifyIntegrity } from './stunBinding.js';

export type RemoteAddress = readonly [host: string, port: number];

/** Remote addresses a channel may own at once (a browser has a few candidates per family); the oldest go first. */
export const MAX_ROUTES_PER_CHANNEL = 32;
/** At most one log line per interval about failures on the socket. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/** A viewer, as the mux finds it from the ufrag of a binding request. */
export interface UdpMuxSessions {
  find(ufrag: string): { readonly channel: UdpChannel; readonly password: string } | undefined;
}

/** What the mux counts, for tests and diagnostics. */
export interface UdpMuxStats {
  /** Remote addresses routed to a viewer. */
  routes: number;
  /** Datagrams dropped: unknown sender, not a binding request, unknown ufrag, bad integrity. */
  dropped: number;
}

class Route {
  next: Route | undefined = undefined;
  /** The address as werift expects it (IPv6 without its zone), made once. */
  readonly remote: RemoteAddress;
  constructor(
    readonly address: string,
    readonly port: number,
    public channel: UdpChannel,
  ) {
    const zone = address.indexOf('%');
    this.remote = [zone >= 0 ? address.slice(0, zone) : address, port];
  }
}

/** One viewer's end of a mux socket. */
export class UdpChannel {
  /** Set by the owner (the werift reach): every datagram routed to this viewer. */
  onDatagram: (data: Buffer, from: RemoteAddress) => void = () => undefined;
  /** Routes this channel owns, oldest first. */
  readonly routes: Route[] = [];
  #closed = false;

  constructor(
    readonly ufrag: string,
    private readonly mux: UdpMux,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends from the mux socket. A STUN message (first byte 0 or 1) routes its destination to this
   * viewer when nobody owns it yet, so the answer to a connectivity check comes back here even
   * before the browser's own check arrived from that address.
   */
  send(data: Buffer, to: RemoteAddress): void {
    if (this.#closed) return;
    if (data[0] < 2) this.mux.learn(to[0], to[1], this);
    this.mux.socket.send(data, to[1], to[0]);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.mux.forget(this);
  }
}

export interface UdpMuxOptions {
  family: 4 | 6;
  /** Address to bind: an interface address, or the family's wildcard. */
  address: string;
  /** 0: any free port (tests). */
  port: number;
  sessions: UdpMuxSessions;
  logger: Logger;
}

export class UdpMux {
  readonly family: 4 | 6;
  readonly address: string;
  readonly socket: Socket;
  readonly #sessions: UdpMuxSessions;
  readonly #logger: Logger;
  /** By remote port; addresses sharing a port are chained (rare: two browsers on one port number). */
  readonly #routes = new Map<number, Route>();
  #routeCount = 0;
  #dropped = 0;
  #lastErrorLog = -Infinity;
  #lastThrowLog = -Infinity;
  #closing: Promise<void> | undefined;

  private constructor(options: UdpMuxOptions, socket: Socket) {
    this.family = options.family;
    this.address = options.address;
    this.socket = socket;
    this.#sessions = options.sessions;
    this.#logger = options.logger;
    socket.on('message', (data: Buffer, rinfo: RemoteInfo) => this.#onMessage(data, rinfo));
    // Sends without a callback report here (an unreachable address, a full buffer): never fatal.
    socket.on('error', (err) => this.#sendFailed(err));
  }

  /** Binds the socket; rejects with the bind error (EADDRINUSE...). */
  static async bind(options: UdpMuxOptions): Promise<UdpMux> {
    const socket = createSocket({ type: options.family === 6 ? 'udp6' : 'udp4', ipv6Only: options.family === 6 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: options.address, port: options.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpMux(options, socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get stats(): UdpMuxStats {
    return { routes: this.#routeCount, dropped: this.#dropped };
  }

  /** A new viewer's end of this socket (the IceMux's session makes it). */
  channel(ufrag: string): UdpChannel {
    return new UdpChannel(ufrag, this);
  }

  #onMessage(data: Buffer, rinfo: RemoteInfo): void {
    let route = this.#routes.get(rinfo.port);
    while (route !== undefined && route.address !== rinfo.address) route = route.next;
    try {
      if (route === undefined) this.#fromUnknown(data, rinfo);
      else if (isBindingRequest(data)) this.#bindingFromKnown(data, route);
      else route.channel.onDatagram(data, route.remote);
    } catch (err) {
      // werift threw on one datagram: that viewer's problem, never the socket's (nor the log's).
      const now = performance.now();
      if (now - this.#lastThrowLog < ERROR_LOG_INTERVAL_MS) return;
      this.#lastThrowLog = now;
      this.#logger.debug({ err }, 'a viewer failed to take a datagram');
    }
  }

  /**
   * A binding request from a known address names the viewer it is for. Usually the one the address
   * routes to; another (verified) viewer takes the address over: a browser may reuse a port number
   * for a new peer connection while the old viewer is not closed yet.
   */
  #bindingFromKnown(data: Buffer, route: Route): void {
    const request = readBindingRequest(data);
    if (request !== undefined && request.ufrag === route.channel.ufrag) {
      route.channel.onDatagram(data, route.remote);
      return;
    }
    const found = request === undefined ? undefined : this.#sessions.find(request.ufrag);
    if (request === undefined || found === undefined || found.channel.closed || !verifyIntegrity(data, request, found.password)) {
      this.#dropped++;
      return;
    }
    this.#remove(route);
    const moved = this.#add(route.address, route.port, found.channel);
    found.channel.onDatagram(data, moved.remote);
  }

  #fromUnknown(data: Buffer, rinfo: RemoteInfo): void {
    const request = readBindingRequest(data);
    const found = request === undefined ? undefined : this.#sessions.find(request.ufrag);
    if (request === undefined || found === undefined || found.channel.closed || !verifyIntegrity(data, request, found.password)) {
      this.#dropped++;
      return;
    }
    const route = this.#add(rinfo.address, rinfo.port, found.channel);
    found.channel.onDatagram(data, route.remote);
  }

  /** The channel sent STUN to this address: it answers here, unless another viewer already owns it. */
  learn(address: string, port: number, channel: UdpChannel): void {
    let route = this.#routes.get(port);
    while (route !== undefined && route.address !== address) route = route.next;
    if (route === undefined) this.#add(address, port, channel);
  }

  #add(address: string, port: number, channel: UdpChannel): Route {
    const route = new Route(address, port, channel);
    route.next = this.#routes.get(port);
    this.#routes.set(port, route);
    this.#routeCount++;
    channel.routes.push(route);
    if (channel.routes.length > MAX_ROUTES_PER_CHANNEL) this.#remove(channel.routes[0]);
    return route;
  }

  #remove(route: Route): void {
    const head = this.#routes.get(route.port);
    if (head === route) {
      if (route.next === undefined) this.#routes.delete(route.port);
      else this.#routes.set(route.port, route.next);
    } else {
      let prev = head;
      while (prev !== undefined && prev.next !== route) prev = prev.next;
      if (prev === undefined) return;
      prev.next = route.next;
    }
    this.#routeCount--;
    const owned = route.channel.routes;
    const at = owned.indexOf(route);
    if (at >= 0) owned.splice(at, 1);
  }

  /** A closed channel's routes go. */
  forget(channel: UdpChannel): void {
    while (channel.routes.length > 0) this.#remove(channel.routes[channel.routes.length - 1]);
  }

  #sendFailed(err: Error): void {
    const now = performance.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#logger.warn({ err, port: this.port }, 'sending on the WebRTC UDP port failed');
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#routes.clear();
      this.#routeCount = 0;
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closing;
  }
}
