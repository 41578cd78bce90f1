/** H.265 NAL unit types (ITU-T H.265 table 7-1) and the RTP payload types of RFC 7798. */
export const H265NaluType = {
  /** IRAP pictures (BLA, IDR, CRA): decoding can start here. */
  IrapFirst: 16,
  IrapLast: 23,
  Vps: 32,
  Sps: 33,
  Pps: 34,
  Aud: 35,
  PrefixSei: 39,
  // RFC 7798 aggregation, fragmentation and PACI packets (only in RTP payloads).
  Ap: 48,
  Fu: 49,
  Paci: 50,
} as const;

/** The two-byte NAL unit header of H.265. */
export const H265_NAL_HEADER_SIZE = 2;

export function h265NaluType(nalu: Buffer): number {
  return nalu.length > 0 ? (nalu[0] >> 1) & 0x3f : -1;
}

/** A coded slice (VCL NAL unit types 0-31). */
export function isH265Vcl(type: number): boolean {
  return type >= 0 && type <= 31;
}

/** IRAP picture (types 16-23; 22 and 23 are reserved IRAP): a keyframe. */
export function isH265Irap(type: number): boolean {
  return type >= H265NaluType.IrapFirst && type <= H265NaluType.IrapLast;
}

/** Parameter sets and prefix metadata that precede a picture without being one. */
export function isH265Prefix(type: number): boolean {
  return type === H265NaluType.Vps || type === H265NaluType.Sps || type === H265NaluType.Pps || type === H265NaluType.Aud || type === H265NaluType.PrefixSei;
}
