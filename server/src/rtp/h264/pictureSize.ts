/**
 * The picture size an H.264 access unit announces, read from the SPS among its RTP payloads. Pure.
 */
import { CamrtcError } from '../../errors.js';
import { NaluType, naluType } from './nal.js';
import { parseSps } from './sps.js';

/**
 * The picture size from the SPS among H.264 RTP payloads (the pipeline puts the parameter sets in
 * front of each IDR: alone, or aggregated in a STAP-A).
 */
export function sizeFromPayloads(payloads: readonly Buffer[]): { width: number; height: number } | undefined {
  for (const payload of payloads) {
    for (const nalu of stapUnits(payload)) {
      if (naluType(nalu) !== NaluType.Sps) continue;
      const sps = parseSps(nalu);
      if (!(sps instanceof CamrtcError)) return { width: sps.width, height: sps.height };
    }
  }
  return undefined;
}

/** The NAL units of a payload: those a STAP-A aggregates, or the payload itself. */
function stapUnits(payload: Buffer): Buffer[] {
  if (naluType(payload) !== NaluType.StapA) return [payload];
  const units: Buffer[] = [];
  for (let off = 1; off + 2 <= payload.length; ) {
    const size = payload.readUInt16BE(off);
    off += 2;
    if (size === 0 || off + size > payload.length) break;
    units.push(payload.subarray(off, off + size));
    off += size;
  }
  return units;
}
