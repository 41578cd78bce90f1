/**
 * One RTSP conversation over one connection: requests with authentication (a 401 is retried once,
 * never in a loop), the session id, and the routing of media (interleaved channels or UDP pairs) to
 * tracks. RtspSession drives it through the phases and owns the timers; a new link is made for a
 * redirect or the UDP-to-TCP fallback.
 */
import net from 'node:net';
import { CamrtcError, RtspStatusError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Track } from '../sdp/Track.js';
import { Authenticator, type Credentials } from './auth.js';
import { parseSession } from './headers/Session.js';
import { parseTransports, serializeTransport, type Transport } from './headers/Transport.js';
import { parseWwwAuthenticate } from './headers/WwwAuthenticate.js';
import { RtspHeaders, type RtspResponse } from './message.js';
import { RtspConnection } from './RtspConnection.js';
import { ReceiverReporter } from './ReceiverReporter.js';
import { UdpPair } from './UdpPair.js';
import { stripMappedV4 } from '../util/ipAddress.js';
import type { RtspUrl } from './url.js';
import { settleWithin } from '../util/settleWithin.js';

/** Where the media of one set-up track arrives and where its reports go. */
export interface TrackRoute {
  readonly track: Track;
  readonly reporter: ReceiverReporter;
  rtpChannel: number;
  rtcpChannel: number;
  udp?: UdpPair;
  /** Camera's RTCP port (UDP) for receiver reports. */
  serverRtcpPort?: number;
  /** Camera's RTP port (UDP): where a backchannel's RTP goes. */
  serverRtpPort?: number;
  /** Address the camera sends UDP media from: the RTSP peer, or the Transport `source`. */
  sourceAddress?: string;
  /** Multicast group the track arrives on (delivery multicast). */
  multicastGroup?: string;
}

/** How one track's media travels: interleaved in the RTSP connection, UDP unicast or UDP multicast. */
export type LinkTransport = 'tcp' | 'udp' | 'multicast';

export interface LinkSink {
  onRtp(route: TrackRoute, packet: Buffer): void;
  onRtcp(route: TrackRoute, packet: Buffer): void;
  onClose(link: RtspLink, error?: CamrtcError): void;
}

export interface RtspLinkOptions {
  readonly url: RtspUrl;
  readonly credentials?: Credentials;
  readonly cameraName: string;
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
  readonly logger: Logger;
  readonly tlsOptions?: import('node:tls').ConnectionOptions;
  readonly udpBindAddress: string;
  /** Our RTCP SSRC and CNAME for receiver reports. */
  readonly ssrc: number;
  readonly cname: string;
}

/** 224.0.0.0/4 or ff00::/8. */
export function isMulticastAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return net.isIPv6(address) && /^ff/i.test(address);
}

export class RtspLink {
  readonly routes: TrackRoute[] = [];
  /** Interleaved channel -> route; an array because this is looked up for every packet. */
  private readonly channels: Array<{ route: TrackRoute; rtcp: boolean } | undefined> = new Array(256);
  private auth: Authenticator | undefined;
  private sessionId: string | undefined;
  private timeoutS: number | undefined;
  private isClosed = false;

  private constructor(
    readonly conn: RtspConnection,
    private readonly options: RtspLinkOptions,
    private readonly sink: LinkSink,
  ) {
    conn.on('interleaved', (channel, data) => {
      const entry = this.channels[channel];
      if (!entry) return;
      if (entry.rtcp) this.sink.onRtcp(entry.route, data);
      else this.sink.onRtp(entry.route, data);
    });
    conn.on('close', (error) => {
      if (this.isClosed) return;
      this.release();
      this.sink.onClose(this, error);
    });
  }

  static async open(options: RtspLinkOptions, sink: LinkSink): Promise<RtspLink> {
    const conn = await RtspConnection.connect({
      host: options.url.host,
      port: options.url.port,
      tls: options.url.scheme === 'rtsps',
      tlsOptions: options.tlsOptions,
      connectTimeoutMs: options.connectTimeoutMs,
      readTimeoutMs: options.readTimeoutMs,
      logger: options.logger,
      cameraName: options.cameraName,
    });
    return new RtspLink(conn, options, sink);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Session timeout in seconds the camera announced, if any. */
  get sessionTimeoutS(): number | undefined {
    return this.timeoutS;
  }

  get hasSession(): boolean {
    return this.sessionId !== undefined;
  }

  private headersFor(method: string, uri: string, extra: Record<string, string>): RtspHeaders {
    const headers = new RtspHeaders(extra);
    if (this.sessionId !== undefined && method !== 'OPTIONS' && method !== 'DESCRIBE') headers.set('Session', this.sessionId);
    if (this.auth) headers.set('Authorization', this.auth.authorization(method, uri));
    return headers;
  }

  /**
   * Sends a request and returns a 2xx or 3xx answer; a 401 is answered with credentials once.
   * Other statuses throw RtspStatusError.
   */
  async request(method: string, uri: string, extra: Record<string, string> = {}): Promise<RtspResponse> {
    let res = await this.conn.request(method, uri, this.headersFor(method, uri, extra));
    if (res.status === 401) {
      const creds = this.options.credentials;
      if (!creds) {
        throw new RtspStatusError(401, res.reason, method, `401 Unauthorized: camera '${this.options.cameraName}' needs a user and password`);
      }
      const challenges = parseWwwAuthenticate(res.headers.getAll('WWW-Authenticate'));
      if (challenges instanceof CamrtcError) {
        throw new CamrtcError('ERR_RTSP_AUTH', `401 Unauthorized: camera '${this.options.cameraName}' sent an unreadable challenge (${challenges.message})`, { status: 401 });
      }
      const auth = Authenticator.fromChallenges(challenges, creds);
      if (auth instanceof CamrtcError) throw auth;
      this.auth = auth;
      res = await this.conn.request(method, uri, this.headersFor(method, uri, extra));
      if (res.status === 401) {
        throw new RtspStatusError(401, res.reason, method, `401 Unauthorized: wrong user or password for camera '${this.options.cameraName}'`);
      }
    }
    if (res.status >= 400 || res.status < 200) {
      throw new RtspStatusError(res.status, res.reason, method, `${res.status} ${res.reason}: camera '${this.options.cameraName}' refused ${method}`);
    }
    return res;
  }

  /** Keepalive without waiting for the answer. */
  sendKeepalive(method: string, uri: string): void {
    if (this.isClosed) return;
    this.conn.send(method, uri, this.headersFor(method, uri, {}));
  }

  /**
   * SETUP one track; `index` is its position among the selected tracks (interleaved channels 2i, 2i+1).
   * A UDP request the camera answers with multicast (cameras set to multicast only) is followed.
   */
  async setup(track: Track, index: number, mode: LinkTransport, extra: Record<string, string> = {}): Promise<TrackRoute> {
    const route: TrackRoute = {
      track,
      reporter: new ReceiverReporter(this.options.ssrc, this.options.cname),
      rtpChannel: index * 2,
      rtcpChannel: index * 2 + 1,
    };
    this.routes.push(route);
    let requested: Transport;
    if (mode === 'tcp') {
      // Mapped before sending: a camera may send RTP right behind its answer, in the same TCP segment.
      this.mapChannels(route);
      requested = { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved: [route.rtpChannel, route.rtcpChannel] };
    } else if (mode === 'multicast') {
      requested = { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'multicast' };
    } else {
      route.udp = await UdpPair.bind(this.options.udpBindAddress);
      if (this.isClosed) {
        route.udp.close();
        throw new CamrtcError('ERR_CLOSED', 'the RTSP session was closed');
      }
      this.listenUdp(route);
      requested = { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'unicast', clientPort: [route.udp.rtpPort, route.udp.rtcpPort] };
    }
    const res = await this.request('SETUP', track.control, { ...extra, Transport: serializeTransport(requested) });

    const sessionValue = res.headers.get('Session');
    if (sessionValue !== undefined) {
      const session = parseSession(sessionValue);
      if (session instanceof CamrtcError) throw new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.options.cameraName}' sent an invalid Session header`, {}, { cause: session });
      if (this.sessionId === undefined) {
        this.sessionId = session.id;
        this.timeoutS = session.timeout;
      }
    }

    const transportValue = res.headers.get('Transport');
    const answered = transportValue === undefined ? undefined : parseTransports(transportValue);
    if (answered instanceof CamrtcError) throw new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.options.cameraName}' sent an invalid Transport header: ${answered.message}`, {}, { cause: answered });
    const t = answered?.[0];
    // Some cameras answer a TCP SETUP with "RTP/AVP;...;interleaved=": the channels say it all.
    const answeredProtocol = t && (t.interleaved ? 'TCP' : t.protocol);
    if (t && answeredProtocol !== requested.protocol) {
      throw new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.options.cameraName}' answered ${answeredProtocol} to a SETUP over ${requested.protocol}`, { requested: requested.protocol, answered: answeredProtocol });
    }
    if (mode === 'tcp' && t?.interleaved && (t.interleaved[0] !== route.rtpChannel || t.interleaved[1] !== route.rtcpChannel)) {
      // The camera picked its own channel ids: accept them (keep the requested ones mapped too).
      route.rtpChannel = t.interleaved[0];
      route.rtcpChannel = t.interleaved[1];
      this.mapChannels(route);
    }
    if (mode !== 'tcp' && (t?.delivery === 'multicast' || mode === 'multicast')) {
      await this.joinMulticast(route, t);
    } else if (mode === 'udp') {
      route.serverRtpPort = t?.serverPort?.[0];
      route.serverRtcpPort = t?.serverPort?.[1];
      if (t?.source !== undefined && net.isIP(t.source)) route.sourceAddress = t.source;
    }
    return route;
  }

  /** The transport the routes use: 'multicast' when any track arrives on a group. */
  get transport(): LinkTransport | undefined {
    const r = this.routes[0];
    if (!r) return undefined;
    return r.multicastGroup !== undefined ? 'multicast' : r.udp ? 'udp' : 'tcp';
  }

  private async joinMulticast(route: TrackRoute, t: Transport | undefined): Promise<void> {
    const group = t?.destination;
    const ports = t?.port;
    if (group === undefined || !net.isIP(group) || ports === undefined) {
      throw new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.options.cameraName}' answered a multicast SETUP without a group address and ports`, { answered: t ? serializeTransport(t) : undefined });
    }
    if (!isMulticastAddress(group)) {
      // A unicast "destination" would make us listen for traffic meant for somebody else.
      throw new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.options.cameraName}' named ${group} as multicast group, which is not a multicast address`);
    }
    route.udp?.close();
    route.udp = await UdpPair.joinMulticast(group, ports, stripMappedV4(this.conn.localAddress));
    if (this.isClosed) {
      route.udp.close();
      throw new CamrtcError('ERR_CLOSED', 'the RTSP session was closed');
    }
    route.multicastGroup = group;
    route.serverRtcpPort = t?.serverPort?.[1];
    this.listenUdp(route);
    if (t?.source !== undefined && net.isIP(t.source)) route.sourceAddress = t.source;
  }

  private mapChannels(route: TrackRoute): void {
    this.channels[route.rtpChannel] = { route, rtcp: false };
    this.channels[route.rtcpChannel] = { route, rtcp: true };
  }

  private listenUdp(route: TrackRoute): void {
    const udp = route.udp!;
    // Only the camera may feed the track: anybody on the network can send to an open UDP port.
    route.sourceAddress = stripMappedV4(this.conn.remoteAddress);
    udp.rtp.on('message', (msg, rinfo) => {
      if (stripMappedV4(rinfo.address) === route.sourceAddress) this.sink.onRtp(route, msg);
    });
    udp.rtcp.on('message', (msg, rinfo) => {
      if (stripMappedV4(rinfo.address) === route.sourceAddress) this.sink.onRtcp(route, msg);
    });
  }

  /** Sends an RTCP packet to the camera for this track (interleaved or to its RTCP port). */
  sendRtcp(route: TrackRoute, packet: Buffer): void {
    if (this.isClosed) return;
    if (route.udp) {
      const host = stripMappedV4(this.conn.remoteAddress);
      if (route.serverRtcpPort !== undefined && host !== undefined) route.udp.rtcp.send(packet, route.serverRtcpPort, host);
      // RFC 3550 §6: multicast receivers report to the group's RTCP port.
      else if (route.multicastGroup !== undefined) route.udp.rtcp.send(packet, route.udp.rtcpPort, route.multicastGroup);
    } else {
      this.conn.sendInterleaved(route.rtcpChannel, packet);
    }
  }

  /**
   * Sends an RTP packet to the camera on a track it receives (the ONVIF backchannel): interleaved on
   * its channel, or to its RTP port. Never waits.
   */
  sendRtp(route: TrackRoute, packet: Buffer): void {
    if (this.isClosed) return;
    if (!route.udp) {
      this.conn.sendInterleaved(route.rtpChannel, packet);
      return;
    }
    const host = stripMappedV4(this.conn.remoteAddress);
    if (route.serverRtpPort !== undefined && host !== undefined) route.udp.rtp.send(packet, route.serverRtpPort, host);
  }

  /** TEARDOWN, waiting at most `timeoutMs` for the answer, then close. */
  async teardown(uri: string, timeoutMs: number): Promise<void> {
    if (this.isClosed) return;
    if (this.sessionId !== undefined && !this.conn.closed) {
      await settleWithin(this.request('TEARDOWN', uri).catch(() => undefined), timeoutMs);
    }
    this.close();
  }

  /** Closes at once (no TEARDOWN). Idempotent; no onClose callback. */
  close(): void {
    if (this.isClosed) return;
    this.release();
    this.conn.close();
  }

  private release(): void {
    this.isClosed = true;
    for (const r of this.routes) r.udp?.close();
  }
}
