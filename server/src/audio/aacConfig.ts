/**
 * AAC configuration from the SDP: the AudioSpecificConfig (ISO 14496-3 1.6.2.1) of an MPEG4-GENERIC
 * track (fmtp `config`, hex) or inside the StreamMuxConfig of an MP4A-LATM track (RFC 3016 fmtp
 * `config`), and the 7-byte ADTS header that turns a raw AAC frame into something a decoder (ffmpeg)
 * reads from a pipe. Pure; errors are returned, never thrown.
 */
import { CamrtcError } from '../errors.js';

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350] as const;
/** An SDP config is a few bytes; longer hex strings are refused. */
export const MAX_AAC_CONFIG_HEX = 256;
/** ADTS frame_length is 13 bits, header included. */
export const MAX_ADTS_FRAME = 8191;
export const ADTS_HEADER_SIZE = 7;

export interface AacConfig {
  /** Audio object type of the core coder (2 = AAC LC), HE-AAC's SBR/PS unwrapped. */
  objectType: number;
  sampleRateIndex: number;
  sampleRate: number;
  channels: number;
}

class Bits {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.pos >> 3;
      if (byte >= this.buf.length) throw new RangeError('end of config');
      v = v * 2 + ((this.buf[byte] >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
}

function fail(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_AAC', message);
}

function hexConfig(hex: string | undefined): Buffer | CamrtcError {
  const text = (hex ?? '').trim();
  if (text === '' || text.length > MAX_AAC_CONFIG_HEX || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) {
    return fail('the AAC config in the SDP is missing or not hex');
  }
  return Buffer.from(text, 'hex');
}

function readObjectType(r: Bits): number {
  const t = r.read(5);
  return t === 31 ? 32 + r.read(6) : t;
}

function readAsc(r: Bits): AacConfig | CamrtcError {
  let objectType = readObjectType(r);
  const sampleRateIndex = r.read(4);
  if (sampleRateIndex === 15) return fail('AAC with an explicit sampling frequency is not supported');
  if (sampleRateIndex >= AAC_SAMPLE_RATES.length) return fail(`invalid AAC sampling frequency index ${sampleRateIndex}`);
  const channels = r.read(4);
  if (channels === 0 || channels > 7) return fail(`unsupported AAC channel configuration ${channels}`);
  if (objectType === 5 || objectType === 29) {
    // HE-AAC (SBR, PS): extension sampling frequency, then the core object type.
    if (r.read(4) === 15) r.read(24);
    objectType = readObjectType(r);
  }
  if (objectType < 1 || objectType > 4) return fail(`AAC object type ${objectType} cannot be carried in ADTS`);
  return { objectType, sampleRateIndex, sampleRate: AAC_SAMPLE_RATES[sampleRateIndex], channels: channels === 7 ? 8 : channels };
}

/** MPEG4-GENERIC: fmtp `config` is the AudioSpecificConfig. */
export function parseAudioSpecificConfig(hex: string | undefined): AacConfig | CamrtcError {
  const buf = hexConfig(hex);
  if (buf instanceof CamrtcError) return buf;
  try {
    return readAsc(new Bits(buf));
  } catch {
    return fail('the AAC AudioSpecificConfig is truncated');
  }
}

/** MP4A-LATM: fmtp `config` is a StreamMuxConfig (audioMuxVersion 0, one program, one layer). */
export function parseStreamMuxConfig(hex: string | undefined): AacConfig | CamrtcError {
  const buf = hexConfig(hex);
  if (buf instanceof CamrtcError) return buf;
  try {
    const r = new Bits(buf);
    if (r.read(1) !== 0) return fail('LATM audioMuxVersion 1 is not supported');
    r.read(1); // allStreamsSameTimeFraming
    if (r.read(6) !== 0) return fail('LATM with several subframes per packet is not supported');
    if (r.read(4) !== 0 || r.read(3) !== 0) return fail('LATM with several programs or layers is not supported');
    const asc = readAsc(r);
    if (asc instanceof CamrtcError) return asc;
    if (r.read(3) !== 0) return fail('LATM with a fixed frame length is not supported');
    return asc;
  } catch {
    return fail('the LATM StreamMuxConfig is truncated');
  }
}

/** ADTS header (MPEG-4, no CRC) for one raw AAC frame of `frameSize` bytes. */
export function adtsHeader(config: AacConfig, frameSize: number): Buffer | CamrtcError {
  const length = frameSize + ADTS_HEADER_SIZE;
  if (frameSize <= 0 || length > MAX_ADTS_FRAME) return new CamrtcError('ERR_LIMIT', `AAC frame of ${frameSize} bytes does not fit ADTS`);
  const h = Buffer.allocUnsafe(ADTS_HEADER_SIZE);
  const channels = config.channels === 8 ? 7 : config.channels;
  h[0] = 0xff;
  h[1] = 0xf1; // MPEG-4, layer 0, no CRC
  h[2] = ((config.objectType - 1) << 6) | (config.sampleRateIndex << 2) | (channels >> 2);
  h[3] = ((channels & 3) << 6) | (length >> 11);
  h[4] = (length >> 3) & 0xff;
  h[5] = ((length & 7) << 5) | 0x1f; // buffer fullness 0x7FF: variable bit rate
  h[6] = 0xfc;
  return h;
}
