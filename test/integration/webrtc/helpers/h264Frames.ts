/**
 * Turns an Annex-B H.264 file (server/assets/demo.h264) into the MediaFrames a Source would hand to
 * viewers: one access unit per frame, parameter sets with the IDR, NAL units of at most
 * MAX_RTP_PAYLOAD bytes as single-NAL payloads and bigger ones as FU-A (RFC 6184). Test-only code:
 * it assumes one slice per picture, which holds for the demo clip.
 */
import { readFileSync } from 'node:fs';
import { MAX_RTP_PAYLOAD, type MediaFrame } from '../../../../server/src/media/MediaFrame.js';

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
export const NAL_FU_A = 28;
export const NAL_STAP_A = 24;

export interface AccessUnit {
  nalus: Buffer[];
  keyframe: boolean;
}

export function splitAnnexB(data: Buffer): Buffer[] {
  const starts: { at: number; len: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0) {
      if (data[i + 2] === 1) {
        starts.push({ at: i, len: 3 });
        i += 2;
      } else if (data[i + 2] === 0 && data[i + 3] === 1) {
        starts.push({ at: i, len: 4 });
        i += 3;
      }
    }
  }
  return starts.map((s, k) => data.subarray(s.at + s.len, k + 1 < starts.length ? starts[k + 1].at : data.length)).filter((n) => n.length > 0);
}

export function accessUnits(nalus: readonly Buffer[]): AccessUnit[] {
  const units: AccessUnit[] = [];
  let current: AccessUnit = { nalus: [], keyframe: false };
  let hasVcl = false;
  for (const nalu of nalus) {
    const type = nalu[0] & 0x1f;
    const vcl = type >= 1 && type <= 5;
    const firstSlice = vcl && (nalu[1] & 0x80) !== 0;
    if (hasVcl && (!vcl || firstSlice)) {
      units.push(current);
      current = { nalus: [], keyframe: false };
      hasVcl = false;
    }
    current.nalus.push(nalu);
    if (vcl) hasVcl = true;
    if (type === NAL_IDR) current.keyframe = true;
  }
  if (current.nalus.length > 0) units.push(current);
  return units;
}

export function packetize(nalu: Buffer): Buffer[] {
  if (nalu.length <= MAX_RTP_PAYLOAD) return [nalu];
  const indicator = (nalu[0] & 0xe0) | NAL_FU_A;
  const type = nalu[0] & 0x1f;
  const out: Buffer[] = [];
  const body = nalu.subarray(1);
  const chunk = MAX_RTP_PAYLOAD - 2;
  for (let off = 0; off < body.length; off += chunk) {
    const start = off === 0;
    const end = off + chunk >= body.length;
    const header = Buffer.from([indicator, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type]);
    out.push(Buffer.concat([header, body.subarray(off, off + chunk)]));
  }
  return out;
}

/** Frame factory over the demo clip; timestamps advance 90000/fps per frame, looping the clip. */
export class H264FrameSource {
  readonly units: AccessUnit[];
  #next = 0;
  timestamp: number;
  generation = 1;
  receivedAt = 1000;

  constructor(file: string, readonly trackIndex = 0, readonly fps = 25, initialTimestamp = 123_456) {
    this.units = accessUnits(splitAnnexB(readFileSync(file)));
    this.timestamp = initialTimestamp;
  }

  /** The next frame of the clip (wrapping), with the current generation and clock. */
  nextFrame(): MediaFrame {
    const unit = this.units[this.#next];
    this.#next = (this.#next + 1) % this.units.length;
    const frame: MediaFrame = {
      trackIndex: this.trackIndex,
      kind: 'video',
      timestamp: this.timestamp >>> 0,
      keyframe: unit.keyframe,
      payloads: unit.nalus.flatMap(packetize),
      generation: this.generation,
      receivedAt: this.receivedAt,
    };
    this.timestamp += 90000 / this.fps;
    this.receivedAt += 1000 / this.fps;
    return frame;
  }

  /** Back to the clip's first access unit (an IDR) within the same camera session. */
  rewind(): void {
    this.#next = 0;
  }

  /** Simulates a camera reconnect: new generation, unrelated timestamp base, time passes. */
  restart(newTimestamp: number, gapMs: number): void {
    this.generation++;
    this.timestamp = newTimestamp;
    this.receivedAt += gapMs;
    this.#next = 0;
  }
}
