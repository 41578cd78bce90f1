/**
 * One client's RTSP connection to the server: the socket, the framer that splits its bytes into
 * requests and interleaved frames, the queue that answers its requests one at a time and in order,
 * and the write path that drops the client when it does not keep up. Knows no methods or sessions.
 */
import type net from 'node:net';
import type { CamrtcError } from '../../errors.js';
import { TypedEmitter } from '../../util/TypedEmitter.js';
import { RtspFramer } from '../framer.js';
import type { RtspRequest } from '../message.js';

/** Requests a client may send ahead of their answers; more is a flood, and the connection is closed. */
export const MAX_PENDING_REQUESTS = 32;

export type ConnectionCloseReason = 'closed' | 'remote' | 'slow' | 'idle' | 'protocol' | 'flood' | 'error';

export type ServerConnectionEvents = {
  /** An interleaved frame from the client: RTCP on odd channels (receiver reports, PLI). */
  interleaved: [channel: number, data: Buffer];
  /** Unparsable bytes: the server answers 400 and the connection ends. */
  protocolError: [error: CamrtcError];
  close: [reason: ConnectionCloseReason];
};

export interface ChannelOwner {
  readonly sessionId: string;
  readonly trackIndex: number;
}

export interface ServerConnectionOptions {
  /** Answers one request; the next waits until the promise settles. */
  readonly handle: (conn: ServerConnection, req: RtspRequest) => Promise<void>;
  /** A client holding more unsent bytes than this is too slow and is disconnected. */
  readonly maxWriteBufferBytes: number;
  /** Closed when it sends no request for this long and holds no session. */
  readonly idleTimeoutMs: number;
}

export class ServerConnection extends TypedEmitter<ServerConnectionEvents> {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  /** Interleaved channels in use by this client's sessions: where its RTCP on each belongs. */
  readonly channels = new Map<number, ChannelOwner>();
  /** Session ids owned by this connection (kept by the server; here so the idle check can see them). */
  readonly sessionIds = new Set<string>();
  /** Bytes that were neither a request nor a frame, skipped. */
  garbageBytes = 0;

  private readonly framer = new RtspFramer();
  private readonly queue: RtspRequest[] = [];
  private busy = false;
  private readonly idleTimer: NodeJS.Timeout;
  private closeReason: ConnectionCloseReason | undefined;

  constructor(
    readonly socket: net.Socket,
    private readonly options: ServerConnectionOptions,
  ) {
    super();
    this.remoteAddress = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = (socket.localAddress ?? '').replace(/^::ffff:/, '');
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    // Errors (ECONNRESET mostly) end in 'close'; nothing else to do with them.
    socket.on('error', () => undefined);
    socket.on('close', () => this.finish(this.closeReason ?? 'remote'));
    this.idleTimer = setTimeout(this.onIdle, options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  get closed(): boolean {
    return this.closeReason !== undefined || this.socket.destroyed;
  }

  /** Writes to the client, dropping it when its unsent data passes the limit (one slow client never holds memory or others back). */
  write(data: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    socket.write(data);
    if (socket.writableLength > this.options.maxWriteBufferBytes) this.close('slow');
  }

  /** Ends the connection once pending writes are flushed. */
  end(): void {
    this.closeReason ??= 'closed';
    this.socket.end();
  }

  /** Destroys the connection now. Idempotent. */
  close(reason: ConnectionCloseReason = 'closed'): void {
    this.closeReason ??= reason;
    this.socket.destroy();
  }

  /** The client is alive (a request, RTCP): the idle timer starts over. */
  touch(): void {
    this.idleTimer.refresh();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.framer.push(chunk);
    for (let item = this.framer.next(); item && !this.socket.destroyed; item = this.framer.next()) {
      switch (item.type) {
        case 'message':
          // A response from a client (to nothing we asked) is ignored.
          if (item.message.kind === 'request') this.enqueue(item.message);
          break;
        case 'interleaved':
          this.safeEmit('interleaved', item.channel, item.data);
          break;
        case 'garbage':
          this.garbageBytes += item.bytes;
          break;
        case 'error':
          this.closeReason ??= 'protocol';
          this.safeEmit('protocolError', item.error);
          this.socket.end();
          return;
      }
    }
  };

  private enqueue(req: RtspRequest): void {
    if (this.queue.length >= MAX_PENDING_REQUESTS) {
      this.close('flood');
      return;
    }
    this.touch();
    this.queue.push(req);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    while (this.queue.length > 0 && !this.socket.destroyed) {
      const req = this.queue.shift()!;
      // handle() answers its own failures (500); this only keeps the queue going if it did not.
      await this.options.handle(this, req).catch(() => undefined);
    }
    this.busy = false;
  }

  private readonly onIdle = (): void => {
    if (this.sessionIds.size > 0) this.touch();
    else this.close('idle');
  };

  private finish(reason: ConnectionCloseReason): void {
    clearTimeout(this.idleTimer);
    this.closeReason = reason;
    this.queue.length = 0;
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }
}
