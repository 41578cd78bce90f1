/**
 * One TCP (or TLS, for rtsps) connection to an RTSP server: writes requests, matches answers by
 * CSeq, and hands interleaved `$` frames to listeners in the same tick they are parsed (the packet
 * path never waits). Knows nothing of sessions, SDP or authentication.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { CamrtcError } from '../errors.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { RtspFramer } from './framer.js';
import { RtspHeaders, serializeInterleaved, serializeRequest, serializeResponse, type RtspRequest, type RtspResponse } from './message.js';
import { formatHost } from './url.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
/** Bytes skipped as garbage in a row before the peer is declared not to speak RTSP. */
export const MAX_GARBAGE_BYTES = 64 * 1024;
/** CSeqs of fire-and-forget requests remembered so their late answers are dropped quietly. */
const MAX_IGNORED_CSEQS = 64;

export const USER_AGENT = 'camrtc/0.1';

export interface RtspConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  /** Extra TLS options for rtsps (cameras often have self-signed certificates: `rejectUnauthorized`, `ca`). */
  readonly tlsOptions?: tls.ConnectionOptions;
  /** Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long a request waits for its answer. Default 10000 ms. */
  readonly readTimeoutMs?: number;
  readonly logger?: Logger;
  /** Used in error messages ("camera 'NAME'"). Default host:port. */
  readonly cameraName?: string;
}

export type RtspConnectionEvents = {
  /** An interleaved frame, emitted synchronously while parsing. `data` is a copy the listener may keep. */
  interleaved: [channel: number, data: Buffer];
  /** The connection ended: error unless close() was called. */
  close: [error?: CamrtcError];
};

interface Pending {
  readonly method: string;
  readonly resolve: (res: RtspResponse) => void;
  readonly reject: (err: CamrtcError) => void;
  readonly timer: NodeJS.Timeout;
}

/** Node's codes for a TLS certificate that does not verify. */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** A connect failure in words a user can act on (most cameras with rtsps have self-signed certificates). */
function connectError(name: string, err: NodeJS.ErrnoException, tls: boolean): CamrtcError {
  const code = err.code ?? '';
  const details = { errno: err.code };
  if (tls && UNTRUSTED_CERT_CODES.has(code)) {
    return new CamrtcError('ERR_RTSP_CONNECT', `the TLS certificate of camera '${name}' is not trusted (${code}): if you trust this camera, accept its certificate with the camera's tlsInsecure option (camrtc probe --tls-insecure)`, { ...details, tls: 'untrusted' });
  }
  if (tls && (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')) {
    return new CamrtcError('ERR_RTSP_CONNECT', `the TLS certificate of camera '${name}' is not valid now (${code}): check the camera's clock, or accept it with tlsInsecure`, { ...details, tls: 'expired' });
  }
  if (tls && code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new CamrtcError('ERR_RTSP_CONNECT', `the TLS certificate of camera '${name}' is for another host name (${code}): use the name in the certificate, or accept it with tlsInsecure`, { ...details, tls: 'altname' });
  }
  if (tls && (code === 'EPROTO' || /wrong version number|packet length too long/i.test(err.message))) {
    return new CamrtcError('ERR_RTSP_CONNECT', `camera '${name}' does not speak TLS on this port: use rtsp:// or the camera's rtsps port (often 322)`, { ...details, tls: 'protocol' });
  }
  return new CamrtcError('ERR_RTSP_CONNECT', `cannot connect to camera '${name}': ${code || err.message}`, details);
}

export class RtspConnection extends TypedEmitter<RtspConnectionEvents> {
  private readonly socket: net.Socket;
  private readonly framer = new RtspFramer();
  private readonly pending = new Map<number, Pending>();
  private readonly ignored: number[] = [];
  private readonly logger: Logger;
  private readonly readTimeoutMs: number;
  private readonly name: string;
  private cseq = 0;
  private garbage = 0;
  private isClosed = false;

  private constructor(socket: net.Socket, private readonly options: RtspConnectionOptions) {
    super();
    this.socket = socket;
    this.logger = options.logger ?? silentLogger();
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.name = options.cameraName ?? `${formatHost(options.host)}:${options.port}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.destroy(new CamrtcError('ERR_RTSP_CONNECTION_LOST', `connection to camera '${this.name}' failed: ${err.code ?? err.message}`, { errno: err.code }));
    });
    socket.on('close', () => {
      const partial = this.framer.partial;
      const what = partial === 'interleaved' ? ' in the middle of an interleaved media frame (truncated frame)'
        : partial === 'message' ? ' in the middle of an RTSP message' : '';
      this.destroy(new CamrtcError('ERR_RTSP_CONNECTION_LOST', `camera '${this.name}' closed the connection${what}`, partial ? { truncated: partial } : {}));
    });
  }

  /** Opens the connection; rejects with ERR_RTSP_CONNECT or ERR_RTSP_TIMEOUT. */
  static connect(options: RtspConnectionOptions): Promise<RtspConnection> {
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const name = options.cameraName ?? `${formatHost(options.host)}:${options.port}`;
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tls.connect({ host: options.host, port: options.port, servername: net.isIP(options.host) ? undefined : options.host, ...options.tlsOptions })
        : net.connect({ host: options.host, port: options.port });
      const readyEvent = options.tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new CamrtcError('ERR_RTSP_TIMEOUT', `camera '${name}' did not accept the connection within ${timeoutMs} ms`, { timeoutMs }));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        cleanup();
        socket.destroy();
        reject(connectError(name, err, options.tls === true));
      };
      const onReady = (): void => {
        cleanup();
        resolve(new RtspConnection(socket, options));
      };
      function cleanup(): void {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off(readyEvent, onReady);
      }
      socket.once('error', onError);
      socket.once(readyEvent, onReady);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** Sends a request and resolves with its answer (any status); rejects on timeout or close. */
  request(method: string, uri: string, headers?: RtspHeaders | Record<string, string | number | undefined>, body?: Buffer): Promise<RtspResponse> {
    if (this.isClosed) return Promise.reject(new CamrtcError('ERR_CLOSED', `connection to camera '${this.name}' is closed`));
    const cseq = this.write(method, uri, headers, body);
    if (cseq instanceof CamrtcError) return Promise.reject(cseq);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        this.rememberIgnored(cseq);
        reject(new CamrtcError('ERR_RTSP_TIMEOUT', `camera '${this.name}' did not answer ${method} within ${this.readTimeoutMs} ms`, { method, timeoutMs: this.readTimeoutMs }));
      }, this.readTimeoutMs);
      this.pending.set(cseq, { method, resolve, reject, timer });
    });
  }

  /** Fire and forget (keepalives): some cameras never answer GET_PARAMETER, so nothing waits. */
  send(method: string, uri: string, headers?: RtspHeaders | Record<string, string | number | undefined>): void {
    if (this.isClosed) return;
    const cseq = this.write(method, uri, headers);
    if (typeof cseq === 'number') this.rememberIgnored(cseq);
  }

  sendInterleaved(channel: number, data: Buffer): void {
    if (this.isClosed) return;
    this.socket.write(serializeInterleaved(channel, data));
  }

  /** Closes immediately; pending requests reject with ERR_CLOSED. Idempotent. No 'close' error. */
  close(): void {
    this.destroy(undefined);
  }

  private write(method: string, uri: string, init?: RtspHeaders | Record<string, string | number | undefined>, body?: Buffer): number | CamrtcError {
    const headers = init instanceof RtspHeaders ? new RtspHeaders(init) : new RtspHeaders(init);
    const cseq = ++this.cseq;
    headers.set('CSeq', String(cseq));
    if (!headers.has('User-Agent')) headers.set('User-Agent', USER_AGENT);
    let bytes: Buffer;
    try {
      bytes = serializeRequest({ method, uri, headers, body });
    } catch (err) {
      return err instanceof CamrtcError ? err : new CamrtcError('ERR_INTERNAL', String(err));
    }
    this.socket.write(bytes);
    return cseq;
  }

  private rememberIgnored(cseq: number): void {
    this.ignored.push(cseq);
    if (this.ignored.length > MAX_IGNORED_CSEQS) this.ignored.shift();
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    this.framer.push(chunk);
    for (;;) {
      const item = this.framer.next();
      if (item === null) return;
      switch (item.type) {
        case 'interleaved':
          this.garbage = 0;
          this.safeEmit('interleaved', item.channel, item.data);
          break;
        case 'message':
          this.garbage = 0;
          if (item.message.kind === 'response') this.onResponse(item.message);
          else this.onServerRequest(item.message);
          break;
        case 'garbage':
          this.garbage += item.bytes;
          if (this.garbage > MAX_GARBAGE_BYTES) {
            this.destroy(new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.name}' does not speak RTSP (${this.garbage} bytes of garbage)`));
            return;
          }
          break;
        case 'error':
          this.destroy(this.protocolError(item.error));
          return;
      }
      if (this.isClosed) return;
    }
  }

  private protocolError(err: CamrtcError): CamrtcError {
    const m = /^not an RTSP message: (.*)$/.exec(err.message);
    if (m) {
      const first = m[1];
      const what = /^"HTTP\//.test(first) ? ' (it looks like an HTTP server: check the port)' : '';
      return new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.name}' does not speak RTSP${what}: it sent ${first}`, { cause: err.code }, { cause: err });
    }
    return new CamrtcError('ERR_RTSP_PROTOCOL', `camera '${this.name}' sent a malformed RTSP message: ${err.message}`, { cause: err.code }, { cause: err });
  }

  private onResponse(res: RtspResponse): void {
    const raw = res.headers.get('CSeq');
    let cseq = raw !== undefined && /^\s*\d{1,10}\s*$/.test(raw) ? Number(raw) : undefined;
    if (cseq === undefined && this.pending.size === 1) {
      // Some cameras omit CSeq; with a single request in flight the answer can only be for it.
      cseq = this.pending.keys().next().value;
    }
    if (cseq === undefined) {
      this.logger.debug({ status: res.status }, 'RTSP answer without CSeq ignored');
      return;
    }
    const p = this.pending.get(cseq);
    if (!p) {
      const i = this.ignored.indexOf(cseq);
      if (i >= 0) this.ignored.splice(i, 1);
      else this.logger.debug({ cseq, status: res.status }, 'RTSP answer for an unknown CSeq ignored');
      return;
    }
    this.pending.delete(cseq);
    clearTimeout(p.timer);
    p.resolve(res);
  }

  /** Servers may send requests too (OPTIONS or GET_PARAMETER as their own keepalive, ANNOUNCE). */
  private onServerRequest(req: RtspRequest): void {
    const known = req.method === 'OPTIONS' || req.method === 'GET_PARAMETER';
    const headers = new RtspHeaders();
    const cseq = req.headers.get('CSeq');
    if (cseq !== undefined) headers.set('CSeq', cseq);
    this.logger.debug({ method: req.method }, 'RTSP request from the camera');
    if (!this.isClosed) {
      this.socket.write(serializeResponse({ status: known ? 200 : 501, reason: known ? 'OK' : 'Not Implemented', headers }));
    }
  }

  private destroy(error: CamrtcError | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    // A dropped or garbled connection tells pending requests why; an explicit close says ERR_CLOSED.
    const reason = error ?? new CamrtcError('ERR_CLOSED', `connection to camera '${this.name}' was closed`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    this.safeEmit('close', error);
  }
}
