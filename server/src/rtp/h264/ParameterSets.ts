import { CamrtcError } from '../../errors.js';
import type { H264AccessUnit } from './H264Depacketizer.js';
import { NaluType, naluType, profileLevelIdFromSps } from './nal.js';
import { MAX_SPS_SIZE, parseSps, type SpsInfo } from './sps.js';

/** A PPS is a few bytes; anything bigger in sprop-parameter-sets is rejected. */
export const MAX_PPS_SIZE = 4096;

/**
 * The current SPS and PPS of one H.264 track, from the SDP (`sprop-parameter-sets`) and in-band.
 * Browsers can only start decoding at an IDR preceded by them, and many cameras send them only in
 * the SDP, so `prepare()` puts them in front of every IDR that lacks them.
 */
export class ParameterSets {
  private currentSps: Buffer | undefined;
  private currentPps: Buffer | undefined;
  private spsInfo: SpsInfo | undefined;

  /** `sprop` is the fmtp `sprop-parameter-sets` value, if the SDP has one (bad values are ignored). */
  constructor(sprop?: string) {
    if (sprop !== undefined) this.setFromSprop(sprop);
  }

  get sps(): Buffer | undefined {
    return this.currentSps;
  }
  get pps(): Buffer | undefined {
    return this.currentPps;
  }
  /** Both known: an IDR can be made decodable. */
  get complete(): boolean {
    return this.currentSps !== undefined && this.currentPps !== undefined;
  }
  /** Resolution, profile and B-frame hint of the current SPS (undefined if unknown or unparsable). */
  get info(): SpsInfo | undefined {
    return this.spsInfo;
  }
  /** RFC 6184 profile-level-id of the current SPS, e.g. "42c01e". */
  get profileLevelId(): string | undefined {
    return this.currentSps ? profileLevelIdFromSps(this.currentSps) : undefined;
  }
  /** `sprop-parameter-sets` value for the current SPS and PPS. */
  get sprop(): string | undefined {
    if (!this.currentSps || !this.currentPps) return undefined;
    return `${this.currentSps.toString('base64')},${this.currentPps.toString('base64')}`;
  }

  /** Reads base64 NALUs separated by commas; SPS and PPS among them become current. */
  setFromSprop(sprop: string): void | CamrtcError {
    for (const part of sprop.split(',')) {
      const text = part.trim();
      if (text === '') continue;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return new CamrtcError('ERR_PARSE_SDP', 'sprop-parameter-sets is not base64');
      const nalu = Buffer.from(text, 'base64');
      if (nalu.length > Math.max(MAX_SPS_SIZE, MAX_PPS_SIZE)) return new CamrtcError('ERR_LIMIT', 'sprop-parameter-sets entry too large');
      this.observe(nalu);
    }
  }

  /** Remembers an SPS or PPS seen in-band (other NALUs are ignored). */
  observe(nalu: Buffer): void {
    const type = naluType(nalu);
    if (type === NaluType.Sps) {
      if (this.currentSps && this.currentSps.equals(nalu)) return;
      // Copy: in-band NALUs are views into packet buffers, and this one is kept for long.
      this.currentSps = Buffer.from(nalu);
      const info = parseSps(nalu);
      this.spsInfo = info instanceof CamrtcError ? undefined : info;
    } else if (type === NaluType.Pps) {
      if (this.currentPps && this.currentPps.equals(nalu)) return;
      this.currentPps = Buffer.from(nalu);
    }
  }

  /**
   * The access unit's NALUs ready for a browser: AUDs dropped, and for an IDR the latest SPS and
   * PPS first (replacing any copies inside the unit, so the order is always SPS, PPS, rest).
   * Returns `au.nalus` itself when nothing changes.
   */
  prepare(au: H264AccessUnit): Buffer[] {
    let hasSps = false;
    let hasPps = false;
    let hasAud = false;
    for (const nalu of au.nalus) {
      const type = naluType(nalu);
      if (type === NaluType.Sps) {
        hasSps = true;
        this.observe(nalu);
      } else if (type === NaluType.Pps) {
        hasPps = true;
        this.observe(nalu);
      } else if (type === NaluType.Aud) {
        hasAud = true;
      }
    }
    const inject = au.keyframe && (!hasSps || !hasPps) && this.complete;
    if (!inject && !hasAud) return au.nalus;

    const out: Buffer[] = [];
    if (inject) out.push(this.currentSps as Buffer, this.currentPps as Buffer);
    for (const nalu of au.nalus) {
      const type = naluType(nalu);
      if (type === NaluType.Aud) continue;
      if (inject && (type === NaluType.Sps || type === NaluType.Pps)) continue;
      out.push(nalu);
    }
    return out;
  }
}
