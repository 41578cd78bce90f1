/**
 * RTSP 1.0 messages (RFC 2326): the pure part. Parses a message head (start line + headers) from
 * bytes and serializes requests and responses. No I/O; the framer (framer.ts) finds message
 * boundaries in a TCP stream and calls in here. Limits are named so cameras that misbehave (or
 * anything that is not RTSP) give a typed error instead of unbounded memory.
 */
import { CamrtcError } from '../errors.js';

export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_HEADER_COUNT = 128;
export const MAX_HEADER_VALUE_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 128 * 1024;

/** Ordered, case-insensitive header list; repeated headers (several WWW-Authenticate) are kept. */
export class RtspHeaders {
  private readonly entries: Array<[string, string]> = [];

  constructor(init?: Iterable<[string, string]> | Record<string, string | number | undefined>) {
    if (!init) return;
    const pairs = Symbol.iterator in (init as object)
      ? (init as Iterable<[string, string]>)
      : Object.entries(init as Record<string, string | number | undefined>)
          .filter((e): e is [string, string | number] => e[1] !== undefined)
          .map(([k, v]) => [k, String(v)] as [string, string]);
    for (const [k, v] of pairs) this.append(k, v);
  }

  append(name: string, value: string): void {
    this.entries.push([name, value]);
  }
  set(name: string, value: string): void {
    this.delete(name);
    this.entries.push([name, value]);
  }
  delete(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i][0].toLowerCase() === lower) this.entries.splice(i, 1);
  }
  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [k, v] of this.entries) if (k.toLowerCase() === lower) return v;
    return undefined;
  }
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.entries.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  get size(): number {
    return this.entries.length;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries[Symbol.iterator]();
  }
}

export interface RtspRequest {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  readonly headers: RtspHeaders;
  readonly body: Buffer;
}

export interface RtspResponse {
  readonly kind: 'response';
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: RtspHeaders;
  readonly body: Buffer;
}

export type RtspMessage = RtspRequest | RtspResponse;

/** A parsed head, before the body is attached (the framer reads Content-Length bytes after it). */
export interface RtspHead {
  readonly startLine: { kind: 'request'; method: string; uri: string; version: string } | { kind: 'response'; version: string; status: number; reason: string };
  readonly headers: RtspHeaders;
  readonly contentLength: number;
}

const METHOD = /^[A-Z_][A-Z0-9_-]*$/;
const VERSION = /^RTSP\/\d\.\d$/;

function parseError(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_MESSAGE', message);
}

/**
 * Parses the head of a message: `text` is everything before the blank line, without it.
 * Tolerates LF-only line endings and header folding (continuation lines), which some cameras send.
 */
export function parseHead(text: string): RtspHead | CamrtcError {
  if (text.length > MAX_HEAD_BYTES) return new CamrtcError('ERR_LIMIT', `RTSP message head larger than ${MAX_HEAD_BYTES} bytes`);
  const lines = text.split(/\r?\n/);
  const first = lines[0] ?? '';
  let startLine: RtspHead['startLine'];
  if (first.startsWith('RTSP/')) {
    const m = /^(RTSP\/\d\.\d) +(\d{3})(?: (.*))?$/.exec(first.trimEnd());
    if (!m) return parseError(`malformed RTSP status line: ${JSON.stringify(first.slice(0, 80))}`);
    startLine = { kind: 'response', version: m[1], status: Number(m[2]), reason: (m[3] ?? '').trim() };
  } else {
    const parts = first.trim().split(/ +/);
    if (parts.length !== 3 || !METHOD.test(parts[0]) || !VERSION.test(parts[2])) {
      return parseError(`not an RTSP message: ${JSON.stringify(first.slice(0, 80))}`);
    }
    startLine = { kind: 'request', method: parts[0], uri: parts[1], version: parts[2] };
  }

  const pairs: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const last = pairs[pairs.length - 1];
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return new CamrtcError('ERR_PARSE_HEADER', `malformed RTSP header line: ${JSON.stringify(line.slice(0, 80))}`);
    if (pairs.length >= MAX_HEADER_COUNT) return new CamrtcError('ERR_LIMIT', `more than ${MAX_HEADER_COUNT} RTSP headers`);
    pairs.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  for (const [name, value] of pairs) {
    if (value.length > MAX_HEADER_VALUE_BYTES) return new CamrtcError('ERR_LIMIT', `RTSP header ${name} longer than ${MAX_HEADER_VALUE_BYTES} bytes`);
  }
  const headers = new RtspHeaders(pairs);

  let contentLength = 0;
  const cl = headers.get('Content-Length');
  if (cl !== undefined) {
    if (!/^\d{1,9}$/.test(cl)) return new CamrtcError('ERR_PARSE_HEADER', `invalid Content-Length: ${JSON.stringify(cl.slice(0, 20))}`);
    contentLength = Number(cl);
    if (contentLength > MAX_BODY_BYTES) return new CamrtcError('ERR_LIMIT', `RTSP body of ${contentLength} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
  }
  return { startLine, headers, contentLength };
}

/** Joins a head and its body into a message. */
export function toMessage(head: RtspHead, body: Buffer): RtspMessage {
  const s = head.startLine;
  return s.kind === 'request'
    ? { kind: 'request', method: s.method, uri: s.uri, version: s.version, headers: head.headers, body }
    : { kind: 'response', version: s.version, status: s.status, reason: s.reason, headers: head.headers, body };
}

/** Parses one complete message (head, blank line, body) from bytes. Convenience for tests and fuzzing. */
export function parseMessage(buf: Buffer): RtspMessage | CamrtcError {
  let end = buf.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = buf.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return parseError('incomplete RTSP message: no blank line after the headers');
  const head = parseHead(buf.subarray(0, end).toString('latin1'));
  if (head instanceof CamrtcError) return head;
  const body = buf.subarray(end + sep, end + sep + head.contentLength);
  if (body.length < head.contentLength) return parseError('incomplete RTSP message: body shorter than Content-Length');
  return toMessage(head, body);
}

function serializeHeaders(headers: RtspHeaders, bodyLength: number): string {
  let out = '';
  for (const [k, v] of headers) {
    if (k.toLowerCase() === 'content-length') continue;
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new CamrtcError('ERR_PARSE_HEADER', `header ${k} contains a line break`);
    out += `${k}: ${v}\r\n`;
  }
  if (bodyLength > 0) out += `Content-Length: ${bodyLength}\r\n`;
  return out;
}

export function serializeRequest(req: { method: string; uri: string; headers: RtspHeaders; body?: Buffer }): Buffer {
  const body = req.body ?? Buffer.alloc(0);
  const head = `${req.method} ${req.uri} RTSP/1.0\r\n${serializeHeaders(req.headers, body.length)}\r\n`;
  return body.length ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

export function serializeResponse(res: { status: number; reason: string; headers: RtspHeaders; body?: Buffer }): Buffer {
  const body = res.body ?? Buffer.alloc(0);
  const head = `RTSP/1.0 ${res.status} ${res.reason}\r\n${serializeHeaders(res.headers, body.length)}\r\n`;
  return body.length ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** `$` + channel + 16-bit length + data (RFC 2326 §10.12). */
export function serializeInterleaved(channel: number, data: Buffer): Buffer {
  if (data.length > 0xffff) throw new CamrtcError('ERR_LIMIT', 'interleaved frame larger than 65535 bytes');
  const out = Buffer.allocUnsafe(4 + data.length);
  out[0] = 0x24;
  out[1] = channel;
  out.writeUInt16BE(data.length, 2);
  data.copy(out, 4);
  return out;
}
