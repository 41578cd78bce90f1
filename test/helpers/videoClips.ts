/**
 * Short H.264 and H.265 clips made by ffmpeg for the tests (libx264 / libx265, testsrc2), split into
 * access units and turned into the MediaFrames a camera's pipeline hands out (camrtc's own
 * packetizers). Tests that need them skip, saying why, when ffmpeg or the encoder is missing.
 */
import { spawnSync } from 'node:child_process';
import { findFfmpeg } from '../../server/src/audio/ffmpeg.js';
import { MAX_RTP_PAYLOAD, type MediaFrame } from '../../server/src/media/MediaFrame.js';
import { splitAnnexB } from '../../server/src/rtp/h264/annexb.js';
import { packetizeH264 } from '../../server/src/rtp/h264/H264Packetizer.js';
import { packetizeH265 } from '../../server/src/rtp/h265/H265Packetizer.js';
import type { VideoCodec } from '../../server/src/rtp/depayload.js';

export interface ClipUnit {
  readonly nalus: Buffer[];
  readonly keyframe: boolean;
}

export interface ClipOptions {
  codec: VideoCodec;
  width: number;
  height: number;
  frames: number;
  /** Frames between keyframes. */
  gop: number;
  fps?: number;
  /** Target bitrate (kbit/s) and a noisy picture, like a busy camera scene (the bench); default: ffmpeg's quality mode, clean picture. */
  kbps?: number;
  noise?: boolean;
}

/** Why clips cannot be made here (no ffmpeg, no encoder), or undefined. */
export function clipsMissing(codec: VideoCodec = 'H265'): string | undefined {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) return 'ffmpeg not installed';
  const encoders = spawnSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout ?? '';
  const encoder = codec === 'H265' ? 'libx265' : 'libx264';
  return encoders.includes(encoder) ? undefined : `this ffmpeg has no ${encoder}`;
}

/** The clip's access units, in decoding order. */
export function makeClip(options: ClipOptions): ClipUnit[] {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) throw new Error('ffmpeg not installed');
  const fps = options.fps ?? 25;
  const rate = options.kbps ? ['-b:v', `${options.kbps}k`] : [];
  const codecArgs =
    options.codec === 'H265'
      ? ['-c:v', 'libx265', '-preset', 'ultrafast', '-tune', 'zerolatency', ...rate, '-x265-params', `keyint=${options.gop}:min-keyint=${options.gop}:scenecut=0:log-level=error`, '-f', 'hevc']
      : ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', ...rate, '-g', String(options.gop), '-sc_threshold', '0', '-f', 'h264'];
  const filters = options.noise ? ['-vf', 'noise=alls=12:allf=t'] : [];
  const out = spawnSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${options.width}x${options.height}:rate=${fps}`, ...filters, '-frames:v', String(options.frames), '-pix_fmt', 'yuv420p', ...codecArgs, 'pipe:1'],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`ffmpeg could not make the clip: ${out.stderr.toString()}`);
  return accessUnits(options.codec, splitAnnexB(out.stdout));
}

function accessUnits(codec: VideoCodec, nalus: readonly Buffer[]): ClipUnit[] {
  const units: ClipUnit[] = [];
  let current: Buffer[] = [];
  let keyframe = false;
  let hasVcl = false;
  for (const nalu of nalus) {
    const type = codec === 'H265' ? (nalu[0] >> 1) & 0x3f : nalu[0] & 0x1f;
    const vcl = codec === 'H265' ? type < 32 : type >= 1 && type <= 5;
    const firstSlice = vcl && (codec === 'H265' ? (nalu[2] & 0x80) !== 0 : (nalu[1] & 0x80) !== 0);
    if (hasVcl && (!vcl || firstSlice)) {
      units.push({ nalus: current, keyframe });
      current = [];
      keyframe = false;
      hasVcl = false;
    }
    // SEI and AUD are left out: camera pipelines forward them, but the tests need only pictures.
    if (codec === 'H265' ? type === 35 || type === 39 || type === 40 : type === 9 || type === 6) continue;
    current.push(nalu);
    if (vcl) hasVcl = true;
    if (codec === 'H265' ? type >= 16 && type <= 23 : type === 5) keyframe = true;
  }
  if (hasVcl) units.push({ nalus: current, keyframe });
  return units;
}

/** The clip's units as a camera pipeline's MediaFrames: RTP timestamps 90 kHz apart by `fps`. */
export function clipFrames(codec: VideoCodec, units: readonly ClipUnit[], options: { trackIndex?: number; generation?: number; fps?: number; firstTimestamp?: number } = {}): MediaFrame[] {
  const step = Math.round(90_000 / (options.fps ?? 25));
  return units.map((u, i) => ({
    trackIndex: options.trackIndex ?? 0,
    kind: 'video',
    timestamp: ((options.firstTimestamp ?? 1000) + i * step) >>> 0,
    keyframe: u.keyframe,
    payloads: codec === 'H265' ? packetizeH265(u.nalus, MAX_RTP_PAYLOAD) : packetizeH264(u.nalus, MAX_RTP_PAYLOAD),
    generation: options.generation ?? 1,
    receivedAt: performance.now(),
  }));
}
