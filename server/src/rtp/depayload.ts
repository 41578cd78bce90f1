/**
 * The NAL units of one video MediaFrame, back from the RTP payloads camrtc's own packetizers made
 * (single NAL unit, STAP-A / AP, FU-A / FU; no DONL, in order, none missing). For the consumers that
 * need a byte stream instead of RTP: ffmpeg (snapshots, the H.265 to H.264 transcode). Pure; a
 * payload that does not follow those rules gives a typed error, never a throw.
 */
import { CamrtcError } from '../errors.js';
import { MAX_ACCESS_UNIT_SIZE } from './h264/H264Depacketizer.js';

export type VideoCodec = 'H264' | 'H265';

const H264_STAP_A = 24;
const H264_FU_A = 28;
const H265_AP = 48;
const H265_FU = 49;

function malformed(codec: VideoCodec, why: string): CamrtcError {
  return new CamrtcError(codec === 'H264' ? 'ERR_PARSE_H264' : 'ERR_PARSE_H265', `frame payload: ${why}`);
}

/** Splits an aggregation payload (2-byte sizes) starting at `offset` into its units. */
function aggregated(codec: VideoCodec, payload: Buffer, offset: number, out: Buffer[]): CamrtcError | undefined {
  let off = offset;
  while (off < payload.length) {
    if (off + 2 > payload.length) return malformed(codec, 'aggregation unit size cut short');
    const size = payload.readUInt16BE(off);
    off += 2;
    if (size === 0 || off + size > payload.length) return malformed(codec, 'aggregation unit larger than its packet');
    out.push(payload.subarray(off, off + size));
    off += size;
  }
  return undefined;
}

/** The frame's NAL units in decoding order (views into the payloads where possible). */
export function frameNalus(codec: VideoCodec, payloads: readonly Buffer[]): Buffer[] | CamrtcError {
  const out: Buffer[] = [];
  let fu: Buffer[] | undefined;
  let fuSize = 0;
  let total = 0;
  const headerSize = codec === 'H264' ? 1 : 2;
  for (const p of payloads) {
    total += p.length;
    if (total > MAX_ACCESS_UNIT_SIZE) return new CamrtcError('ERR_LIMIT', `frame larger than ${MAX_ACCESS_UNIT_SIZE} bytes`);
    if (p.length <= headerSize) return malformed(codec, 'empty payload');
    const type = codec === 'H264' ? p[0] & 0x1f : (p[0] >> 1) & 0x3f;
    const isFu = type === (codec === 'H264' ? H264_FU_A : H265_FU);
    if (fu && !isFu) return malformed(codec, 'fragment unit cut short');
    if (isFu) {
      const fuHeader = p[headerSize];
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      if (start === (fu !== undefined)) return malformed(codec, start ? 'fragment unit started twice' : 'fragment unit without its start');
      if (start) {
        // The original header: H.264 keeps F and NRI of the indicator; H.265 keeps F, LayerId and TID.
        const header = codec === 'H264' ? Buffer.from([(p[0] & 0xe0) | (fuHeader & 0x1f)]) : Buffer.from([(p[0] & 0x81) | ((fuHeader & 0x3f) << 1), p[1]]);
        fu = [header];
        fuSize = header.length;
      }
      const body = p.subarray(headerSize + 1);
      fu!.push(body);
      fuSize += body.length;
      if (end) {
        out.push(Buffer.concat(fu!, fuSize));
        fu = undefined;
      }
    } else if (type === (codec === 'H264' ? H264_STAP_A : H265_AP)) {
      const error = aggregated(codec, p, headerSize, out);
      if (error) return error;
    } else {
      out.push(p);
    }
  }
  if (fu) return malformed(codec, 'fragment unit without its end');
  return out;
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** NAL units as one Annex-B byte stream (4-byte start codes), with `trailer` after them. */
export function annexB(nalus: readonly Buffer[], trailer?: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const n of nalus) parts.push(START_CODE, n);
  if (trailer) parts.push(trailer);
  return Buffer.concat(parts);
}
