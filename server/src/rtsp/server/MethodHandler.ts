/**
 * The server's own answers to RTSP methods (RFC 2326 §10), for a live source: OPTIONS, DESCRIBE from
 * the mount's tracks, SETUP of one track per request over TCP interleaved, UDP or multicast, PLAY and
 * PAUSE per session, GET_PARAMETER as keepalive, TEARDOWN. Request hooks run before it; it only
 * builds answers (the server writes them).
 */
import { CamrtcError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { parseTransports, serializeTransport } from '../headers/Transport.js';
import { serializeRtpInfo, type RtpInfoEntry } from '../headers/RtpInfo.js';
import type { RtspRequest } from '../message.js';
import { buildMountSdp, trackControl, type Mount } from './Mount.js';
import type { MulticastSender } from './MulticastSender.js';
import type { DeliveryInfo, RequestContext } from './ServerHooks.js';
import { response, type ServerResponse } from './ServerResponse.js';
import type { ServerSession } from './ServerSession.js';
import { chooseTransport, InterleavedDelivery, MulticastDelivery, UdpDelivery, type Delivery } from './ServerTransport.js';
import type { PacketSink } from './TrackFanOut.js';
import type { UdpPair } from '../UdpPair.js';

export const PUBLIC_METHODS = ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'GET_PARAMETER', 'TEARDOWN'] as const;
/** RTSP methods a camera knows but this server does not do: 405 rather than 501. */
const KNOWN_UNSUPPORTED = new Set(['ANNOUNCE', 'RECORD', 'SET_PARAMETER', 'REDIRECT']);

export interface MountEntry {
  readonly path: string;
  readonly mount: Mount;
  readonly multicast: MulticastSender | undefined;
  /** The SDP `o=` session id, fixed per mount. */
  readonly sdpSessionId: string;
}

/** What the handler needs of the server. */
export interface ServerCore {
  readonly log: Logger;
  readonly sessionTimeoutS: number;
  readonly udp: UdpPair | undefined;
  mountAt(path: string | undefined): MountEntry | undefined;
  trackAt(path: string | undefined): { entry: MountEntry; index: number } | undefined;
  /** A new session on the connection, or undefined when the connection holds its limit of sessions. */
  openSession(ctx: RequestContext, entry: MountEntry): ServerSession | undefined;
  /** The delivery's sink through the packet hooks. */
  sinkFor(info: DeliveryInfo, deliver: PacketSink): PacketSink;
}

export class MethodHandler {
  constructor(private readonly core: ServerCore) {}

  handle(req: RtspRequest, ctx: RequestContext): ServerResponse | Promise<ServerResponse> {
    switch (req.method) {
      case 'OPTIONS':
        return response(200, { Public: PUBLIC_METHODS.join(', ') });
      case 'DESCRIBE':
        return this.describe(ctx);
      case 'SETUP':
        return this.setup(req, ctx);
      case 'PLAY':
      case 'PAUSE':
      case 'GET_PARAMETER':
      case 'TEARDOWN':
        return this.sessionRequest(req, ctx);
      default:
        if (KNOWN_UNSUPPORTED.has(req.method)) return response(405, { Allow: PUBLIC_METHODS.join(', ') });
        return response(501);
    }
  }

  private async prepare(entry: MountEntry): Promise<ServerResponse | undefined> {
    if (!entry.mount.prepare) return undefined;
    try {
      await entry.mount.prepare();
      return undefined;
    } catch (err) {
      this.core.log.debug({ err, mount: entry.path }, 'rtsp server: mount not ready');
      return response(503);
    }
  }

  private async describe(ctx: RequestContext): Promise<ServerResponse> {
    const entry = this.core.mountAt(ctx.path);
    if (!entry) return response(404);
    const unavailable = await this.prepare(entry);
    if (unavailable) return unavailable;
    const host = ctx.connection.localAddress || '0.0.0.0';
    const sdp = buildMountSdp(entry.mount.tracks, { host, sessionId: entry.sdpSessionId, sessionName: entry.mount.sessionName });
    return response(200, { 'Content-Type': 'application/sdp', 'Content-Base': contentBase(ctx.baseUrl, entry.path) }, Buffer.from(sdp, 'utf8'));
  }

  private async setup(req: RtspRequest, ctx: RequestContext): Promise<ServerResponse> {
    const found = this.core.trackAt(ctx.path);
    if (!found) return response(404);
    const { entry, index } = found;
    const unavailable = await this.prepare(entry);
    if (unavailable) return unavailable;
    const track = entry.mount.tracks[index];
    if (!track) return response(404);

    const header = req.headers.get('Transport');
    const offered = header === undefined ? [] : parseTransports(header);
    if (offered instanceof CamrtcError) return response(400);
    const choice = chooseTransport(offered, {
      trackIndex: index,
      udp: this.core.udp !== undefined,
      multicast: entry.multicast?.options,
      usedChannels: new Set(ctx.connection.channels.keys()),
    });
    if (!choice) return response(461);

    let session = ctx.session;
    if (!session && req.headers.get('Session') !== undefined) return response(454);
    if (session && session.mountPath !== entry.path) return response(459);
    session ??= this.core.openSession(ctx, entry);
    if (!session) return response(453);

    const base = { kind: choice.kind, mountPath: entry.path, trackIndex: index, track };
    let delivery: Delivery;
    let sink: PacketSink;
    if (choice.kind === 'multicast') {
      const sender = entry.multicast!;
      const d = new MulticastDelivery(() => sender.socket, choice, track.ssrc);
      delivery = d;
      // One sink for the group, whoever set it up: no session or connection of its own.
      sink = sender.sinkFor(index, (deliver) => this.core.sinkFor({ ...base, transport: d.transport, session: undefined, connection: undefined }, deliver));
    } else {
      const d = choice.kind === 'tcp'
        ? new InterleavedDelivery(ctx.connection, choice.interleaved, track.ssrc)
        : new UdpDelivery(this.core.udp!, ctx.connection.remoteAddress, choice.clientPort, track.ssrc);
      delivery = d;
      sink = this.core.sinkFor({ ...base, transport: d.transport, session, connection: ctx.connection }, (packet) => d.sendRtp(packet));
    }
    session.setTrack({ index, track, delivery, sink });
    return response(200, { Transport: serializeTransport(delivery.transport), Session: `${session.id};timeout=${session.timeoutS}` });
  }

  private sessionRequest(req: RtspRequest, ctx: RequestContext): ServerResponse {
    const session = ctx.session;
    if (req.method === 'GET_PARAMETER' && req.headers.get('Session') === undefined) return response(200);
    if (!session) return response(454);
    const sessionHeader = { Session: session.id };
    switch (req.method) {
      case 'TEARDOWN':
        session.close('teardown');
        return response(200, sessionHeader);
      case 'PAUSE':
        if (session.setUp.length === 0) return response(455);
        session.pause();
        return response(200, sessionHeader);
      case 'PLAY': {
        const tracks = session.setUp;
        if (tracks.length === 0) return response(455);
        const base = contentBase(ctx.baseUrl, session.mountPath);
        // How each track starts for this client (a replay, a wait for a keyframe); not again while it plays.
        const joins = new Map(session.state === 'ready' ? tracks.map((t) => [t.index, t.track.join?.(session.pausedAt)] as const) : []);
        const entries: RtpInfoEntry[] = tracks.map((t) => {
          const join = joins.get(t.index);
          return { url: `${base}${trackControl(t.index)}`, seq: join?.seq ?? t.track.nextSequenceNumber, rtptime: join?.rtptime ?? t.track.currentTimestamp };
        });
        // Packets start after the answer is written, so the client has RTP-Info before the first one.
        return response(200, { ...sessionHeader, Range: 'npt=now-', 'RTP-Info': serializeRtpInfo(entries) }, undefined, () => session.play(joins));
      }
      default:
        return response(200, sessionHeader);
    }
  }
}

/** The Content-Base of a mount: its URL with a trailing slash, so `trackID=N` resolves under it. */
export function contentBase(baseUrl: string, mountPath: string): string {
  return `${baseUrl}${mountPath === '/' ? '' : mountPath}/`;
}
