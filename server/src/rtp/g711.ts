/**
 * G.711 (ITU-T G.711) A-law and µ-law, after the public-domain Sun reference code: 16-bit linear
 * PCM in, one byte out. Used by the demo tone stream; tiny enough that a table is not worth it.
 */

const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const ULAW_SEGMENT_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ULAW_BIAS = 0x84;
const ULAW_CLIP = 8159;

function segment(value: number, ends: readonly number[]): number {
  let seg = 0;
  while (seg < ends.length && value > ends[seg]) seg++;
  return seg;
}

function clamp16(sample: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(sample)));
}

/** Linear 16-bit sample to A-law (0 -> 0xD5). */
export function linearToAlaw(sample: number): number {
  let pcm = clamp16(sample) >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, ALAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

/** Linear 16-bit sample to µ-law (0 -> 0xFF). */
export function linearToUlaw(sample: number): number {
  let pcm = clamp16(sample) >> 2;
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS >> 2;
  const seg = segment(pcm, ULAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

/** A-law byte to linear 16-bit. */
export function alawToLinear(value: number): number {
  const a = (value ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** µ-law byte to linear 16-bit. */
export function ulawToLinear(value: number): number {
  const u = ~value & 0xff;
  let t = ((u & 0x0f) << 3) + ULAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

export type G711Codec = 'PCMA' | 'PCMU';

/** Encodes 16-bit samples into a new Buffer, one byte per sample. */
export function encodeG711(codec: G711Codec, samples: ArrayLike<number>): Buffer {
  const encode = codec === 'PCMA' ? linearToAlaw : linearToUlaw;
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i]);
  return out;
}

/** A-law byte to µ-law byte and back, through 16-bit linear (two 256-entry tables, built once). */
let tables: { a2u: Uint8Array; u2a: Uint8Array } | undefined;
function crossTables(): { a2u: Uint8Array; u2a: Uint8Array } {
  if (tables) return tables;
  const a2u = new Uint8Array(256);
  const u2a = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    a2u[i] = linearToUlaw(alawToLinear(i));
    u2a[i] = linearToAlaw(ulawToLinear(i));
  }
  return (tables = { a2u, u2a });
}

/** G.711 bytes of one law as the other (the same length, one table lookup per sample). */
export function convertG711(from: G711Codec, to: G711Codec, payload: Buffer): Buffer {
  if (from === to) return payload;
  const table = from === 'PCMA' ? crossTables().a2u : crossTables().u2a;
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = table[payload[i]];
  return out;
}

/** Root mean square of G.711 samples, 0 (silence) to 1 (full scale). */
export function g711Level(codec: G711Codec, payload: Buffer): number {
  if (payload.length === 0) return 0;
  const decode = codec === 'PCMA' ? alawToLinear : ulawToLinear;
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    const v = decode(payload[i]);
    sum += v * v;
  }
  return Math.sqrt(sum / payload.length) / 32768;
}
