/**
 * H.264 access units out of ffmpeg's FLV output, read incrementally. FLV rather than a raw Annex-B
 * stream because each tag carries its size: an access unit is complete when its tag is, whereas in
 * a raw stream the end of a picture is only known when the next one starts, one frame later. Pure:
 * bytes in, access units or a typed error out; bounded (a tag larger than an access unit may be is
 * an error, the buffer never holds more than one tag).
 *
 * FLV (Adobe FLV 10.1 spec, annex E): a 9-byte header and a 4-byte PreviousTagSize0, then tags of
 * 11 header bytes (type, 24-bit size, timestamp, stream id), the data and a 4-byte trailing size.
 * Video data for H.264 (codec id 7): frame type and codec, AVCPacketType (0: the
 * AVCDecoderConfigurationRecord with SPS and PPS, 1: NAL units with length prefixes), 24-bit
 * composition time.
 */
import { CamrtcError } from '../errors.js';
import { MAX_ACCESS_UNIT_SIZE, MAX_NALUS_PER_ACCESS_UNIT } from '../rtp/h264/H264Depacketizer.js';

const FLV_HEADER_SIZE = 9 + 4;
const TAG_HEADER_SIZE = 11;
const TAG_TRAILER_SIZE = 4;
const TAG_VIDEO = 9;
const CODEC_AVC = 7;
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
/** Largest tag accepted: an access unit and its headers. */
export const MAX_FLV_TAG_SIZE = MAX_ACCESS_UNIT_SIZE + 64;

export interface FlvAccessUnit {
  /** FLV timestamp, ms (ffmpeg's, derived from the input's: only its order is used). */
  readonly timestampMs: number;
  /** An IDR picture; SPS and PPS are in `nalus` in front of it. */
  readonly keyframe: boolean;
  readonly nalus: readonly Buffer[];
}

function fail(message: string): CamrtcError {
  return new CamrtcError('ERR_TRANSCODER', `ffmpeg's FLV output: ${message}`);
}

export class FlvReader {
  #buffer: Buffer = Buffer.alloc(0);
  #headerRead = false;
  #lengthSize = 4;
  #sps: Buffer[] = [];
  #pps: Buffer[] = [];
  #failed = false;

  /** The access units completed by `chunk`, or the error that stops the stream (then nothing more is read). */
  push(chunk: Buffer): { units: FlvAccessUnit[]; error?: CamrtcError } {
    const units: FlvAccessUnit[] = [];
    if (this.#failed) return { units };
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (!this.#headerRead) {
      if (this.#buffer.length < FLV_HEADER_SIZE) return { units };
      if (this.#buffer.toString('latin1', 0, 3) !== 'FLV') return this.#fail(units, 'no FLV signature');
      this.#buffer = this.#buffer.subarray(this.#buffer.readUInt32BE(5) + 4);
      this.#headerRead = true;
    }
    while (this.#buffer.length >= TAG_HEADER_SIZE) {
      const size = this.#buffer.readUIntBE(1, 3);
      if (size > MAX_FLV_TAG_SIZE) return this.#fail(units, `tag of ${size} bytes`);
      const whole = TAG_HEADER_SIZE + size + TAG_TRAILER_SIZE;
      if (this.#buffer.length < whole) break;
      const type = this.#buffer[0] & 0x1f;
      const timestampMs = (this.#buffer.readUIntBE(4, 3) | (this.#buffer[7] << 24)) >>> 0;
      const data = this.#buffer.subarray(TAG_HEADER_SIZE, TAG_HEADER_SIZE + size);
      this.#buffer = this.#buffer.subarray(whole);
      if (type !== TAG_VIDEO || data.length < 5) continue;
      if ((data[0] & 0x0f) !== CODEC_AVC) return this.#fail(units, 'video that is not H.264');
      const error = data[1] === 0 ? this.#config(data.subarray(5)) : data[1] === 1 ? this.#unit(data.subarray(5), timestampMs, units) : undefined;
      if (error) return this.#fail(units, error);
    }
    // Keep only the unread part, not the chunk it was cut from.
    if (this.#buffer.length > 0 && this.#buffer.byteOffset > 0) this.#buffer = Buffer.from(this.#buffer);
    return { units };
  }

  #fail(units: FlvAccessUnit[], message: string): { units: FlvAccessUnit[]; error: CamrtcError } {
    this.#failed = true;
    this.#buffer = Buffer.alloc(0);
    return { units, error: fail(message) };
  }

  /** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.2.4.1). */
  #config(record: Buffer): string | undefined {
    if (record.length < 7 || record[0] !== 1) return 'malformed AVC configuration record';
    this.#lengthSize = (record[4] & 0x03) + 1;
    const sps: Buffer[] = [];
    const pps: Buffer[] = [];
    let off = 5;
    for (const [list, countMask] of [[sps, 0x1f], [pps, 0xff]] as const) {
      if (off >= record.length) return 'AVC configuration record cut short';
      const count = record[off++] & countMask;
      for (let i = 0; i < count; i++) {
        if (off + 2 > record.length) return 'AVC configuration record cut short';
        const len = record.readUInt16BE(off);
        off += 2;
        if (len === 0 || off + len > record.length) return 'AVC configuration record cut short';
        list.push(Buffer.from(record.subarray(off, off + len)));
        off += len;
      }
    }
    this.#sps = sps;
    this.#pps = pps;
    return undefined;
  }

  #unit(body: Buffer, timestampMs: number, units: FlvAccessUnit[]): string | undefined {
    const nalus: Buffer[] = [];
    let keyframe = false;
    let hasSps = false;
    let off = 0;
    while (off < body.length) {
      if (off + this.#lengthSize > body.length) return 'NAL unit length cut short';
      const len = body.readUIntBE(off, this.#lengthSize);
      off += this.#lengthSize;
      if (len === 0 || off + len > body.length) return 'NAL unit longer than its tag';
      if (nalus.length >= MAX_NALUS_PER_ACCESS_UNIT) return `more than ${MAX_NALUS_PER_ACCESS_UNIT} NAL units in a picture`;
      const nalu = body.subarray(off, off + len);
      const type = nalu[0] & 0x1f;
      if (type === NAL_IDR) keyframe = true;
      if (type === NAL_SPS) hasSps = true;
      if (type === NAL_SPS || type === NAL_PPS || type === NAL_IDR || type === 1) nalus.push(nalu);
      off += len;
    }
    if (nalus.length === 0) return undefined;
    // ffmpeg puts SPS and PPS in the FLV header only; a browser joining at this IDR needs them in band.
    units.push({ timestampMs, keyframe, nalus: keyframe && !hasSps ? [...this.#sps, ...this.#pps, ...nalus] : nalus });
    return undefined;
  }
}
