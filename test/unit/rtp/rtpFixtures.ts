import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/paths.js';
import { accessUnitsFromAnnexB } from '../../../server/src/demo/annexb.js';
import { packetizeH264 } from '../../../server/src/rtp/h264/H264Packetizer.js';

/** The bundled demo clip: Annex-B H.264 Baseline 640x360, 25 fps, SPS/PPS before each IDR. */
export const DEMO_CLIP = join(repoRoot, 'server', 'assets', 'demo.h264');

let clipUnits: Buffer[][] | undefined;
export function demoAccessUnits(): Buffer[][] {
  clipUnits ??= accessUnitsFromAnnexB(readFileSync(DEMO_CLIP));
  return clipUnits;
}

export interface RawRtp {
  marker?: boolean;
  payloadType?: number;
  seq: number;
  ts: number;
  ssrc?: number;
  payload: Buffer;
  csrc?: number[];
  /** RFC 3550 header extension: profile and data (length a multiple of 4). */
  extension?: { profile: number; data: Buffer };
  /** Padding bytes to append (the last one holds the count). */
  padding?: number;
}

/** Writes an RTP packet byte by byte, independently of the code under test. */
export function rawRtp(p: RawRtp): Buffer {
  const csrc = p.csrc ?? [];
  const ext = p.extension ? Buffer.concat([Buffer.from([p.extension.profile >> 8, p.extension.profile & 0xff, 0, p.extension.data.length / 4]), p.extension.data]) : Buffer.alloc(0);
  const header = Buffer.alloc(12 + csrc.length * 4);
  header[0] = 0x80 | (p.padding ? 0x20 : 0) | (p.extension ? 0x10 : 0) | csrc.length;
  header[1] = (p.marker ? 0x80 : 0) | (p.payloadType ?? 96);
  header.writeUInt16BE(p.seq & 0xffff, 2);
  header.writeUInt32BE(p.ts >>> 0, 4);
  header.writeUInt32BE(p.ssrc ?? 0x11223344, 8);
  csrc.forEach((c, i) => header.writeUInt32BE(c, 12 + i * 4));
  const padding = Buffer.alloc(p.padding ?? 0);
  if (p.padding) padding[p.padding - 1] = p.padding;
  return Buffer.concat([header, ext, p.payload, padding]);
}

/** RTP packets for whole access units as a camera sends them: marker on each unit's last packet. */
export function packetsForAccessUnits(units: readonly Buffer[][], opts: { maxPayload?: number; seq?: number; ts?: number; tsStep?: number } = {}): Buffer[] {
  const out: Buffer[] = [];
  let seq = opts.seq ?? 1000;
  units.forEach((nalus, i) => {
    const payloads = packetizeH264(nalus, opts.maxPayload ?? 1200);
    payloads.forEach((payload, j) => {
      out.push(rawRtp({ seq: seq++, ts: (opts.ts ?? 5000) + i * (opts.tsStep ?? 3600), marker: j === payloads.length - 1, payload }));
    });
  });
  return out;
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Small NALUs with real headers for hand-made layouts. */
export const SPS = hex('6742c01e d900a02f f9701100 00030001 00000300 320f162e 48');
export const PPS = hex('68cb8cb2');
export const AUD = hex('0910');
export const SEI = hex('06050401020304 80');
export const IDR = (size = 40, fill = 0x11): Buffer => Buffer.concat([Buffer.from([0x65, 0x88]), Buffer.alloc(size - 2, fill)]);
export const P_SLICE = (size = 20, fill = 0x22): Buffer => Buffer.concat([Buffer.from([0x41, 0x9a]), Buffer.alloc(size - 2, fill)]);
