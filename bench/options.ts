/**
 * `npm run bench -- [flags]`. The default is the full run the issue describes; --quick is a shorter
 * variant for a first look; --soak stretches the drift run to one hour.
 */
export const SECTIONS = ['latency', 'firstframe', 'live', 'idle', 'viewers', 'cameras', 'drift', 'transcode', 'snapshot'] as const;
/** The bench camera's answer to keyframe requests (RTCP PLI): honoured (gst-rtsp-server) or ignored (most IP cameras). */
export const PLI_MODES = ['honour', 'ignore'] as const;
export type PliMode = (typeof PLI_MODES)[number];
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  mode: 'quick' | 'full' | 'soak';
  sections: Section[];
  servers: Array<'camrtc' | 'janus'>;
  /** Glass-to-glass window per server and camera, ms (the issue asks for at least 20 s). */
  latencyMs: number;
  /** First-frame page loads per server and camera (at least 10). */
  firstFrameLoads: number;
  /** Page loads per server and camera mode for the live picture (warm camera) and the idle camera. */
  liveLoads: number;
  idleLoads: number;
  /** Camera modes for the live picture and idle camera sections. */
  pli: PliMode[];
  viewerCounts: number[];
  cameraCounts: number[];
  /** Load measurement: idle baseline, warm-up after the last viewer connected, measured window. */
  idleMs: number;
  warmupMs: number;
  windowMs: number;
  /** Drift run length and the windows compared at its start and end. */
  driftMs: number;
  driftWindowMs: number;
  /** Run camrtc under `node --cpu-prof` during the viewer measurement with this many viewers. */
  profileViewers?: number;
  /** Cameras for latency and first frame: 1280x720 2 Mbit/s, 1920x1080 4 Mbit/s. */
  video: Array<'720p' | '1080p'>;
}

export const HELP = `npm run bench -- [--quick | --soak] [--only=latency,firstframe,live,idle,viewers,cameras,drift,transcode,snapshot]
                 [--servers=camrtc,janus] [--video=720p,1080p] [--pli=honour,ignore] [--profile=N]
                 [--viewers=1,10,50,100] [--cameras=1,10,30,100] [--loads=N]
  (default)  full run: 30 s latency, 20 page loads, N = 1,10,50,100 viewers, M = 1,10,30,100 cameras, 10 min drift
  --quick    20 s latency, 10 page loads, shorter load windows, M = 1,10, 1 min drift
  --soak     the full run with a 1 hour drift run
  --only     sections: live = time to a live picture with a warm camera, idle = first frame from an idle
             camera (camrtc only), both once per --pli mode (720p, 2 s GOP)
  --video    cameras for latency and first frame (default both; load tests always use 720p)
  --pli      the bench camera honours RTCP keyframe requests (gst-rtsp-server's default) or ignores them
             (most IP cameras); default both
  --viewers, --cameras  the N and M of the load sections;  --loads  page loads of firstframe, live, idle
  --profile=N  run camrtc with node --cpu-prof while N viewers watch (profiles in bench/work/profiles/)`;

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}\n${HELP}`);
    flags.set(m[1], m[2] ?? '');
  }
  for (const f of flags.keys()) {
    if (!['quick', 'soak', 'only', 'servers', 'video', 'pli', 'viewers', 'cameras', 'loads', 'profile', 'help'].includes(f)) throw new Error(`unknown flag --${f}\n${HELP}`);
  }
  if (flags.has('help')) return 'help';
  const mode = flags.has('quick') ? 'quick' : flags.has('soak') ? 'soak' : 'full';
  const quick = mode === 'quick';
  const list = <T extends string>(value: string | undefined, allowed: readonly T[], all: T[]): T[] => {
    if (value === undefined) return all;
    const items = value.split(',').filter(Boolean);
    for (const i of items) if (!allowed.includes(i as T)) throw new Error(`unknown value ${i} (allowed: ${allowed.join(', ')})`);
    return items as T[];
  };
  const counts = (flag: string, all: number[]): number[] => {
    const value = flags.get(flag);
    if (value === undefined) return all;
    const items = value.split(',').filter(Boolean).map(Number);
    if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${flag}: expected counts like 1,10,30`);
    return items;
  };
  const loads = flags.has('loads') ? counts('loads', [])[0] : undefined;
  return {
    mode,
    sections: list(flags.get('only'), SECTIONS, [...SECTIONS]),
    servers: list(flags.get('servers'), ['camrtc', 'janus'] as const, ['camrtc', 'janus']),
    latencyMs: quick ? 20_000 : 30_000,
    firstFrameLoads: loads ?? (quick ? 10 : 20),
    liveLoads: loads ?? (quick ? 10 : 20),
    idleLoads: loads ?? (quick ? 10 : 20),
    pli: list(flags.get('pli'), PLI_MODES, [...PLI_MODES]),
    viewerCounts: counts('viewers', [1, 10, 50, 100]),
    cameraCounts: counts('cameras', quick ? [1, 10] : [1, 10, 30, 100]),
    idleMs: quick ? 2000 : 5000,
    warmupMs: quick ? 2000 : 5000,
    windowMs: quick ? 5000 : 15_000,
    driftMs: quick ? 60_000 : mode === 'soak' ? 3_600_000 : 600_000,
    driftWindowMs: quick ? 15_000 : 30_000,
    profileViewers: flags.has('profile') ? Number(flags.get('profile') || 50) : undefined,
    video: list(flags.get('video'), ['720p', '1080p'] as const, ['720p', '1080p']),
  };
}
