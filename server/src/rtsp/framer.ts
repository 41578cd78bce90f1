/**
 * Splits the bytes of an RTSP TCP connection into messages and interleaved binary frames
 * (`$` channel length data). Pure and incremental: push() chunks as they arrive, then call next()
 * until it returns null ("need more bytes" is a return value, not an error). Used by the client
 * and by the demo camera's server side alike.
 */
import { CamrtcError } from '../errors.js';
import { MAX_HEAD_BYTES, parseHead, toMessage, type RtspHead, type RtspMessage } from './message.js';

export type FramerItem =
  | { readonly type: 'message'; readonly message: RtspMessage }
  | { readonly type: 'interleaved'; readonly channel: number; readonly data: Buffer }
  /** Bytes that are neither a message nor a frame were skipped (count); the stream resynchronised. */
  | { readonly type: 'garbage'; readonly bytes: number }
  /** The stream cannot be parsed any further (bad head, limits); the connection should be closed. */
  | { readonly type: 'error'; readonly error: CamrtcError };

const DOLLAR = 0x24;

function isUpperAscii(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}

export class RtspFramer {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private pendingHead: { head: RtspHead; bodyStart: number } | undefined;
  private failed = false;

  /** Appends received bytes. The data is referenced (subarrays of it are handed out), not copied, when possible. */
  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      if (this.pendingHead) this.pendingHead.bodyStart -= this.pos;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
  }

  /** Bytes held waiting for the rest of a message or frame. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /**
   * What the held bytes are the start of, when the stream ends: a connection that closes in the
   * middle of an interleaved frame lost that packet (a camera that crashed or was cut off mid-write).
   */
  get partial(): 'interleaved' | 'message' | undefined {
    if (this.failed || this.buf.length - this.pos === 0) return undefined;
    if (this.pendingHead) return 'message';
    return this.buf[this.pos] === DOLLAR ? 'interleaved' : 'message';
  }

  next(): FramerItem | null {
    if (this.failed) return null;
    if (this.pendingHead) return this.readBody();
    const avail = this.buf.length - this.pos;
    if (avail === 0) return null;
    const b0 = this.buf[this.pos];

    if (b0 === DOLLAR) {
      if (avail < 4) return null;
      const channel = this.buf[this.pos + 1];
      const len = this.buf.readUInt16BE(this.pos + 2);
      if (avail < 4 + len) return null;
      // Copy: the caller may keep the frame (GOP cache) while the socket chunk is long gone.
      const data = Buffer.from(this.buf.subarray(this.pos + 4, this.pos + 4 + len));
      this.pos += 4 + len;
      return { type: 'interleaved', channel, data };
    }

    if (isUpperAscii(b0)) return this.readHead();

    // Some cameras put stray bytes (CR/LF after a body, padding) between frames: skip to the next
    // plausible start ('$' or an upper-case letter starting "RTSP/" or a method).
    let i = this.pos;
    while (i < this.buf.length && this.buf[i] !== DOLLAR && !isUpperAscii(this.buf[i])) i++;
    const skipped = i - this.pos;
    this.pos = i;
    return { type: 'garbage', bytes: skipped };
  }

  private readHead(): FramerItem | null {
    const start = this.pos;
    let end = this.buf.indexOf('\r\n\r\n', start, 'latin1');
    let sepLen = 4;
    const lf = this.buf.indexOf('\n\n', start, 'latin1');
    if (lf >= 0 && (end < 0 || lf < end)) {
      end = lf;
      sepLen = 2;
    }
    if (end < 0) {
      if (this.buf.length - start > MAX_HEAD_BYTES) return this.fail(new CamrtcError('ERR_LIMIT', `RTSP message head larger than ${MAX_HEAD_BYTES} bytes`));
      return null;
    }
    const head = parseHead(this.buf.toString('latin1', start, end));
    if (head instanceof CamrtcError) return this.fail(head);
    this.pendingHead = { head, bodyStart: end + sepLen };
    return this.readBody();
  }

  private readBody(): FramerItem | null {
    const pending = this.pendingHead!;
    const { head, bodyStart } = pending;
    if (this.buf.length - bodyStart < head.contentLength) return null;
    const body = Buffer.from(this.buf.subarray(bodyStart, bodyStart + head.contentLength));
    this.pos = bodyStart + head.contentLength;
    this.pendingHead = undefined;
    return { type: 'message', message: toMessage(head, body) };
  }

  private fail(error: CamrtcError): FramerItem {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    return { type: 'error', error };
  }
}
