import type { H265AccessUnit } from './H265Depacketizer.js';
import { H265NaluType, h265NaluType } from './nal.js';

/** A parameter set is tens of bytes; bigger ones in the SDP are ignored. */
export const MAX_H265_PARAMETER_SET_SIZE = 4096;

const KINDS = [H265NaluType.Vps, H265NaluType.Sps, H265NaluType.Pps] as const;

/**
 * The current VPS, SPS and PPS of one H.265 track, from the SDP (`sprop-vps`, `sprop-sps`,
 * `sprop-pps`) and in-band. `prepare()` puts them in front of every IRAP picture that lacks them,
 * so a browser can start decoding at any keyframe.
 */
export class H265ParameterSets {
  private readonly sets = new Map<number, Buffer>();

  constructor(fmtp: Readonly<Record<string, string>> = {}) {
    for (const key of ['sprop-vps', 'sprop-sps', 'sprop-pps']) {
      for (const part of (fmtp[key] ?? '').split(',')) {
        const text = part.trim();
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) continue;
        const nalu = Buffer.from(text, 'base64');
        if (nalu.length <= MAX_H265_PARAMETER_SET_SIZE) this.observe(nalu);
      }
    }
  }

  get complete(): boolean {
    return KINDS.every((k) => this.sets.has(k));
  }

  get(type: number): Buffer | undefined {
    return this.sets.get(type);
  }

  observe(nalu: Buffer): void {
    const type = h265NaluType(nalu);
    if (!(KINDS as readonly number[]).includes(type)) return;
    const current = this.sets.get(type);
    if (current && current.equals(nalu)) return;
    this.sets.set(type, Buffer.from(nalu)); // in-band units are views into packet buffers
  }

  /** The picture's NAL units for a browser: AUDs dropped; an IRAP gets VPS, SPS, PPS first. */
  prepare(au: H265AccessUnit): Buffer[] {
    const present = new Set<number>();
    let hasAud = false;
    for (const nalu of au.nalus) {
      const type = h265NaluType(nalu);
      if ((KINDS as readonly number[]).includes(type)) {
        present.add(type);
        this.observe(nalu);
      } else if (type === H265NaluType.Aud) {
        hasAud = true;
      }
    }
    const inject = au.keyframe && present.size < KINDS.length && this.complete;
    if (!inject && !hasAud) return au.nalus;
    const out: Buffer[] = inject ? KINDS.map((k) => this.sets.get(k) as Buffer) : [];
    for (const nalu of au.nalus) {
      const type = h265NaluType(nalu);
      if (type === H265NaluType.Aud) continue;
      if (inject && (KINDS as readonly number[]).includes(type)) continue;
      out.push(nalu);
    }
    return out;
  }
}
