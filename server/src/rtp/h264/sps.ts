import { CamrtcError } from '../../errors.js';
import { NaluType, naluType, profileLevelIdFromSps, unescapeRbsp } from './nal.js';

/** SPS larger than this is not a real SPS (they are tens of bytes). */
export const MAX_SPS_SIZE = 4096;

/** What camrtc needs from a sequence parameter set. */
export interface SpsInfo {
  profileIdc: number;
  /** constraint_set0..5 flags and reserved bits, the middle byte of profile-level-id. */
  constraintFlags: number;
  levelIdc: number;
  /** RFC 6184 `profile-level-id`, six hex digits. */
  profileLevelId: string;
  width: number;
  height: number;
  /** From VUI timing info when present (frames per second, assuming frame-based timing). */
  fps?: number;
  /** VUI max_num_reorder_frames when present. */
  maxReorderFrames?: number;
  /**
   * Whether the stream may contain B-frames (pictures out of display order), which some WebRTC
   * decoders mishandle. False for Baseline, or when the VUI says no reordering.
   */
  mayHaveBFrames: boolean;
}

/** Profiles whose SPS carries chroma format, bit depth and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

class EndOfData extends Error {}

/** MSB-first bit reader with exp-Golomb; throws EndOfData, caught by parseSps. */
class BitReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  bit(): number {
    const byte = this.pos >> 3;
    if (byte >= this.buf.length) throw new EndOfData();
    const v = (this.buf[byte] >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new EndOfData();
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

function skipHrd(r: BitReader): void {
  const cpbCount = r.ue() + 1;
  if (cpbCount > 32) throw new EndOfData();
  r.bits(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i++) {
    r.ue();
    r.ue();
    r.bit();
  }
  r.bits(20); // four 5-bit lengths
}

/** Parses an SPS NALU (with its 1-byte header). Never throws. */
export function parseSps(nalu: Buffer): SpsInfo | CamrtcError {
  if (naluType(nalu) !== NaluType.Sps) return new CamrtcError('ERR_PARSE_H264', 'not an SPS NAL unit');
  if (nalu.length > MAX_SPS_SIZE) return new CamrtcError('ERR_LIMIT', `SPS too large (${nalu.length} bytes)`);
  try {
    return readSps(nalu);
  } catch (err) {
    if (err instanceof EndOfData) return new CamrtcError('ERR_PARSE_H264', 'SPS is truncated or malformed');
    throw err;
  }
}

function readSps(nalu: Buffer): SpsInfo | CamrtcError {
  const r = new BitReader(unescapeRbsp(nalu.subarray(1)));
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) return new CamrtcError('ERR_PARSE_H264', `SPS has invalid chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = r.bit();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue();
  } else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > 255) return new CamrtcError('ERR_PARSE_H264', 'SPS has an invalid POC cycle');
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
  if (r.bit()) {
    cropLeft = r.ue();
    cropRight = r.ue();
    cropTop = r.ue();
    cropBottom = r.ue();
  }
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 3 ? 1 : 2;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
    return new CamrtcError('ERR_PARSE_H264', `SPS gives an impossible picture size ${width}x${height}`);
  }

  const info: SpsInfo = {
    profileIdc,
    constraintFlags,
    levelIdc,
    profileLevelId: profileLevelIdFromSps(nalu) as string,
    width,
    height,
    mayHaveBFrames: profileIdc !== 66,
  };
  readVui(r, info);
  return info;
}

/** VUI is optional and often cut short by cameras: whatever is missing stays undefined. */
function readVui(r: BitReader, info: SpsInfo): void {
  try {
    if (!r.bit()) return; // vui_parameters_present_flag
    if (r.bit() && r.bits(8) === 255) r.bits(32); // aspect_ratio_idc, Extended_SAR
    if (r.bit()) r.bit(); // overscan
    if (r.bit()) {
      r.bits(4); // video_format, video_full_range_flag
      if (r.bit()) r.bits(24); // colour description
    }
    if (r.bit()) {
      r.ue();
      r.ue();
    }
    if (r.bit()) {
      const numUnitsInTick = r.bits(32);
      const timeScale = r.bits(32);
      r.bit(); // fixed_frame_rate_flag
      if (numUnitsInTick > 0 && timeScale > 0) info.fps = timeScale / (2 * numUnitsInTick);
    }
    const nalHrd = r.bit();
    if (nalHrd) skipHrd(r);
    const vclHrd = r.bit();
    if (vclHrd) skipHrd(r);
    if (nalHrd || vclHrd) r.bit(); // low_delay_hrd_flag
    r.bit(); // pic_struct_present_flag
    if (r.bit()) {
      r.bit();
      r.ue();
      r.ue();
      r.ue();
      r.ue();
      info.maxReorderFrames = r.ue();
      info.mayHaveBFrames = info.maxReorderFrames > 0;
    }
  } catch (err) {
    if (!(err instanceof EndOfData)) throw err;
  }
}
