// A minimal RTSP client for tests: net + RtspFramer, one request at a time, interleaved frames
// collected per channel. Deliberately independent of RtspSession so the demo camera is checked
// against the wire format, not against camrtc's own client.
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import { RtspFramer } from '../../server/src/rtsp/framer.js';
import { RtspHeaders, serializeRequest, type RtspResponse } from '../../server/src/rtsp/message.js';

export class RtspTestClient extends EventEmitter {
  readonly frames = new Map<number, Buffer[]>();
  private readonly framer = new RtspFramer();
  private cseq = 0;
  private waiting: { resolve: (res: RtspResponse) => void; reject: (err: Error) => void } | undefined;
  garbageBytes = 0;

  private constructor(readonly socket: net.Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let item = this.framer.next(); item; item = this.framer.next()) {
        if (item.type === 'message' && item.message.kind === 'response') {
          const w = this.waiting;
          this.waiting = undefined;
          w?.resolve(item.message);
        } else if (item.type === 'interleaved') {
          let list = this.frames.get(item.channel);
          if (!list) this.frames.set(item.channel, (list = []));
          list.push(item.data);
          this.emit('frame', item.channel, item.data);
        } else if (item.type === 'garbage') {
          this.garbageBytes += item.bytes;
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(new Error('connection closed before the answer'));
      // Wakes waitFrames, which then sees the socket destroyed.
      this.emit('frame', -1, Buffer.alloc(0));
    });
  }

  static async connect(port: number): Promise<RtspTestClient> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RtspTestClient(socket);
  }

  request(method: string, uri: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const h = new RtspHeaders({ CSeq: String(++this.cseq), ...headers });
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error(`connection closed before ${method}`));
      this.waiting = { resolve, reject };
      this.socket.write(serializeRequest({ method, uri, headers: h }));
    });
  }

  /** Sends a request and resolves with no answer after `ms` if none came (for never-answering cameras). */
  async requestOrSilence(method: string, uri: string, ms: number, headers: Record<string, string> = {}): Promise<RtspResponse | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    try {
      return await Promise.race([this.request(method, uri, headers).catch(() => undefined), silence]);
    } finally {
      clearTimeout(timer);
      this.waiting = undefined;
    }
  }

  /** Resolves once `count` frames have arrived on `channel`. */
  async waitFrames(channel: number, count: number): Promise<Buffer[]> {
    while ((this.frames.get(channel)?.length ?? 0) < count) {
      if (this.socket.destroyed) throw new Error('connection closed while waiting for RTP');
      await once(this, 'frame');
    }
    return this.frames.get(channel)!.slice(0, count);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function rtpSeq(packet: Buffer): number {
  return packet.readUInt16BE(2);
}
export function rtpSsrc(packet: Buffer): number {
  return packet.readUInt32BE(8);
}
