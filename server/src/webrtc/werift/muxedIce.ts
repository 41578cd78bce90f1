/**
 * Reach: werift's ICE gathering, so every viewer's peer connection uses the server's shared WebRTC
 * ports (webrtc/ice/IceMux.ts) instead of binding UDP sockets of its own. werift has no UDP mux:
 * its Connection.getCandidatePromises makes a StunProtocol (one UDP socket) per local address. Here
 * the connection gets the mux session's ufrag, and its gathering makes werift's own StunProtocol and
 * TcpPassiveProtocol objects whose bytes go through the mux: a transport object in place of the
 * StunProtocol's socket, and the TCP connections the mux routed by ufrag handed to the
 * TcpPassiveProtocol. Everything above (checks, consent, DTLS, SRTP, camrtc's RTP writer through
 * connection.send) is werift's as before. TURN relays are still gathered by werift.
 */
import { Candidate, StunProtocol, TcpPassiveProtocol, candidateFoundation, candidatePriority, type RTCPeerConnection } from 'werift';
import type { Logger } from '../../log/logger.js';
import type { IceMux, IceMuxSession, MuxedTcp, MuxedUdp } from '../ice/IceMux.js';
import type { RemoteAddress } from '../ice/UdpMux.js';
import { weriftShapeChanged } from './shapeChanged.js';

interface ConnectionInternals {
  localUsername: string;
  localPassword: string;
  userHistory: Record<string, string>;
  generation: number;
  protocols: unknown[];
  getCandidatePromises: (addresses: string[], timeout?: number) => Promise<unknown>[];
  ensureProtocol: (protocol: unknown) => void;
  pairLocalProtocol: (protocol: unknown) => void;
  appendLocalCandidate: (candidate: Candidate) => void;
  stateChanged: { subscribe: (fn: (state: string) => void) => unknown };
  addRemoteCandidate: (candidate: unknown) => Promise<void>;
  nominated: unknown;
}

/**
 * How long the end of the remote candidates is held back while only the TCP port can still bring
 * a pair (see waitForTcp).
 */
export const TCP_WAIT_MS = 5_000;

/** What a StunProtocol reads of its socket (werift's UdpTransport), played by a mux channel. */
interface MuxTransport {
  readonly type: 'udp';
  closed: boolean;
  readonly addressFamily: number;
  readonly address: { address: string; port: number; family: string };
  onData: () => void;
  send: (data: Buffer, addr: RemoteAddress) => void;
  close: () => Promise<void>;
}

interface StunProtocolInternals {
  transport: MuxTransport;
  localIp?: string;
  localCandidate?: Candidate;
  onDataReceived: { execute: (data: Buffer) => void };
  datagramReceived: (data: Buffer, addr: RemoteAddress) => void;
}

interface TcpEntry {
  buffer: Buffer;
}
interface TcpProtocolInternals {
  localIp?: string;
  localCandidate?: Candidate;
  registerSocket: (socket: import('node:net').Socket, remoteAddr: RemoteAddress) => TcpEntry;
  handleFrame: (data: Buffer, addr: RemoteAddress) => void;
}

function connectionInternals(connection: unknown): ConnectionInternals | undefined {
  const c = connection as Partial<ConnectionInternals> | undefined;
  if (
    typeof c?.localUsername !== 'string' ||
    typeof c.localPassword !== 'string' ||
    typeof c.userHistory !== 'object' ||
    typeof c.generation !== 'number' ||
    !Array.isArray(c.protocols) ||
    typeof c.getCandidatePromises !== 'function' ||
    typeof c.ensureProtocol !== 'function' ||
    typeof c.pairLocalProtocol !== 'function' ||
    typeof c.appendLocalCandidate !== 'function' ||
    typeof c.stateChanged?.subscribe !== 'function' ||
    typeof c.addRemoteCandidate !== 'function' ||
    !('nominated' in c)
  ) {
    return undefined;
  }
  return c as ConnectionInternals;
}

/** werift's protocol classes still have the private methods fed here. */
const udpShapeOk = (): boolean => typeof (StunProtocol.prototype as unknown as Partial<StunProtocolInternals>).datagramReceived === 'function';
const tcpShapeOk = (): boolean => {
  const p = TcpPassiveProtocol.prototype as unknown as Partial<TcpProtocolInternals>;
  return typeof p.registerSocket === 'function' && typeof p.handleFrame === 'function';
};

const muxed = new WeakSet<object>();

/**
 * Puts every ICE transport of `pc` on the mux: call before createOffer, or after the remote offer
 * and before createAnswer (the ufrag goes into that SDP). Returns the sessions to close with the
 * peer connection (they close by themselves when werift closes it), or [] when werift's shape
 * changed: then werift gathers on its own sockets, as without the mux.
 */
export function useIceMux(pc: RTCPeerConnection, mux: IceMux, logger: Logger): IceMuxSession[] {
  const sessions: IceMuxSession[] = [];
  const udpOk = mux.udpPort === undefined || udpShapeOk();
  const tcpOk = mux.tcpPort === undefined || tcpShapeOk();
  if (!udpOk || !tcpOk) {
    weriftShapeChanged(logger, 'ICE StunProtocol/TcpPassiveProtocol internals', 'every viewer gets UDP sockets of its own (the WebRTC ports are not used)');
    return sessions;
  }
  for (const transport of pc.iceTransports) {
    const connection = (transport as unknown as { connection?: object }).connection;
    const c = connectionInternals(connection);
    if (!connection || !c) {
      weriftShapeChanged(logger, 'ICE connection gathering internals', 'every viewer gets UDP sockets of its own (the WebRTC ports are not used)');
      continue;
    }
    if (muxed.has(connection)) continue;
    muxed.add(connection);
    const session = mux.register(c.localPassword);
    sessions.push(session);
    delete c.userHistory[c.localUsername];
    c.localUsername = session.ufrag;
    c.userHistory[session.ufrag] = c.localPassword;
    const stopWaiting = session.tcp.length > 0 ? waitForTcp(c) : () => undefined;
    c.stateChanged.subscribe((state) => {
      if (state !== 'closed') return;
      stopWaiting();
      session.close();
    });
    const gather = c.getCandidatePromises;
    let gathered = false;
    c.getCandidatePromises = function (this: ConnectionInternals, addresses: string[], timeout?: number): Promise<unknown>[] {
      // No socket of werift's own for what the mux carries; TURN relays are werift's as before.
      const promises = gather.call(this, mux.udpPort !== undefined ? [] : addresses, timeout);
      if (gathered || session.closed) return promises;
      gathered = true;
      for (const udp of session.udp) promises.push(Promise.resolve(addUdp(this, udp)));
      for (const tcp of session.tcp) promises.push(Promise.resolve(addTcp(this, tcp)));
      return promises;
    };
  }
  return sessions;
}

/**
 * A passive TCP candidate makes no pair of its own: pairs come from the browser's TCP connections,
 * and a browser tries TCP after UDP, or only TCP when UDP is blocked. werift ends ICE as failed as
 * soon as the remote candidates ended with no pair left to check (at once, when the browser's
 * candidates were all UDP or in an SDP that ends them): here the end of candidates reaches werift
 * only after TCP_WAIT_MS, or at once when a pair was nominated meanwhile. Returns the cleanup.
 */
function waitForTcp(c: ConnectionInternals): () => void {
  const addRemoteCandidate = c.addRemoteCandidate;
  let timer: NodeJS.Timeout | undefined;
  c.addRemoteCandidate = function (this: ConnectionInternals, candidate: unknown): Promise<void> {
    if (candidate || this.nominated || timer) return addRemoteCandidate.call(this, candidate);
    timer = setTimeout(() => void addRemoteCandidate.call(this, undefined), TCP_WAIT_MS);
    timer.unref();
    return Promise.resolve();
  };
  return () => clearTimeout(timer);
}

function hostCandidate(c: ConnectionInternals, transport: 'udp' | 'tcp', address: string, port: number): Candidate {
  const tcptype = transport === 'tcp' ? 'passive' : undefined;
  return new Candidate(
    candidateFoundation('host', transport, address),
    1,
    transport,
    candidatePriority('host', { transport, tcptype }),
    address,
    port,
    'host',
    undefined,
    undefined,
    tcptype,
    c.generation,
    c.localUsername,
  );
}

/** werift's StunProtocol, its socket played by the session's channel of the mux socket. */
function addUdp(c: ConnectionInternals, udp: MuxedUdp): Candidate {
  const protocol = new StunProtocol() as unknown as StunProtocolInternals;
  const [primary, ...others] = udp.addresses;
  const channel = udp.channel;
  const transport: MuxTransport = {
    type: 'udp',
    closed: false,
    addressFamily: udp.family,
    address: { address: primary, port: udp.port, family: udp.family === 6 ? 'IPv6' : 'IPv4' },
    onData: () => undefined,
    send: (data, addr) => channel.send(data, addr),
    close: async () => {
      transport.closed = true;
      channel.close();
    },
  };
  protocol.transport = transport;
  protocol.localIp = primary;
  protocol.localCandidate = hostCandidate(c, 'udp', primary, udp.port);
  // STUN through werift's own parsing; DTLS and SRTP (first byte 20 and up, RFC 7983) straight up,
  // as werift does after its STUN parser found nothing.
  const datagramReceived = protocol.datagramReceived;
  const onData = protocol.onDataReceived;
  channel.onDatagram = (data, from) => {
    if (data[0] < 4) datagramReceived.call(protocol, data, from);
    else onData.execute(data);
  };
  c.ensureProtocol(protocol);
  c.protocols.push(protocol);
  c.pairLocalProtocol(protocol);
  c.appendLocalCandidate(protocol.localCandidate);
  // The other addresses are only announced: whatever reaches the port comes to the one protocol.
  for (const address of others) c.appendLocalCandidate(hostCandidate(c, 'udp', address, udp.port));
  return protocol.localCandidate;
}

/** werift's TcpPassiveProtocol without its own listener: the mux hands it the connections routed to this viewer. */
function addTcp(c: ConnectionInternals, tcp: MuxedTcp): Candidate {
  const protocol = new TcpPassiveProtocol() as unknown as TcpProtocolInternals;
  const [primary, ...others] = tcp.addresses;
  protocol.localIp = primary;
  protocol.localCandidate = hostCandidate(c, 'tcp', primary, tcp.port);
  tcp.accept = (socket, remote, frames, rest) => {
    const entry = protocol.registerSocket(socket, remote);
    entry.buffer = rest;
    for (const frame of frames) protocol.handleFrame(frame, remote);
  };
  c.ensureProtocol(protocol);
  c.protocols.push(protocol);
  c.appendLocalCandidate(protocol.localCandidate);
  for (const address of others) c.appendLocalCandidate(hostCandidate(c, 'tcp', address, tcp.port));
  return protocol.localCandidate;
}
