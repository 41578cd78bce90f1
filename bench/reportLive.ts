/**
 * The report's sections for what a viewer sees after opening the page (issue 18): time to a live
 * picture with a warm camera, first frame from an idle camera, each per camera mode (keyframe
 * requests honoured or ignored), the per-camera cost, and the picture-age plot. Pure: returns text.
 */
import type { LiveSummary } from './livePicture.js';
import type { PliMode } from './options.js';
import type { ServerName } from './servers.js';
import { COLORS, lineChart, type Series } from './svg.js';
import type { LoadResult } from './viewerLoad.js';

export interface LiveResult extends LiveSummary {
  /** Keyframe requests (RTCP PLI/FIR) the camera received during the loads. */
  keyframeRequests: number;
  /** The picture's age across loads over the first seconds: [s since navigation, ms]. */
  ages: { median: Array<[number, number]>; p95: Array<[number, number]> };
}

export type LiveResults = Partial<Record<PliMode, Partial<Record<ServerName, LiveResult>>>>;

/** The targets: live picture from navigation with a warm camera, and an idle camera's first frame. */
export const LIVE_P50_TARGET_MS = 300;
export const LIVE_P95_TARGET_MS = 600;
export const IDLE_P95_TARGET_MS = 1000;
export const IDLE_MAX_TARGET_MS = 1500;

const PLI_LABEL: Record<PliMode, string> = { honour: 'camera honours keyframe requests', ignore: 'camera ignores keyframe requests' };
const MiB = 2 ** 20;

function ms(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  return v === Number.POSITIVE_INFINITY ? 'never' : v.toFixed(0);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : (a / b).toFixed(2);
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Rows of the targets table for these sections (| target | camrtc | Janus | ratio | met |). */
export function liveTargetRows(live: LiveResults, idle: LiveResults): string[] {
  const out: string[] = [];
  const warm = live.ignore;
  if (warm?.camrtc) {
    const c = warm.camrtc.live;
    const j = warm.janus?.live;
    out.push(row([`live picture p50 ≤ ${LIVE_P50_TARGET_MS} ms (warm camera ignoring PLI, 2 s GOP)`, `${ms(c.p50)} ms`, `${ms(j?.p50)} ms`, ratio(c.p50, j?.p50), c.p50 <= LIVE_P50_TARGET_MS ? 'yes' : 'no']));
    out.push(row([`live picture p95 ≤ ${LIVE_P95_TARGET_MS} ms (same)`, `${ms(c.p95)} ms`, `${ms(j?.p95)} ms`, ratio(c.p95, j?.p95), c.p95 <= LIVE_P95_TARGET_MS ? 'yes' : 'no']));
  }
  for (const pli of ['honour', 'ignore'] as const) {
    const c = idle[pli]?.camrtc;
    if (!c) continue;
    const met = c.firstFrame.p95 <= IDLE_P95_TARGET_MS && c.firstFrame.max <= IDLE_MAX_TARGET_MS;
    out.push(row([`idle camera (${pli === 'honour' ? 'honours' : 'ignores'} PLI): first frame p95 ≤ 1 s, none over 1.5 s (${c.loads} loads)`, `${ms(c.firstFrame.p95)} / max ${ms(c.firstFrame.max)} ms`, 'n/a (always connected)', '', met ? 'yes' : 'no']));
  }
  return out;
}

function liveTable(byServer: Partial<Record<ServerName, LiveResult>>): string[] {
  const c = byServer.camrtc;
  const j = byServer.janus;
  const out = [row(['ms from navigation', 'camrtc', 'Janus', 'ratio']), row(['---', '---', '---', '---'])];
  const metrics: Array<[string, (r: LiveResult) => LiveSummary['live']]> = [
    ['first frame', (r) => r.firstFrame],
    ["first frame's age (glass-to-glass)", (r) => r.firstAge],
    ['live picture (first frame ≤ 150 ms old)', (r) => r.live],
  ];
  for (const [label, pick] of metrics) {
    for (const k of ['p50', 'p95', 'max'] as const) {
      const a = c && pick(c)[k];
      const b = j && pick(j)[k];
      out.push(row([`${label} ${k}`, ms(a), ms(b), ratio(a, b)]));
    }
  }
  out.push(row(['loads never live within 10 s', String(c?.neverLive ?? 'n/a'), String(j?.neverLive ?? 'n/a'), '']));
  out.push(row(['keyframe requests the camera received', String(c?.keyframeRequests ?? 'n/a'), String(j?.keyframeRequests ?? 'n/a'), '']));
  return out;
}

export function renderLiveSections(live: LiveResults, idle: LiveResults, stem: string): string[] {
  const out: string[] = [];
  for (const pli of ['ignore', 'honour'] as const) {
    const byServer = live[pli];
    if (!byServer) continue;
    const loads = byServer.camrtc?.loads ?? byServer.janus?.loads;
    out.push(`## Time to a live picture, warm camera, ${PLI_LABEL[pli]} (720p, 2 s GOP, ${loads} loads at random GOP points)`, '');
    out.push('Per page load: navigation start to the first decoded frame, that frame\'s glass-to-glass age, and navigation start to the first frame no more than 150 ms old. "never" is a load not live within 10 s.', '');
    out.push(...liveTable(byServer), '');
    if (pli === 'ignore' || !live.ignore) out.push(`![picture age after navigation](${stem}-picture-age.svg)`, '');
  }
  const idlePlis = (['honour', 'ignore'] as const).filter((p) => idle[p]?.camrtc);
  if (idlePlis.length) {
    out.push(`## Idle camera (camrtc without preload; its idle timer ran out and the camera has no RTSP session when the page opens)`, '');
    out.push('Janus has no idle mode: its streaming plugin keeps every RTSP mountpoint connected. gst-rtsp-server starts the encoder afresh for a session when no other client holds it, so the first frame is a keyframe (as cameras that start each session with one).', '');
    out.push(row(['ms from navigation', ...idlePlis.map((p) => `camrtc, ${PLI_LABEL[p]}`)]), row(['---', ...idlePlis.map(() => '---')]));
    for (const [label, pick] of [['first frame', (r: LiveResult) => r.firstFrame], ["first frame's age", (r: LiveResult) => r.firstAge], ['live picture', (r: LiveResult) => r.live]] as const) {
      for (const k of ['p50', 'p95', 'max'] as const) out.push(row([`${label} ${k}`, ...idlePlis.map((p) => ms(pick(idle[p]!.camrtc!)[k]))]));
    }
    out.push(row(['loads', ...idlePlis.map((p) => String(idle[p]!.camrtc!.loads))]), '');
  }
  return out;
}

/** The age plot: median and p95 across loads, camrtc and Janus, warm camera (ignoring PLI when measured). */
export function pictureAgeChart(live: LiveResults): string | undefined {
  const byServer = live.ignore ?? live.honour;
  if (!byServer) return undefined;
  const mode = live.ignore ? 'camera ignoring PLI' : 'camera honouring PLI';
  const series: Series[] = [];
  for (const name of ['camrtc', 'janus'] as const) {
    const r = byServer[name];
    if (!r) continue;
    const label = name === 'camrtc' ? 'camrtc' : 'Janus';
    series.push({ name: `${label} median`, color: COLORS[name], points: r.ages.median });
    series.push({ name: `${label} p95`, color: COLORS[name], points: r.ages.p95, dash: '6 4' });
  }
  return lineChart(series, { title: `Age of the picture on screen after navigation (warm camera, ${mode})`, xLabel: 'seconds since navigation (no line: fewer than half, or 95 %, of the loads show a picture yet)', yLabel: 'ms', xMin: 0 });
}

/**
 * Marginal cost of a camera: (X(M) − X(1)) / (M − 1), so the process's baseline and the first
 * camera's fixed cost are apart. NaN for M = 1 or when M = 1 was not measured.
 */
export function perCamera(rows: readonly LoadResult[], m: number, pick: (r: LoadResult) => number): number {
  const one = rows.find((r) => r.cameras === 1);
  const at = rows.find((r) => r.cameras === m);
  return one && at && m > 1 ? (pick(at) - pick(one)) / (m - 1) : Number.NaN;
}

export const cpuPercent = (r: LoadResult): number => r.cpu * 100;
export const rssMiB = (r: LoadResult): number => r.rss / MiB;
