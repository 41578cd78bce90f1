import { isVclNaluType, naluType, unescapeRbsp } from './nal.js';

/** H.264 slice_type (7.4.3) modulo 5: P, B, I, SP, SI. */
export const SliceType = { P: 0, B: 1, I: 2, SP: 3, SI: 4 } as const;

/** Bytes of a slice NALU enough for first_mb_in_slice and slice_type (two exp-Golomb codes). */
const SLICE_HEADER_PEEK = 16;

/**
 * The slice_type (0..4, see SliceType) of a coded slice NALU, or undefined when it is not a slice or
 * too short to tell. Reads two exp-Golomb codes; never throws.
 */
export function sliceType(nalu: Buffer): number | undefined {
  if (!isVclNaluType(naluType(nalu))) return undefined;
  const rbsp = unescapeRbsp(nalu.subarray(1, 1 + SLICE_HEADER_PEEK));
  let pos = 0;
  const bit = (): number | undefined => {
    const byte = pos >> 3;
    if (byte >= rbsp.length) return undefined;
    const v = (rbsp[byte] >> (7 - (pos & 7))) & 1;
    pos++;
    return v;
  };
  const ue = (): number | undefined => {
    let zeros = 0;
    for (;;) {
      const b = bit();
      if (b === undefined || zeros > 31) return undefined;
      if (b === 1) break;
      zeros++;
    }
    let v = 0;
    for (let i = 0; i < zeros; i++) {
      const b = bit();
      if (b === undefined) return undefined;
      v = v * 2 + b;
    }
    return 2 ** zeros - 1 + v;
  };
  if (ue() === undefined) return undefined; // first_mb_in_slice
  const type = ue();
  return type === undefined || type > 9 ? undefined : type % 5;
}

/** True when one of the access unit's slices is a B slice (pictures out of display order). */
export function hasBSlice(nalus: readonly Buffer[]): boolean {
  for (const nalu of nalus) if (sliceType(nalu) === SliceType.B) return true;
  return false;
}
