import { splitAnnexB } from '../rtp/h264/annexb.js';
import { isVclNaluType, naluType } from '../rtp/h264/nal.js';

/** More than this many access units in a demo clip means the file is not what we think. */
export const MAX_CLIP_ACCESS_UNITS = 100_000;

/**
 * Splits an Annex-B H.264 stream into access units (ITU-T H.264 7.4.1.2.3, simplified for clips
 * from encoders): a new unit starts at an AUD, SPS, PPS or SEI after a slice, or at a slice whose
 * first_mb_in_slice is 0 (ue(v) 0 is a single 1 bit) after a slice.
 */
export function accessUnitsFromAnnexB(data: Buffer): Buffer[][] {
  const units: Buffer[][] = [];
  let current: Buffer[] = [];
  let hasSlice = false;
  for (const nalu of splitAnnexB(data)) {
    const type = naluType(nalu);
    const vcl = isVclNaluType(type);
    const startsPicture = vcl ? nalu.length > 1 && (nalu[1] & 0x80) !== 0 : type === 9 || type === 7 || type === 8 || type === 6;
    if (hasSlice && startsPicture) {
      units.push(current);
      if (units.length > MAX_CLIP_ACCESS_UNITS) break;
      current = [];
      hasSlice = false;
    }
    current.push(nalu);
    if (vcl) hasSlice = true;
  }
  if (hasSlice) units.push(current);
  return units;
}
