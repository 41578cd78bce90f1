/** H.264 NAL unit types (ITU-T H.264 table 7-1) and the RTP payload types of RFC 6184. */
export const NaluType = {
  NonIdrSlice: 1,
  SliceDataA: 2,
  SliceDataB: 3,
  SliceDataC: 4,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  FillerData: 12,
  // RFC 6184 aggregation and fragmentation units (only in RTP payloads, never in a stream).
  StapA: 24,
  StapB: 25,
  Mtap16: 26,
  Mtap24: 27,
  FuA: 28,
  FuB: 29,
} as const;

export function naluType(nalu: Buffer): number {
  return nalu.length > 0 ? nalu[0] & 0x1f : 0;
}

/** A coded slice: the NALUs that make a picture (everything else is metadata around it). */
export function isVclNaluType(type: number): boolean {
  return type >= NaluType.NonIdrSlice && type <= NaluType.IdrSlice;
}

/** An IDR slice: decoding can start here (given SPS and PPS). */
export function isKeyframeNalu(nalu: Buffer): boolean {
  return naluType(nalu) === NaluType.IdrSlice;
}

/**
 * NALUs that may precede a picture without belonging to a finished one: a marker bit or a
 * timestamp change after only these does not end an access unit (Tapo and Reolink set the marker
 * on SPS/PPS; some cameras send SPS/PPS with the timestamp of the previous frame).
 */
export function isPrefixNaluType(type: number): boolean {
  return type === NaluType.Sps || type === NaluType.Pps || type === NaluType.Sei || type === NaluType.Aud;
}

/** `profile-level-id` (RFC 6184) from the three bytes after an SPS's NAL header, e.g. "42c01e". */
export function profileLevelIdFromSps(sps: Buffer): string | undefined {
  if (sps.length < 4 || naluType(sps) !== NaluType.Sps) return undefined;
  return sps.subarray(1, 4).toString('hex');
}

/** Removes emulation prevention bytes (00 00 03 -> 00 00) so the RBSP can be read bit by bit. */
export function unescapeRbsp(nalu: Buffer): Buffer {
  let i = nalu.indexOf(EMULATION_PREVENTION);
  if (i < 0) return nalu;
  const out = Buffer.allocUnsafe(nalu.length);
  let written = 0;
  let from = 0;
  while (i >= 0) {
    // Keep the two zeros, skip the 0x03.
    written += nalu.copy(out, written, from, i + 2);
    from = i + 3;
    i = nalu.indexOf(EMULATION_PREVENTION, from);
  }
  written += nalu.copy(out, written, from);
  return out.subarray(0, written);
}
const EMULATION_PREVENTION = Buffer.from([0, 0, 3]);
