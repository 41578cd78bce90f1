/**
 * ICE over TCP on one port for every viewer (RFC 6544 passive host candidates), for networks that
 * block UDP. A connection says which viewer it is for with its first RFC 4571 frame: a STUN binding
 * request whose USERNAME names a viewer's ufrag and whose MESSAGE-INTEGRITY verifies with that
 * viewer's password; the connection is then handed to that viewer, with what it sent so far. A
 * connection that sends anything else, a frame over MAX_FIRST_FRAME_BYTES, or nothing valid within
 * FIRST_STUN_TIMEOUT_MS is closed; at most MAX_PENDING_CONNECTIONS wait to be routed at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import { splitFrames } from './rfc4571.js';
import { readBindingRequest, verifyIntegrity } from './stunBinding.js';
import type { RemoteAddress } from './UdpMux.js';

export const FIRST_STUN_TIMEOUT_MS = 5_000;
/** A browser's binding request is 100-200 bytes. */
export const MAX_FIRST_FRAME_BYTES = 2_048;
export const MAX_PENDING_CONNECTIONS = 256;
/** Frames of media after routing: RFC 4571 allows 65535. */
const MAX_FRAME_BYTES = 65_535;

/**
 * Takes a routed connection: `frames` are the complete frames received so far (the binding request
 * first), `rest` the start of the next one.
 */
export type TcpAccept = (socket: Socket, remote: RemoteAddress, frames: Buffer[], rest: Buffer) => void;

export interface TcpMuxSessions {
  find(ufrag: string): { readonly password: string; readonly accept: TcpAccept | undefined } | undefined;
}

export interface TcpMuxStats {
  /** Connections waiting for their first binding request. */
  pending: number;
  /** Connections closed before routing: garbage, oversized frame, unknown ufrag, bad integrity, timeout, too many. */
  refused: number;
}

export interface TcpMuxOptions {
  family: 4 | 6;
  address: string;
  port: number;
  sessions: TcpMuxSessions;
  logger: Logger;
  /** For tests. */
  firstStunTimeoutMs?: number;
}

const ignore = (): void => undefined;

export class TcpMux {
  readonly family: 4 | 6;
  readonly address: string;
  readonly #server: Server;
  readonly #sessions: TcpMuxSessions;
  readonly #pending = new Set<Socket>();
  /** Handed to a viewer; closed with the mux if the viewer has not closed them (shutdown must not wait). */
  readonly #routed = new Set<Socket>();
  readonly #timeoutMs: number;
  #refused = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: TcpMuxOptions, server: Server) {
    this.family = options.family;
    this.address = options.address;
    this.#server = server;
    this.#sessions = options.sessions;
    this.#timeoutMs = options.firstStunTimeoutMs ?? FIRST_STUN_TIMEOUT_MS;
    server.on('connection', (socket) => this.#onConnection(socket));
    server.on('error', (err) => options.logger.warn({ err }, 'the WebRTC TCP listener failed'));
  }

  static async listen(options: TcpMuxOptions): Promise<TcpMux> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.address, port: options.port, exclusive: true, ipv6Only: options.family === 6 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpMux(options, server);
  }

  get port(): number {
    const address = this.#server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  get stats(): TcpMuxStats {
    return { pending: this.#pending.size, refused: this.#refused };
  }

  #onConnection(socket: Socket): void {
    socket.on('error', ignore);
    const host = socket.remoteAddress;
    const port = socket.remotePort;
    if (this.#closing || this.#pending.size >= MAX_PENDING_CONNECTIONS || host === undefined || port === undefined) {
      this.#refused++;
      socket.destroy();
      return;
    }
    this.#pending.add(socket);
    let buffered: Buffer | undefined;
    const refuse = (): void => {
      this.#refused++;
      done();
      socket.destroy();
    };
    const timer = setTimeout(refuse, this.#timeoutMs);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk]);
      const first = splitFrames(buffered, MAX_FIRST_FRAME_BYTES, 1);
      if (first.tooLarge !== undefined) return refuse();
      if (first.frames.length === 0) return;
      const request = readBindingRequest(first.frames[0]);
      const found = request === undefined ? undefined : this.#sessions.find(request.ufrag);
      if (request === undefined || found?.accept === undefined || !verifyIntegrity(first.frames[0], request, found.password)) return refuse();
      // What followed the request in the same reads goes along (bounded by one read of the socket).
      const more = splitFrames(first.rest, MAX_FRAME_BYTES);
      if (more.tooLarge !== undefined) return refuse();
      done();
      this.#routed.add(socket);
      socket.once('close', () => this.#routed.delete(socket));
      found.accept(socket, [host, port], [first.frames[0], ...more.frames], more.rest);
    };
    const done = (): void => {
      clearTimeout(timer);
      this.#pending.delete(socket);
      socket.off('data', onData);
      socket.off('close', done);
    };
    socket.on('data', onData);
    socket.on('close', done);
  }

  /** Stops listening; pending connections are closed, routed ones belong to their viewers. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const socket of [...this.#pending, ...this.#routed]) socket.destroy();
      this.#pending.clear();
      this.#routed.clear();
      this.#server.close(() => resolve());
    });
    return this.#closing;
  }
}
