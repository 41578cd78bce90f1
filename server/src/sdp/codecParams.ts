/**
 * Codec parameters carried in fmtp: H.264 profile and parameter sets (RFC 6184), H.265 parameter
 * sets (RFC 7798). Parameter sets from the SDP matter because many cameras never repeat them
 * in-band: the Source injects them before each IDR.
 */
import type { Track } from './Track.js';

/** More parameter sets than this in one sprop attribute are ignored. */
export const MAX_PARAMETER_SETS = 16;

export interface H264Params {
  /** Six hex digits as written (e.g. "42e01f"), when present and well-formed. */
  readonly profileLevelId?: string;
  /** 0 (single NAL unit) when absent, as RFC 6184 says. */
  readonly packetizationMode: number;
  /** Every decoded sprop-parameter-sets entry, in order. */
  readonly parameterSets: Buffer[];
  /** The first SPS (NAL type 7) and PPS (NAL type 8) among them. */
  readonly sps?: Buffer;
  readonly pps?: Buffer;
}

export interface H265Params {
  readonly vps?: Buffer;
  readonly sps?: Buffer;
  readonly pps?: Buffer;
}

function decodeList(value: string | undefined): Buffer[] {
  if (!value) return [];
  const out: Buffer[] = [];
  for (const part of value.split(',')) {
    if (out.length >= MAX_PARAMETER_SETS) break;
    const b64 = part.trim();
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(b64)) continue;
    const buf = Buffer.from(b64, 'base64');
    if (buf.length > 0) out.push(buf);
  }
  return out;
}

export function h264Params(track: Pick<Track, 'fmtp'>): H264Params {
  const f = track.fmtp;
  const parameterSets = decodeList(f['sprop-parameter-sets']);
  const pli = f['profile-level-id'];
  const mode = f['packetization-mode'];
  const sps = parameterSets.find((b) => (b[0] & 0x1f) === 7);
  const pps = parameterSets.find((b) => (b[0] & 0x1f) === 8);
  return {
    ...(pli && /^[0-9a-f]{6}$/i.test(pli) ? { profileLevelId: pli } : {}),
    packetizationMode: mode && /^[0-2]$/.test(mode) ? Number(mode) : 0,
    parameterSets,
    ...(sps ? { sps } : {}),
    ...(pps ? { pps } : {}),
  };
}

export function h265Params(track: Pick<Track, 'fmtp'>): H265Params {
  const f = track.fmtp;
  const vps = decodeList(f['sprop-vps'])[0];
  const sps = decodeList(f['sprop-sps'])[0];
  const pps = decodeList(f['sprop-pps'])[0];
  return { ...(vps ? { vps } : {}), ...(sps ? { sps } : {}), ...(pps ? { pps } : {}) };
}
