/**
 * A scripted RTSP server on 127.0.0.1:0 for the client's integration tests: each test supplies a
 * handler that answers requests the way the camera under test would (or would not). Built on the
 * project's RTSP server (connections, framing, request queue) with one request hook that hands every
 * request to the script; raw() keeps byte-level control for servers that are not RTSP at all.
 */
import net from 'node:net';
import { RtspHeaders, serializeInterleaved, serializeResponse, type RtspRequest } from '../../../server/src/rtsp/message.js';
import { RtspServer } from '../../../server/src/rtsp/server/RtspServer.js';
import type { ServerConnection } from '../../../server/src/rtsp/server/ServerConnection.js';
import { reasonOf } from '../../../server/src/rtsp/server/ServerResponse.js';

export interface FakeConnection {
  readonly connection: ServerConnection;
  reply(req: RtspRequest, status: number, headers?: Record<string, string>, body?: string): void;
  sendInterleaved(channel: number, data: Buffer): void;
}

export type FakeHandler = (req: RtspRequest, conn: FakeConnection) => void;

export class FakeRtspServer {
  readonly requests: RtspRequest[] = [];
  /** Interleaved frames the client sent (RTCP receiver reports). */
  readonly interleaved: Array<{ channel: number; data: Buffer }> = [];
  private waiters: Array<{ method: string; resolve: (r: RtspRequest) => void }> = [];
  private readonly fakes = new WeakMap<ServerConnection, FakeConnection>();

  private constructor(
    private readonly server: RtspServer | undefined,
    private readonly rawServer: net.Server | undefined,
    private readonly rawSockets = new Set<net.Socket>(),
  ) {}

  static async start(handler: FakeHandler): Promise<FakeRtspServer> {
    let fake: FakeRtspServer | undefined;
    const server = new RtspServer({
      udp: false,
      // The script answers (or not) through FakeConnection; the server itself never does.
      hooks: [(req, ctx) => {
        handler(req, fake!.fakeOf(ctx.connection));
        return null;
      }],
    });
    fake = new FakeRtspServer(server, undefined);
    server.on('request', (req) => {
      fake!.requests.push(req);
      fake!.waiters = fake!.waiters.filter((w) => (w.method === req.method ? (w.resolve(req), false) : true));
    });
    server.on('connection', (conn) => conn.on('interleaved', (channel, data) => fake!.interleaved.push({ channel, data })));
    await server.listen();
    return fake;
  }

  /** A server that is not RTSP at all: answers anything with `raw`. */
  static async raw(raw: string): Promise<FakeRtspServer> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(raw));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeRtspServer(undefined, server, sockets);
  }

  get port(): number {
    return this.server ? this.server.port! : (this.rawServer!.address() as net.AddressInfo).port;
  }

  url(path = '/stream', userinfo = ''): string {
    return `rtsp://${userinfo}127.0.0.1:${this.port}${path}`;
  }

  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  /** Resolves with the next request of this method (or one already received, if any). */
  waitFor(method: string): Promise<RtspRequest> {
    const seen = this.requests.find((r) => r.method === method);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ method, resolve }));
  }

  /** Drops every client connection (the camera reboots). */
  dropConnections(): void {
    this.server?.dropConnections();
    for (const s of this.rawSockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await this.server?.close();
    const raw = this.rawServer;
    if (raw) await new Promise<void>((resolve) => raw.close(() => resolve()));
  }

  private fakeOf(connection: ServerConnection): FakeConnection {
    let fake = this.fakes.get(connection);
    if (!fake) {
      fake = {
        connection,
        reply: (req, status, headers = {}, body) => {
          const h = new RtspHeaders({ CSeq: req.headers.get('CSeq') ?? '0', ...headers });
          connection.write(serializeResponse({ status, reason: reasonOf(status), headers: h, body: body === undefined ? undefined : Buffer.from(body) }));
        },
        sendInterleaved: (channel, data) => connection.write(serializeInterleaved(channel, data)),
      };
      this.fakes.set(connection, fake);
    }
    return fake;
  }
}

export const FAKE_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=Fake camera',
  't=0 0',
  'a=control:*',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=Z0LgH9oBQBbpUgAAAwACAAADAGQeMGVA,aM48gA==',
  'a=control:trackID=0',
  'm=audio 0 RTP/AVP 8',
  'a=rtpmap:8 PCMA/8000',
  'a=control:trackID=1',
  'm=application 0 RTP/AVP 107',
  'a=rtpmap:107 vnd.onvif.metadata/90000',
  'a=control:trackID=2',
  '',
].join('\r\n');

/** A minimal RTP packet: version 2, payload type, sequence number, SSRC. */
export function rtpPacket(pt: number, seq: number, ssrc = 0x11223344): Buffer {
  const b = Buffer.alloc(14);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(ssrc, 8);
  b[12] = 0x65;
  b[13] = seq & 0xff;
  return b;
}
