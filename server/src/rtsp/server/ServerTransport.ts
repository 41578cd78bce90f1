/**
 * The server side of SETUP's Transport header: which of the client's alternatives the server takes
 * (pure, chooseTransport), and the delivery that then carries a track's RTP and RTCP to that client:
 * interleaved in its RTSP connection, UDP unicast from the server's port pair, or a multicast group.
 */
import type dgram from 'node:dgram';
import type { PortPair, Transport } from '../headers/Transport.js';
import { serializeInterleaved } from '../message.js';
import type { UdpPair } from '../UdpPair.js';

export type DeliveryKind = 'tcp' | 'udp' | 'multicast';

export interface MulticastOptions {
  /** Group address, e.g. 239.255.12.42. Track i is sent to `port + 2i` (RTP) and `port + 2i + 1`. */
  readonly group: string;
  readonly port: number;
  /** Default 0: the packets never leave this host (loopback tests). */
  readonly ttl?: number;
  /** Answer every UDP SETUP with multicast, as cameras configured for multicast only do. */
  readonly only?: boolean;
}

export type TransportChoice =
  | { readonly kind: 'tcp'; readonly interleaved: PortPair }
  | { readonly kind: 'udp'; readonly clientPort: PortPair }
  | { readonly kind: 'multicast'; readonly group: string; readonly port: PortPair; readonly ttl: number };

export interface TransportCapabilities {
  readonly trackIndex: number;
  /** The server has a UDP port pair. */
  readonly udp: boolean;
  readonly multicast?: MulticastOptions;
  /** Interleaved channels already taken on the client's connection. */
  readonly usedChannels: ReadonlySet<number>;
}

/** Interleaved channels are 0-255; a pair takes an even one and the next. */
const MAX_CHANNEL = 255;

/**
 * The first of the client's alternatives the server can serve, in the client's order of preference,
 * or undefined (461 Unsupported Transport). Never SRTP (RTP/SAVP) or RECORD. A UDP unicast request
 * is answered with multicast when the mount is multicast-only. Pure.
 */
export function chooseTransport(offered: readonly Transport[], caps: TransportCapabilities): TransportChoice | undefined {
  for (const t of offered) {
    if (t.profile !== 'RTP/AVP' || t.mode === 'record') continue;
    if (t.protocol === 'TCP') {
      const interleaved = freeChannels(t.interleaved, caps.usedChannels, caps.trackIndex);
      if (interleaved) return { kind: 'tcp', interleaved };
      continue;
    }
    const m = caps.multicast;
    if (m && (t.delivery === 'multicast' || m.only === true)) {
      const port = m.port + 2 * caps.trackIndex;
      return { kind: 'multicast', group: m.group, port: [port, port + 1], ttl: m.ttl ?? 0 };
    }
    if (t.delivery !== 'multicast' && t.clientPort && caps.udp) return { kind: 'udp', clientPort: t.clientPort };
  }
  return undefined;
}

/**
 * The channels the client asked for when they are free on its connection; else (or when it named
 * none) the first free pair from 2 × track index, so two tracks never share a channel.
 */
export function freeChannels(requested: PortPair | undefined, used: ReadonlySet<number>, trackIndex: number): PortPair | undefined {
  if (requested && !used.has(requested[0]) && !used.has(requested[1]) && requested[0] !== requested[1]) return requested;
  for (let c = (2 * trackIndex) % (MAX_CHANNEL + 1); c < MAX_CHANNEL; c += 2) {
    if (!used.has(c) && !used.has(c + 1)) return [c, c + 1];
  }
  for (let c = 0; c < 2 * trackIndex && c < MAX_CHANNEL; c += 2) {
    if (!used.has(c) && !used.has(c + 1)) return [c, c + 1];
  }
  return undefined;
}

/** How a session's track reaches its client. */
export interface Delivery {
  readonly kind: DeliveryKind;
  /** The Transport the SETUP answer granted. */
  readonly transport: Transport;
  /** RTP sent through sendRtp (a multicast group's packets go out once, through its shared sink, and count nowhere). */
  readonly sent: SentCounts;
  sendRtp(packet: Buffer): void;
  sendRtcp(packet: Buffer): void;
}

/** RTP a delivery sent: a few integer increments per packet, read by the viewer list and /metrics. */
export class SentCounts {
  packets = 0;
  /** RTP bytes, header and payload. */
  bytes = 0;
  /** Packets with the marker bit (video: the last packet of a frame). */
  marked = 0;

  count(packet: Buffer): void {
    this.packets++;
    this.bytes += packet.length;
    if (packet.length > 1 && (packet[1] & 0x80) !== 0) this.marked++;
  }
}

/** What a TCP delivery writes to: the client's connection (which drops clients that do not keep up). */
export interface InterleavedWriter {
  write(data: Buffer): void;
}

export class InterleavedDelivery implements Delivery {
  readonly kind = 'tcp';
  readonly transport: Transport;
  readonly sent = new SentCounts();

  constructor(
    private readonly conn: InterleavedWriter,
    readonly channels: PortPair,
    ssrc: number | undefined,
  ) {
    this.transport = { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved: channels, ssrc };
  }

  sendRtp(packet: Buffer): void {
    this.sent.count(packet);
    this.conn.write(serializeInterleaved(this.channels[0], packet));
  }
  sendRtcp(packet: Buffer): void {
    this.conn.write(serializeInterleaved(this.channels[1], packet));
  }
}

export class UdpDelivery implements Delivery {
  readonly kind = 'udp';
  readonly transport: Transport;
  readonly sent = new SentCounts();

  constructor(
    private readonly udp: UdpPair,
    /** Always the address the RTSP request came from, never a `destination` the client names: no reflection. */
    readonly address: string,
    readonly clientPort: PortPair,
    ssrc: number | undefined,
  ) {
    this.transport = { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'unicast', clientPort, serverPort: [udp.rtpPort, udp.rtcpPort], ssrc };
  }

  sendRtp(packet: Buffer): void {
    if (this.udp.closed) return;
    this.sent.count(packet);
    this.udp.rtp.send(packet, this.clientPort[0], this.address);
  }
  sendRtcp(packet: Buffer): void {
    if (!this.udp.closed) this.udp.rtcp.send(packet, this.clientPort[1], this.address);
  }
}

export class MulticastDelivery implements Delivery {
  readonly kind = 'multicast';
  readonly transport: Transport;
  readonly sent = new SentCounts();

  constructor(
    private readonly socket: () => dgram.Socket | undefined,
    readonly choice: Extract<TransportChoice, { kind: 'multicast' }>,
    ssrc: number | undefined,
  ) {
    this.transport = { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'multicast', destination: choice.group, port: choice.port, ttl: choice.ttl, ssrc };
  }

  sendRtp(packet: Buffer): void {
    this.socket()?.send(packet, this.choice.port[0], this.choice.group);
  }
  sendRtcp(packet: Buffer): void {
    this.socket()?.send(packet, this.choice.port[1], this.choice.group);
  }
}
