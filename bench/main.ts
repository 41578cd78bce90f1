/**
 * `npm run bench`: camrtc against Janus on this machine, in one run, on the same stamped GStreamer
 * camera: glass-to-glass latency, first-frame time, cost per viewer, cost per camera, latency drift.
 * Writes bench/results/<date>-<machine>.md (+ .json and SVG plots). Never part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/e2e/support/browser.js';
import { repoRoot } from '../test/helpers/paths.js';
import { PageHost, measureFirstFrames, measureLatency, measureLiveLoads, pageUrl, type LatencyRun } from './browserBench.js';
import { EARLY_WINDOW_MS } from './browserProbe.js';
import { ageOverTime, summarizeLive } from './livePicture.js';
import { readHotSpots } from './cpuProfile.js';
import { HELP, parseOptions, type BenchOptions } from './options.js';
import { FIRST_FRAME_STEPS, writeReport, type BenchResults, type LatencyResult, type LiveResult } from './report.js';
import { startServer, type BenchServer, type ServerName } from './servers.js';
import { StampCamera, type StampCameraOptions } from './StampCamera.js';
import { percentile, sleep, summarize } from './stats.js';
import { measureLoad } from './viewerLoad.js';
import { measureSnapshots, measureTranscode } from './transcodeBench.js';

const CAMERA_720P: StampCameraOptions = { width: 1280, height: 720, fps: 30, gop: 60, kbps: 2000, threads: 1 };
// One x264 thread cannot encode 1080p30 here while Chromium decodes: two frame threads (one slice).
const CAMERA_1080P: StampCameraOptions = { width: 1920, height: 1080, fps: 30, gop: 60, kbps: 4000, threads: 2, frameThreads: true };
/** camrtc's idle timeout in the idle-camera section: short, so each load need not wait the default 10 s. */
const IDLE_TIMEOUT_MS = 1000;
/** A first frame later than this prints the server's recent output. */
const SLOW_LOAD_MS = 3000;
/** Step of the picture-age curves. */
const AGE_STEP_MS = 50;
/** Let a freshly started server settle (camera described, first GOP cached) before measuring. */
const SETTLE_MS = 3000;

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function version(cmd: string, args: string[], pick: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pick.exec(out)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const closing: Array<{ close(): Promise<void> }> = [];
function track<T extends { close(): Promise<void> }>(x: T): T {
  closing.push(x);
  return x;
}
async function release<T extends { close(): Promise<void> }>(x: T): Promise<void> {
  const i = closing.indexOf(x);
  if (i >= 0) closing.splice(i, 1);
  await x.close();
}

async function withServer<T>(name: ServerName, camera: StampCamera, cameraCount: number, fn: (s: BenchServer) => Promise<T>, cpuProfDir?: string): Promise<T> {
  const server = track(await startServer(name, { cameraUrl: camera.url, cameraCount, cpuProfDir }));
  try {
    await sleep(SETTLE_MS);
    return await fn(server);
  } finally {
    await release(server);
  }
}

/**
 * Until camrtc's camera is idle (its idle timer ran out) and the camera has no RTSP session left, so
 * the next page load finds it as a first visitor does.
 */
async function untilIdle(server: BenchServer, camera: StampCamera): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const list = (await (await fetch(`${server.apiUrl}/api/cameras`)).json()) as { cameras?: Array<{ name: string; state: string }> } | Array<{ name: string; state: string }>;
    const cameras = Array.isArray(list) ? list : (list.cameras ?? []);
    if (cameras.find((c) => c.name === server.cameras[0])?.state === 'idle' && camera.clients === 0) return;
    if (Date.now() > deadline) throw new Error(`camera not idle after 30 s (camrtc: ${JSON.stringify(cameras)}, RTSP sessions at the camera: ${camera.clients})`);
    await sleep(100);
  }
}

/** Seconds after the first frame from which latency counts as steady (a replayed GOP is shown by then). */
const STEADY_AFTER_S = 5;

function latencyResult(run: LatencyRun): LatencyResult {
  const steady = summarize(run.samples.filter(([t]) => t >= STEADY_AFTER_S).map((s) => s[1]));
  return { ...summarize(run.samples.map((s) => s[1])), steady, bad: run.bad, frames: run.frames, width: run.width, height: run.height, series: run.samples };
}

async function main(options: BenchOptions): Promise<void> {
  const started = Date.now();
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: options.mode,
    machine: {
      host: hostname(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      janus: version('/usr/bin/janus', ['--help'], /Janus version: \d+ \(([^)]+)\)/),
      chromium: version('/usr/bin/chromium', ['--version'], /Chromium ([\d.]+)/),
      gstreamer: version('gst-launch-1.0', ['--version'], /version ([\d.]+)/),
    },
    options,
    latency: {},
    firstFrame: {},
    live: {},
    idle: {},
    viewers: { camrtc: [], janus: [] },
    cameras: { camrtc: [], janus: [] },
    drift: {},
  };
  const host = track(await PageHost.start());
  let browser: Browser | undefined;
  const needsBrowser = options.sections.some((s) => s === 'latency' || s === 'firstframe' || s === 'live' || s === 'idle' || s === 'drift');
  if (needsBrowser) browser = await launchChromium();
  const cameras = options.video.map((v) => (v === '720p' ? CAMERA_720P : CAMERA_1080P));
  try {
    for (const camOptions of cameras) {
      if (!options.sections.includes('latency') && !options.sections.includes('firstframe')) break;
      const camera = track(await StampCamera.start(camOptions));
      const key = `${camOptions.height}p`;
      try {
        for (const name of options.servers) {
          await withServer(name, camera, 1, async (server) => {
            const url = pageUrl(server, host, server.cameras[0]);
            if (options.sections.includes('latency')) {
              log(`${name} ${key}: glass-to-glass latency for ${options.latencyMs / 1000} s`);
              const r = latencyResult(await measureLatency(browser!, url, options.latencyMs));
              ((results.latency[key] ??= {}) as Record<string, LatencyResult>)[name] = r;
              log(`  p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, max ${r.max.toFixed(0)} ms (${r.count} frames, ${r.bad} unreadable)`);
            }
            if (options.sections.includes('firstframe')) {
              log(`${name} ${key}: first frame over ${options.firstFrameLoads} page loads`);
              const loads = await measureFirstFrames(browser!, url, options.firstFrameLoads, (camOptions.gop / camOptions.fps) * 1000);
              const times = loads.map((l) => l.firstFrame);
              const steps = Object.fromEntries(FIRST_FRAME_STEPS.map((step) => [step, percentile(loads.map((l) => l.marks[step] ?? Number.NaN).filter(Number.isFinite), 50)]));
              (results.firstFrame[key] ??= {})[name] = { ...summarize(times), times, steps };
              log(`  p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms`);
            }
          });
        }
      } finally {
        await release(camera);
      }
    }

    for (const pli of options.pli) {
      if (!options.sections.includes('live') && !options.sections.includes('idle')) break;
      const camera = track(await StampCamera.start({ ...CAMERA_720P, ignoreKeyframeRequests: pli === 'ignore' }));
      const gopMs = (CAMERA_720P.gop / CAMERA_720P.fps) * 1000;
      const measure = async (server: BenchServer, loads: number, beforeLoad?: () => Promise<void>): Promise<LiveResult> => {
        const requests = camera.keyframeRequests;
        const runs = await measureLiveLoads(browser!, pageUrl(server, host, server.cameras[0]), loads, gopMs, beforeLoad);
        const r: LiveResult = { ...summarizeLive(runs), keyframeRequests: camera.keyframeRequests - requests, ages: ageOverTime(runs, EARLY_WINDOW_MS, AGE_STEP_MS) };
        log(`  first frame p50 ${r.firstFrame.p50.toFixed(0)} / p95 ${r.firstFrame.p95.toFixed(0)} ms (age p50 ${r.firstAge.p50.toFixed(0)} ms), live picture p50 ${r.live.p50.toFixed(0)} / p95 ${r.live.p95.toFixed(0)} / max ${r.live.max.toFixed(0)} ms, ${r.keyframeRequests} keyframe requests`);
        log(`  per load [first frame, its age, live] ms: ${JSON.stringify(r.times)}`);
        // A slow load is a bug to chase: keep what the server said (BENCH_CAMRTC_LOG=debug for more).
        if (runs.some((l) => l.firstFrame > SLOW_LOAD_MS)) log(`  a load over ${SLOW_LOAD_MS} ms; ${server.name}'s last output:\n${server.output.slice(-60).join('\n')}`);
        return r;
      };
      try {
        if (options.sections.includes('live')) {
          for (const name of options.servers) {
            log(`${name}: time to a live picture, warm camera (${pli} PLI), ${options.liveLoads} page loads`);
            (results.live[pli] ??= {})[name] = await withServer(name, camera, 1, (server) => measure(server, options.liveLoads));
          }
        }
        if (options.sections.includes('idle') && options.servers.includes('camrtc')) {
          log(`camrtc: first frame from an idle camera (${pli} PLI), ${options.idleLoads} page loads`);
          const server = track(await startServer('camrtc', { cameraUrl: camera.url, cameraCount: 1, preload: false, idleTimeoutMs: IDLE_TIMEOUT_MS }));
          try {
            await sleep(SETTLE_MS);
            (results.idle[pli] ??= {}).camrtc = await measure(server, options.idleLoads, () => untilIdle(server, camera));
          } finally {
            await release(server);
          }
        }
      } finally {
        await release(camera);
      }
    }

    if (options.sections.includes('viewers') || options.sections.includes('cameras') || options.sections.includes('drift')) {
      const camera = track(await StampCamera.start(CAMERA_720P));
      try {
        if (options.sections.includes('viewers')) {
          for (const name of options.servers) {
            for (const n of options.viewerCounts) {
              log(`${name}: ${n} werift viewers`);
              const r = await withServer(name, camera, 1, (s) => measureLoad(s, { viewers: n, cameras: s.cameras, idleMs: options.idleMs, warmupMs: options.warmupMs, windowMs: options.windowMs }));
              results.viewers[name].push(r);
              log(`  connected ${r.connected}/${n}, server CPU ${(r.cpu * 100).toFixed(1)}% of a core, RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB, lost ${r.lost}/${r.expected}, swarm CPU ${(r.swarmCpu * 100).toFixed(0)}%`);
            }
          }
          if (options.profileViewers && options.servers.includes('camrtc')) {
            const dir = join(repoRoot, 'bench/work/profiles');
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir, { recursive: true });
            log(`camrtc under --cpu-prof with ${options.profileViewers} viewers`);
            await withServer('camrtc', camera, 1, (s) => measureLoad(s, { viewers: options.profileViewers!, cameras: s.cameras, idleMs: 1000, warmupMs: options.warmupMs, windowMs: options.windowMs }), dir);
            const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
            if (file) results.profile = { viewers: options.profileViewers, file: join('bench/work/profiles', file), hotSpots: readHotSpots(join(dir, file), 20) };
          }
        }
        if (options.sections.includes('cameras')) {
          for (const name of options.servers) {
            for (const m of options.cameraCounts) {
              log(`${name}: ${m} cameras, one viewer each`);
              const r = await withServer(name, camera, m, (s) => measureLoad(s, { viewers: m, cameras: s.cameras, idleMs: options.idleMs, warmupMs: options.warmupMs, windowMs: options.windowMs }));
              results.cameras[name].push(r);
              log(`  server CPU ${(r.cpu * 100).toFixed(1)}% of a core, RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB, lost ${r.lost}/${r.expected}`);
            }
          }
        }
        if (options.sections.includes('drift')) {
          log(`drift: both servers side by side for ${options.driftMs / 60000} min`);
          const servers = await Promise.all(options.servers.map(async (n) => track(await startServer(n, { cameraUrl: camera.url, cameraCount: 1 }))));
          try {
            await sleep(SETTLE_MS);
            const runs = await Promise.all(servers.map((s) => measureLatency(browser!, pageUrl(s, host, s.cameras[0]), options.driftMs)));
            servers.forEach((s, i) => {
              const series = runs[i].samples;
              const w = options.driftWindowMs / 1000;
              const end = options.driftMs / 1000;
              const start = series.filter(([t]) => t < w).map(([, l]) => l);
              const last = series.filter(([t]) => t >= end - w).map(([, l]) => l);
              results.drift[s.name] = { startP50: percentile(start, 50), endP50: percentile(last, 50), minutes: options.driftMs / 60000, series };
              log(`  ${s.name}: p50 ${percentile(start, 50).toFixed(0)} ms at the start, ${percentile(last, 50).toFixed(0)} ms at the end`);
            });
          } finally {
            for (const s of servers) await release(s);
          }
        }
      } finally {
        await release(camera);
      }
    }
    // camrtc alone (Janus has neither): ffmpeg's transcode and snapshots, without a browser.
    for (const video of options.video) {
      if (options.sections.includes('transcode')) {
        log(`camrtc ${video}: H.265 to H.264 transcode for ${options.windowMs / 1000} s`);
        const r = await measureTranscode(video, options.windowMs);
        (results.transcode ??= {})[video] = r;
        log(`  added latency p50 ${r.latency.p50.toFixed(1)} ms, p95 ${r.latency.p95.toFixed(1)} ms, ffmpeg CPU ${(r.cpu * 100).toFixed(0)}% of a core (${r.framesIn} in, ${r.framesOut} out)`);
      }
      if (options.sections.includes('snapshot')) {
        log(`camrtc ${video}: snapshots of a live H.265 camera`);
        const r = await measureSnapshots(video, options.mode === 'quick' ? 5 : 10);
        (results.snapshot ??= {})[video] = r;
        log(`  ${Object.entries(r.byFrames).map(([n, s]) => `${n} frames: p50 ${s.p50.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`).join('; ')}; polled, time-boxed: p50 ${r.timeBoxed.p50.toFixed(0)} ms, max ${r.timeBoxed.max.toFixed(0)} ms`);
      }
    }
  } finally {
    await browser?.close();
    await release(host);
  }
  results.durationMinutes = (Date.now() - started) / 60000;
  const file = writeReport(results, join(repoRoot, 'bench/results'));
  log(`results: ${file} (${results.durationMinutes.toFixed(1)} min)`);
}

async function closeAll(): Promise<void> {
  for (const c of closing.splice(0).reverse()) await c.close().catch(() => undefined);
}

const parsed = parseOptions(process.argv.slice(2));
if (parsed === 'help') {
  process.stdout.write(HELP + '\n');
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void closeAll().finally(() => process.exit(130)));
  }
  try {
    await main(parsed);
  } catch (err) {
    process.exitCode = 1;
    log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    await closeAll();
  }
}
