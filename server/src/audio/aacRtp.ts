/**
 * AAC for a camera's backchannel (pure): ADTS frames as ffmpeg writes them, split out of its output
 * stream, and each raw frame as one RFC 3640 MPEG4-GENERIC payload in AAC-hbr mode (AU-headers-length,
 * one 16-bit AU header: 13 bits of size, 3 of index 0, then the frame), as cameras announce it.
 */
import { CamrtcError } from '../errors.js';
import { ADTS_HEADER_SIZE, MAX_ADTS_FRAME } from './aacConfig.js';

/** Bytes held while waiting for the rest of an ADTS frame; more is not ADTS. */
const MAX_PENDING = 4 * MAX_ADTS_FRAME;

/** Splits a byte stream into the raw AAC frames of its ADTS frames. */
export class AdtsSplitter {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { frames: Buffer[]; error?: CamrtcError } {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    let error: CamrtcError | undefined;
    let p = this.#pending;
    while (p.length >= ADTS_HEADER_SIZE) {
      if (p[0] !== 0xff || (p[1] & 0xf6) !== 0xf0) {
        // Not at a sync word: skip to the next one.
        const next = p.indexOf(0xff, 1);
        error = new CamrtcError('ERR_TRANSCODER', 'garbage in the AAC encoder output (resynchronised)');
        p = next < 0 ? Buffer.alloc(0) : p.subarray(next);
        continue;
      }
      const length = ((p[3] & 0x03) << 11) | (p[4] << 3) | (p[5] >> 5);
      const headerSize = p[1] & 0x01 ? ADTS_HEADER_SIZE : ADTS_HEADER_SIZE + 2;
      if (length <= headerSize) {
        p = p.subarray(1);
        continue;
      }
      if (p.length < length) break;
      frames.push(Buffer.from(p.subarray(headerSize, length)));
      p = p.subarray(length);
    }
    if (p.length > MAX_PENDING) {
      p = Buffer.alloc(0);
      error = new CamrtcError('ERR_LIMIT', 'AAC encoder output is not ADTS');
    }
    this.#pending = p;
    return error ? { frames, error } : { frames };
  }
}

/** One raw AAC frame (at most 8191 bytes, as ADTS allows) as an AAC-hbr payload with a single AU header. */
export function aacHbrPayload(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + frame.length);
  out.writeUInt16BE(16, 0);
  out.writeUInt16BE((frame.length & 0x1fff) << 3, 2);
  frame.copy(out, 4);
  return out;
}
