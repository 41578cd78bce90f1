/**
 * What the H.265 to H.264 transcode adds (H264Transcoder, the real ffmpeg): per picture, the time from
 * going into ffmpeg to coming back as H.264 (p50, p95, max), and the ffmpeg process's CPU, while an
 * H.265 clip (testsrc2 with noise at a camera's bitrate, 30 fps, 2 s GOP, looped) is fed in real
 * time. And how long a snapshot of a live camera takes (Snapshots, warm spare ffmpeg) with its GOP
 * cached up to the keyframe only, half of it, or whole.
 */
import { findFfmpeg } from '../server/src/audio/ffmpeg.js';
import { silentLogger } from '../server/src/log/logger.js';
import { annexB } from '../server/src/rtp/depayload.js';
import type { Track } from '../server/src/sdp/Track.js';
import { MAX_SNAPSHOT_FRAMES, Snapshots } from '../server/src/snapshot/Snapshots.js';
import { H264Transcoder } from '../server/src/transcode/H264Transcoder.js';
import { clipFrames, makeClip } from '../test/helpers/videoClips.js';
import { FakeCamera, h264Track } from '../test/integration/webrtc/helpers/FakeCamera.js';
import { cpuCores, sampleProcess } from './procStat.js';
import { sleep, summarize, type Summary } from './stats.js';

export const BENCH_VIDEO = {
  '720p': { width: 1280, height: 720, kbps: 2000 },
  '1080p': { width: 1920, height: 1080, kbps: 4000 },
} as const;
const FPS = 30;
const GOP = 60;
const WARMUP_MS = 2000;

export interface TranscodeResult {
  latency: Summary;
  /** ffmpeg's CPU over the window, fraction of one core. */
  cpu: number;
  framesIn: number;
  framesOut: number;
}

export interface SnapshotResult {
  /** Frames decoded (keyframe included) to wall-clock ms per request. */
  byFrames: Record<string, Summary>;
  /** A 2 s GOP cached, the same camera polled: the frames decoded fitted to SNAPSHOT_BUDGET_MS. */
  timeBoxed: Summary;
}

function clip(video: keyof typeof BENCH_VIDEO, frames: number) {
  const v = BENCH_VIDEO[video];
  return makeClip({ codec: 'H265', width: v.width, height: v.height, frames, gop: GOP, fps: FPS, kbps: v.kbps, noise: true });
}

export async function measureTranscode(video: keyof typeof BENCH_VIDEO, windowMs: number): Promise<TranscodeResult> {
  const units = clip(video, GOP * 2);
  const latencies: number[] = [];
  let framesOut = 0;
  let measuring = false;
  let failure: Error | undefined;
  const transcoder = new H264Transcoder(findFfmpeg()!, {
    picture: (p) => {
      if (!measuring) return;
      framesOut++;
      latencies.push(performance.now() - p.pushedAt);
    },
    error: (e) => (failure = e),
  });
  let framesIn = 0;
  let i = 0;
  const start = performance.now();
  // A steady 30 fps, catching up on late timer ticks without bursting.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * FPS);
    for (let burst = 0; i < due && burst < 2; burst++) {
      const u = units[i % units.length];
      transcoder.push({ annexB: annexB(u.nalus), keyframe: u.keyframe, timestamp: (i * 3000) >>> 0, generation: 1 });
      if (measuring) framesIn++;
      i++;
    }
  }, 5);
  try {
    await sleep(WARMUP_MS);
    measuring = true;
    const from = sampleProcess(transcoder.pid!);
    await sleep(windowMs);
    const to = sampleProcess(transcoder.pid!);
    measuring = false;
    if (failure) throw failure;
    return { latency: summarize(latencies), cpu: cpuCores(from, to), framesIn, framesOut };
  } finally {
    clearInterval(timer);
    transcoder.close();
  }
}

export async function measureSnapshots(video: keyof typeof BENCH_VIDEO, requests: number): Promise<SnapshotResult> {
  const frames = clipFrames('H265', clip(video, GOP), { fps: FPS });
  const track: Track = { ...h264Track(0), codec: 'H265', fmtp: {} };
  const snapshots = new Snapshots({ logger: silentLogger() });
  const byFrames: Record<string, Summary> = {};
  try {
    const poll = async (name: (r: number) => string, n: number): Promise<Summary> => {
      const times: number[] = [];
      // The first request starts the spare ffmpeg the others find waiting (as a polled camera's do).
      for (let r = 0; r <= requests; r++) {
        const camera = new FakeCamera(name(r), [track]);
        camera.gop = frames.slice(0, n);
        const t0 = performance.now();
        await snapshots.take(camera);
        if (r > 0) times.push(performance.now() - t0);
        await sleep(1100); // past the reuse time
      }
      return summarize(times);
    };
    // A new camera name per request: each decodes all its frames (no time box learnt yet).
    for (const n of [1, GOP / 2, MAX_SNAPSHOT_FRAMES]) byFrames[String(n)] = await poll((r) => `cam${n}-${r}`, n);
    const timeBoxed = await poll(() => 'polled', GOP);
    return { byFrames, timeBoxed };
  } finally {
    snapshots.close();
  }
}
