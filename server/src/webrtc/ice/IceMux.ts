/**
 * The WebRTC ports of the server: one UDP port (UdpMux) and optionally one TCP port (TcpMux) shared
 * by every viewer's peer connection, and the addresses announced for them. One per App. Each viewer
 * registers a session under a ufrag the mux picks (unique, 16 hex digits: werift's own is 4 hex
 * digits, so two of a hundred viewers would share one now and then, and a stranger could try them
 * all); the werift reach (werift/muxedIce.ts) turns a session into werift's ICE protocol objects.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { CamrtcError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { TcpMux, type TcpAccept } from './TcpMux.js';
import { UdpMux, type UdpChannel } from './UdpMux.js';

export type Family = 4 | 6;

export interface IceMuxOptions {
  /** One UDP port for every viewer; 0 picks a free one (tests); 'off': none (werift binds sockets per viewer). */
  udpPort: number | 'off';
  /** ICE over TCP on this port; 0 picks a free one; 'off': none. */
  tcpPort: number | 'off';
  /**
   * The local addresses WebRTC uses (config `webrtc.iceHostAddresses`): the ports bind there (one
   * per family; several of a family bind its wildcard) and they are the host candidates. Empty:
   * the ports bind every interface, and every interface's address is a candidate.
   */
  hostAddresses?: readonly string[];
  /** More addresses announced as host candidates with the same ports: a 1:1 NAT's public address, a Docker host's LAN address. */
  announcedAddresses?: readonly string[];
  /** Announce the addresses of the interfaces (or hostAddresses). Default true; false: only announcedAddresses. */
  announceInterfaces?: boolean;
  logger: Logger;
  /** For tests: how long a TCP connection may take to send its binding request. */
  firstStunTimeoutMs?: number;
}

/** One transport of one family of a session: the port, and what werift announces for it. */
interface MuxedTransport {
  readonly family: Family;
  readonly port: number;
  /** Candidate addresses; werift's protocol object takes the first, the others are announced with it. */
  readonly addresses: readonly string[];
  readonly password: string;
}
export interface MuxedUdp extends MuxedTransport {
  readonly channel: UdpChannel;
}
export interface MuxedTcp extends MuxedTransport {
  /** Set by the werift reach once its protocol object exists: takes the viewer's routed connections. */
  accept: TcpAccept | undefined;
}

/** One viewer's registration. */
export class IceMuxSession {
  #closed = false;
  constructor(
    readonly ufrag: string,
    readonly password: string,
    readonly udp: readonly MuxedUdp[],
    readonly tcp: readonly MuxedTcp[],
    private readonly release: (session: IceMuxSession) => void,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** Its routes and its ufrag go; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const udp of this.udp) udp.channel.close();
    for (const tcp of this.tcp) tcp.accept = undefined;
    this.release(this);
  }
}

export interface IceMuxStats {
  sessions: number;
  udpSockets: number;
  routes: number;
  droppedDatagrams: number;
  tcpPending: number;
  tcpRefused: number;
}

const WILDCARD: Record<Family, string> = { 4: '0.0.0.0', 6: '::' };

/** Non-internal addresses of the machine's interfaces, as werift gathers them (IPv6 link-local apart). */
export function interfaceAddresses(family: Family): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal || isIP(info.address) !== family) continue;
      if (family === 6 && /^fe[89ab]/i.test(info.address)) continue;
      out.push(info.address);
    }
  }
  return out;
}

/** Where to bind, per family: the one host address of that family, or its wildcard. */
export function bindAddresses(hostAddresses: readonly string[], hasIpv6: boolean): Array<{ family: Family; address: string; required: boolean }> {
  if (hostAddresses.length === 0) {
    return [{ family: 4, address: WILDCARD[4], required: true }, ...(hasIpv6 ? [{ family: 6 as const, address: WILDCARD[6], required: false }] : [])];
  }
  const out: Array<{ family: Family; address: string; required: boolean }> = [];
  for (const family of [4, 6] as const) {
    const mine = [...new Set(hostAddresses.filter((a) => isIP(a) === family))];
    if (mine.length > 0) out.push({ family, address: mine.length === 1 ? mine[0] : WILDCARD[family], required: true });
  }
  return out;
}

export class IceMux {
  readonly #udp: UdpMux[];
  readonly #tcp: TcpMux[];
  readonly #sessions = new Map<string, IceMuxSession>();
  readonly #hostAddresses: readonly string[];
  readonly #announced: readonly string[];
  readonly #announceInterfaces: boolean;
  #closing: Promise<void> | undefined;

  private constructor(options: IceMuxOptions, udp: UdpMux[], tcp: TcpMux[]) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.#hostAddresses = options.hostAddresses ?? [];
    this.#announced = options.announcedAddresses ?? [];
    this.#announceInterfaces = options.announceInterfaces ?? true;
  }

  /** Binds the ports; undefined when both are off. Throws ERR_CONFIG_INVALID when a port is taken. */
  static async start(options: IceMuxOptions): Promise<IceMux | undefined> {
    if (options.udpPort === 'off' && options.tcpPort === 'off') return undefined;
    const hosts = options.hostAddresses ?? [];
    const hasIpv6 = interfaceAddresses(6).length > 0 || (options.announcedAddresses ?? []).some((a) => isIP(a) === 6);
    const udp: UdpMux[] = [];
    const tcp: TcpMux[] = [];
    let mux: IceMux | undefined;
    // The sockets find sessions through the mux made below (none can exist before).
    const session = (ufrag: string): IceMuxSession | undefined => (mux === undefined ? undefined : mux.#sessions.get(ufrag));
    try {
      // Every family on the same port number: the first bound picks it when the port is 0.
      let udpPort = options.udpPort;
      let tcpPort = options.tcpPort;
      for (const { family, address, required } of bindAddresses(hosts, hasIpv6)) {
        try {
          if (udpPort !== 'off') {
            const socket = await UdpMux.bind({
              family,
              address,
              port: udpPort,
              logger: options.logger,
              sessions: { find: (ufrag) => session(ufrag)?.udp.find((u) => u.family === family) },
            });
            udp.push(socket);
            udpPort = socket.port;
          }
          if (tcpPort !== 'off') {
            const listener = await TcpMux.listen({
              family,
              address,
              port: tcpPort,
              logger: options.logger,
              firstStunTimeoutMs: options.firstStunTimeoutMs,
              sessions: { find: (ufrag) => session(ufrag)?.tcp.find((t) => t.family === family) },
            });
            tcp.push(listener);
            tcpPort = listener.port;
          }
        } catch (err) {
          if (required) throw bindError(err, address, options);
          options.logger.info({ err, address }, 'no WebRTC port on IPv6 (IPv4 only)');
        }
      }
    } catch (err) {
      await Promise.all([...udp, ...tcp].map((s) => s.close()));
      throw err;
    }
    mux = new IceMux(options, udp, tcp);
    for (const address of mux.#announced) {
      if (!udp.some((s) => s.family === isIP(address)) && !tcp.some((s) => s.family === isIP(address))) {
        options.logger.warn({ address }, 'announced address of a family no WebRTC port is bound for: not announced (see webrtc.iceHostAddresses)');
      }
    }
    options.logger.info({ udpPort: mux.udpPort, tcpPort: mux.tcpPort, bound: [...new Set([...udp, ...tcp].map((s) => s.address))] }, 'WebRTC ports open');
    return mux;
  }

  /** The UDP port every viewer shares, when on. */
  get udpPort(): number | undefined {
    return this.#udp[0]?.port;
  }

  /** The ICE-TCP port, when on. */
  get tcpPort(): number | undefined {
    return this.#tcp[0]?.port;
  }

  get stats(): IceMuxStats {
    const stats: IceMuxStats = { sessions: this.#sessions.size, udpSockets: this.#udp.length, routes: 0, droppedDatagrams: 0, tcpPending: 0, tcpRefused: 0 };
    for (const u of this.#udp) {
      stats.routes += u.stats.routes;
      stats.droppedDatagrams += u.stats.dropped;
    }
    for (const t of this.#tcp) {
      stats.tcpPending += t.stats.pending;
      stats.tcpRefused += t.stats.refused;
    }
    return stats;
  }

  /**
   * A viewer's registration: a fresh ufrag (the caller gives it to werift before the offer or answer
   * is made) and, per bound family, its UDP channel and TCP entry with the addresses to announce.
   */
  register(password: string): IceMuxSession {
    if (this.#closing) throw new CamrtcError('ERR_CLOSED', 'the WebRTC ports are closed');
    let ufrag = randomBytes(8).toString('hex');
    while (this.#sessions.has(ufrag)) ufrag = randomBytes(8).toString('hex');
    const udp: MuxedUdp[] = [];
    const tcp: MuxedTcp[] = [];
    for (const socket of this.#udp) {
      const addresses = this.#candidateAddresses(socket.family);
      if (addresses.length > 0) udp.push({ family: socket.family, port: socket.port, addresses, password, channel: socket.channel(ufrag) });
    }
    for (const listener of this.#tcp) {
      const addresses = this.#candidateAddresses(listener.family);
      if (addresses.length > 0) tcp.push({ family: listener.family, port: listener.port, addresses, password, accept: undefined });
    }
    const session = new IceMuxSession(ufrag, password, udp, tcp, (s) => {
      if (this.#sessions.get(s.ufrag) === s) this.#sessions.delete(s.ufrag);
    });
    this.#sessions.set(ufrag, session);
    return session;
  }

  /** The interfaces' (or the configured host) addresses of a family, then the announced ones. */
  #candidateAddresses(family: Family): string[] {
    const own = !this.#announceInterfaces
      ? []
      : this.#hostAddresses.length > 0
        ? this.#hostAddresses.filter((a) => isIP(a) === family)
        : interfaceAddresses(family);
    return [...new Set([...own, ...this.#announced.filter((a) => isIP(a) === family)])];
  }

  /** Closes the ports (after the viewers: their sessions end with them). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const session of [...this.#sessions.values()]) session.close();
      await Promise.all([...this.#udp, ...this.#tcp].map((s) => s.close()));
    })();
    return this.#closing;
  }
}

function bindError(err: unknown, address: string, options: IceMuxOptions): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const ports = `UDP ${options.udpPort}${options.tcpPort !== 'off' ? ` / TCP ${options.tcpPort}` : ''}`;
  if (code === 'EADDRINUSE') {
    return new CamrtcError('ERR_CONFIG_INVALID', `WebRTC port ${ports} on ${address} is already in use (is camrtc already running?); choose another with --webrtc-udp-port / --webrtc-tcp-port`, {}, { cause: err });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new CamrtcError('ERR_CONFIG_INVALID', `cannot bind the WebRTC port on ${address}: this machine has no such address (see --ice-host)`, {}, { cause: err });
  }
  return err;
}
