/**
 * A scripted RTSP server on 127.0.0.1:0 for the client's integration tests: each test supplies a
 * handler that answers requests the way the camera under test would (or would not).
 */
import net from 'node:net';
import { RtspFramer } from '../../../server/src/rtsp/framer.js';
import { RtspHeaders, serializeInterleaved, serializeResponse, type RtspRequest } from '../../../server/src/rtsp/message.js';

export interface FakeConnection {
  readonly socket: net.Socket;
  reply(req: RtspRequest, status: number, headers?: Record<string, string>, body?: string): void;
  sendInterleaved(channel: number, data: Buffer): void;
}

export type FakeHandler = (req: RtspRequest, conn: FakeConnection) => void;

export class FakeRtspServer {
  readonly requests: RtspRequest[] = [];
  /** Interleaved frames the client sent (RTCP receiver reports). */
  readonly interleaved: Array<{ channel: number; data: Buffer }> = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private waiters: Array<{ method: string; resolve: (r: RtspRequest) => void }> = [];

  private constructor(handler: FakeHandler) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const framer = new RtspFramer();
      const conn: FakeConnection = {
        socket,
        reply: (req, status, headers = {}, body) => {
          const h = new RtspHeaders({ CSeq: req.headers.get('CSeq') ?? '0', ...headers });
          if (!socket.destroyed) socket.write(serializeResponse({ status, reason: REASONS[status] ?? 'Status', headers: h, body: body === undefined ? undefined : Buffer.from(body) }));
        },
        sendInterleaved: (channel, data) => {
          if (!socket.destroyed) socket.write(serializeInterleaved(channel, data));
        },
      };
      socket.on('data', (chunk: Buffer) => {
        framer.push(chunk);
        for (let item = framer.next(); item !== null; item = framer.next()) {
          if (item.type === 'interleaved') this.interleaved.push({ channel: item.channel, data: item.data });
          if (item.type !== 'message' || item.message.kind !== 'request') continue;
          const req = item.message;
          this.requests.push(req);
          this.waiters = this.waiters.filter((w) => (w.method === req.method ? (w.resolve(req), false) : true));
          handler(req, conn);
        }
      });
    });
  }

  static async start(handler: FakeHandler): Promise<FakeRtspServer> {
    const s = new FakeRtspServer(handler);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** A server that is not RTSP at all: answers anything with `raw`. */
  static async raw(raw: string): Promise<FakeRtspServer> {
    const s = new FakeRtspServer(() => undefined);
    s.server.removeAllListeners('connection');
    s.server.on('connection', (socket) => {
      s.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(raw));
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
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
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const REASONS: Record<number, string> = {
  200: 'OK',
  302: 'Moved Temporarily',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  454: 'Session Not Found',
  461: 'Unsupported Transport',
  501: 'Not Implemented',
};

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
