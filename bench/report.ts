/**
 * Turns one benchmark run into bench/results/<date>-<machine>.md (tables: camrtc / Janus / ratio,
 * targets from the issue), the raw numbers as .json, and SVG plots beside them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HotSpot } from './cpuProfile.js';
import type { BenchOptions } from './options.js';
import type { ServerName } from './servers.js';
import type { Summary } from './stats.js';
import { COLORS, lineChart, type Series } from './svg.js';
import { cpuPercent, liveTargetRows, perCamera, pictureAgeChart, renderLiveSections, rssMiB, type LiveResults } from './reportLive.js';

export type { LiveResult } from './reportLive.js';
import type { LoadResult } from './viewerLoad.js';
import type { SnapshotResult, TranscodeResult } from './transcodeBench.js';

export interface LatencyResult extends Summary {
  /** The same from 5 s after the first frame on. */
  steady: Summary;
  bad: number;
  frames: number;
  width: number;
  height: number;
  series: Array<[number, number]>;
}

export interface BenchResults {
  date: string;
  mode: string;
  machine: Record<string, string | number>;
  options: BenchOptions;
  /** By camera ("720p", "1080p"), then server. */
  latency: Record<string, Partial<Record<ServerName, LatencyResult>>>;
  firstFrame: Record<string, Partial<Record<ServerName, Summary & { times: number[]; steps: Record<string, number> }>>>;
  /** Time to a live picture (warm camera) and an idle camera's first frame, by camera mode then server. */
  live: LiveResults;
  idle: LiveResults;
  viewers: Record<ServerName, LoadResult[]>;
  cameras: Record<ServerName, LoadResult[]>;
  drift: Partial<Record<ServerName, { startP50: number; endP50: number; minutes: number; series: Array<[number, number]> }>>;
  profile?: { viewers: number; file: string; hotSpots: HotSpot[] };
  /** H.265 to H.264 transcode (camrtc only), by camera ("720p", "1080p"). */
  transcode?: Record<string, TranscodeResult>;
  /** Snapshot of a live H.265 camera (camrtc only), by camera. */
  snapshot?: Record<string, SnapshotResult>;
  durationMinutes?: number;
}

const SERVERS: ServerName[] = ['camrtc', 'janus'];
/** The page-side steps timed before the first frame (browserProbe.ts marks), in order. */
export const FIRST_FRAME_STEPS = ['offer', 'answer', 'connected', 'track'] as const;
const STEP_LABELS: Record<(typeof FIRST_FRAME_STEPS)[number], string> = {
  offer: 'offer applied (page loaded, signaling done)',
  answer: 'answer created',
  connected: 'ICE + DTLS connected',
  track: 'track event',
};
const MiB = 2 ** 20;

function num(v: number | undefined, digits = 0): string {
  return v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : (a / b).toFixed(2);
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Server CPU attributable to the viewers, per viewer, in % of one core. */
export function cpuPerViewer(r: LoadResult): number {
  return r.connected > 0 ? ((r.cpu - r.idleCpu) / r.connected) * 100 : Number.NaN;
}

/** Server RSS attributable to the viewers, per viewer, in MiB. */
export function rssPerViewer(r: LoadResult): number {
  return r.connected > 0 ? (r.rss - r.idleRss) / r.connected / MiB : Number.NaN;
}

export function lossPercent(r: LoadResult): number {
  return r.expected > 0 ? (r.lost / r.expected) * 100 : Number.NaN;
}

/** The smallest viewer count at which any viewer lost a packet, stalled or failed to connect. */
export function lossOnset(rows: readonly LoadResult[]): string {
  const first = rows.find((r) => r.lost > 0 || r.failed > 0 || r.stalled > 0);
  return first ? `N = ${first.viewers}` : rows.length ? `none up to N = ${rows[rows.length - 1].viewers}` : 'n/a';
}

function fileStem(results: BenchResults): string {
  const host = String(results.machine.host).replace(/[^A-Za-z0-9_.-]/g, '_');
  // Date and time: several runs a day (e.g. before and after a change) must not overwrite each other.
  return `${results.date.slice(0, 10)}-${results.date.slice(11, 13)}${results.date.slice(14, 16)}-${host}`;
}

export function renderMarkdown(results: BenchResults, stem: string): string {
  const m = results.machine;
  const out: string[] = [
    `# camrtc vs Janus: ${results.date.slice(0, 16).replace('T', ' ')} UTC, ${m.host}`,
    '',
    `Mode \`${results.mode}\`${results.durationMinutes ? `, ${results.durationMinutes.toFixed(0)} min` : ''}. Machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB; Node ${m.node}; Janus ${m.janus} (Debian); Chromium ${m.chromium}; GStreamer ${m.gstreamer}.`,
    'Camera: gst-rtsp-server (x264 ultrafast, zerolatency, baseline) with the wall clock stamped in every frame; both servers ingest it over RTSP/UDP and keep it connected without viewers.',
    'Ratios are camrtc / Janus (below 1: camrtc lower). Methods: docs/benchmarks.md.',
    '',
  ];
  const lat = results.latency['720p'];
  const ff = results.firstFrame['720p'];
  const v = results.viewers;
  const at = (name: ServerName, n: number): LoadResult | undefined => v[name].find((r) => r.viewers === n);
  const maxN = Math.max(0, ...v.camrtc.map((r) => r.viewers));
  out.push('## Targets', '', row(['target', 'camrtc', 'Janus', 'ratio', 'met']), row(['---', '---', '---', '---', '---']));
  if (lat?.camrtc && lat.janus) out.push(row(['glass-to-glass p50 ≤ Janus (720p)', `${num(lat.camrtc.p50)} ms`, `${num(lat.janus.p50)} ms`, ratio(lat.camrtc.p50, lat.janus.p50), lat.camrtc.p50 <= lat.janus.p50 ? 'yes' : 'no']));
  if (ff?.camrtc) out.push(row(['first frame p50 ≤ 300 ms (2 s GOP)', `${num(ff.camrtc.p50)} ms`, `${num(ff.janus?.p50)} ms`, ratio(ff.camrtc.p50, ff.janus?.p50), ff.camrtc.p50 <= 300 ? 'yes' : 'no']));
  const c100 = at('camrtc', maxN);
  const j100 = at('janus', maxN);
  if (c100 && j100) {
    out.push(row([`server CPU per viewer ≤ Janus (N = ${maxN})`, `${num(cpuPerViewer(c100), 2)} %`, `${num(cpuPerViewer(j100), 2)} %`, ratio(cpuPerViewer(c100), cpuPerViewer(j100)), cpuPerViewer(c100) <= cpuPerViewer(j100) ? 'yes' : 'no']));
    out.push(row([`${maxN} viewers of the 2 Mbit/s camera, no loss`, `${c100.connected} connected, ${num(lossPercent(c100), 2)} % lost`, `${j100.connected} connected, ${num(lossPercent(j100), 2)} % lost`, '', c100.connected === maxN && c100.lost === 0 ? 'yes' : 'no']));
    out.push(row([`RSS ≤ 1 MB per viewer (N = ${maxN})`, `${num(rssPerViewer(c100), 2)} MiB`, `${num(rssPerViewer(j100), 2)} MiB`, ratio(rssPerViewer(c100), rssPerViewer(j100)), rssPerViewer(c100) <= 1 ? 'yes' : 'no']));
  }
  out.push(...liveTargetRows(results.live ?? {}, results.idle ?? {}));
  const cams0 = results.cameras;
  const m30 = cams0.camrtc.some((r) => r.cameras === 30) ? 30 : Math.max(0, ...cams0.camrtc.map((r) => r.cameras));
  if (m30 > 1 && cams0.janus.some((r) => r.cameras === m30)) {
    for (const [what, pick, unit] of [['CPU', cpuPercent, '%'], ['RSS', rssMiB, 'MiB']] as const) {
      const c = perCamera(cams0.camrtc, m30, pick);
      const j = perCamera(cams0.janus, m30, pick);
      out.push(row([`${what} per camera ≤ Janus (M = ${m30}, one viewer each)`, `${num(c, 2)} ${unit}`, `${num(j, 2)} ${unit}`, ratio(c, j), c <= j ? 'yes' : 'no']));
    }
  }
  const mMax = Math.max(0, ...cams0.camrtc.map((r) => r.cameras));
  const cMax = cams0.camrtc.find((r) => r.cameras === mMax);
  if (cMax && mMax >= 100) {
    const jMax = cams0.janus.find((r) => r.cameras === mMax);
    out.push(row([`${mMax} cameras without loss`, `${cMax.connected} connected, ${num(lossPercent(cMax), 2)} % lost`, jMax ? `${jMax.connected} connected, ${num(lossPercent(jMax), 2)} % lost` : 'n/a', '', cMax.connected === mMax && cMax.lost === 0 && cMax.stalled === 0 ? 'yes' : 'no']));
  }
  const d = results.drift;
  if (d.camrtc) out.push(row([`no latency drift (p50 start → after ${num(d.camrtc.minutes)} min)`, `${num(d.camrtc.startP50)} → ${num(d.camrtc.endP50)} ms`, d.janus ? `${num(d.janus.startP50)} → ${num(d.janus.endP50)} ms` : 'n/a', '', Math.abs(d.camrtc.endP50 - d.camrtc.startP50) <= 20 ? 'yes (within 20 ms)' : 'no']));
  out.push('');

  for (const [key, byServer] of Object.entries(results.latency)) {
    out.push(`## Glass-to-glass latency, ${key} (${num(byServer.camrtc?.count ?? byServer.janus?.count)} frames or more)`, '');
    out.push(row(['ms', 'camrtc', 'Janus', 'ratio']), row(['---', '---', '---', '---']));
    for (const k of ['p50', 'p95', 'max'] as const) out.push(row([k, num(byServer.camrtc?.[k]), num(byServer.janus?.[k]), ratio(byServer.camrtc?.[k], byServer.janus?.[k])]));
    for (const k of ['p50', 'p95', 'max'] as const) out.push(row([`${k} from 5 s on`, num(byServer.camrtc?.steady[k]), num(byServer.janus?.steady[k]), ratio(byServer.camrtc?.steady[k], byServer.janus?.steady[k])]));
    out.push(row(['frames read / unreadable', `${byServer.camrtc?.count ?? 0} / ${byServer.camrtc?.bad ?? 0}`, `${byServer.janus?.count ?? 0} / ${byServer.janus?.bad ?? 0}`, '']));
    out.push('', `![latency ${key}](${stem}-latency-${key}.svg)`, '');
  }
  for (const [key, byServer] of Object.entries(results.firstFrame)) {
    out.push(`## First frame, ${key} (navigation to first decoded frame, ${byServer.camrtc?.count ?? byServer.janus?.count} loads at random GOP points)`, '');
    out.push(row(['ms', 'camrtc', 'Janus', 'ratio']), row(['---', '---', '---', '---']));
    for (const k of ['p50', 'p95', 'max'] as const) out.push(row([k, num(byServer.camrtc?.[k]), num(byServer.janus?.[k]), ratio(byServer.camrtc?.[k], byServer.janus?.[k])]));
    for (const step of FIRST_FRAME_STEPS) out.push(row([`p50 of: ${STEP_LABELS[step]}`, num(byServer.camrtc?.steps?.[step]), num(byServer.janus?.steps?.[step]), ratio(byServer.camrtc?.steps?.[step], byServer.janus?.steps?.[step])]));
    out.push('');
  }
  out.push(...renderLiveSections(results.live ?? {}, results.idle ?? {}, stem));
  if (v.camrtc.length || v.janus.length) {
    out.push('## Cost per viewer (720p, 2 Mbit/s; werift viewers in a separate process)', '');
    out.push('CPU in % of one core (user+sys of the server process only); "per viewer" is (CPU with N viewers − CPU with none) / N, and the same for RSS. Loss: packets missing at the viewers during the window (after NACK repair). Drops: datagrams the kernel discarded at full receive buffers during the window, at the server\'s sockets / at the viewers\' sockets (viewer drops mean the viewer processes, not the server, lost them). Viewer CPU: the swarm processes together. "stalled": connected viewers that received nothing during the window; "pkt/s per viewer": packets received per connected viewer per second (the camera sends about 200).', '');
    out.push(row(['N', 'CPU camrtc', 'CPU Janus', 'ratio', 'CPU/viewer camrtc', 'CPU/viewer Janus', 'ratio', 'RSS camrtc', 'RSS Janus', 'RSS/viewer camrtc', 'RSS/viewer Janus', 'lost camrtc', 'lost Janus', 'drops camrtc', 'drops Janus', 'pkt/s per viewer c / J', 'viewer CPU c / J']));
    out.push(row(Array(17).fill('---')));
    const ns = [...new Set([...v.camrtc, ...v.janus].map((r) => r.viewers))].sort((a, b) => a - b);
    for (const n of ns) {
      const c = at('camrtc', n);
      const j = at('janus', n);
      const rate = (r: LoadResult): number => (r.connected ? r.received / r.connected / r.windowSeconds : Number.NaN);
      const drops = (r?: LoadResult): string => (r ? `${r.serverDrops ?? 'n/a'} / ${r.viewerDrops ?? 'n/a'}` : 'n/a');
      const lost = (r?: LoadResult): string => {
        if (!r) return 'n/a';
        const notes = [r.failed ? `${r.failed} never connected` : '', r.stalled ? `${r.stalled} stalled` : ''].filter(Boolean).join(', ');
        return `${num(lossPercent(r), 2)} %${notes ? ` (${notes})` : ''}`;
      };
      out.push(row([String(n), `${num(c && c.cpu * 100, 1)} %`, `${num(j && j.cpu * 100, 1)} %`, ratio(c?.cpu, j?.cpu),
        `${num(c && cpuPerViewer(c), 2)} %`, `${num(j && cpuPerViewer(j), 2)} %`, ratio(c && cpuPerViewer(c), j && cpuPerViewer(j)),
        `${num(c && c.rss / MiB)} MiB`, `${num(j && j.rss / MiB)} MiB`, `${num(c && rssPerViewer(c), 2)} MiB`, `${num(j && rssPerViewer(j), 2)} MiB`,
        lost(c), lost(j), drops(c), drops(j), `${num(c && rate(c))} / ${num(j && rate(j))}`, `${num(c && c.swarmCpu * 100)} % / ${num(j && j.swarmCpu * 100)} %`]));
    }
    out.push('', `Packet loss starts at: camrtc ${lossOnset(v.camrtc)}; Janus ${lossOnset(v.janus)}.`, '');
    out.push(`![CPU against viewers](${stem}-cpu-viewers.svg)`, '', `![RSS against viewers](${stem}-rss-viewers.svg)`, '');
  }
  const cams = results.cameras;
  if (cams.camrtc.length || cams.janus.length) {
    out.push('## Cost per camera (M cameras, one viewer each)', '');
    out.push('"per camera" is the marginal cost: (value at M − value at M = 1) / (M − 1), the process\'s baseline apart.', '');
    out.push(row(['M', 'CPU camrtc', 'CPU Janus', 'ratio', 'CPU/camera camrtc', 'CPU/camera Janus', 'ratio', 'RSS camrtc', 'RSS Janus', 'ratio', 'RSS/camera camrtc', 'RSS/camera Janus', 'ratio', 'lost camrtc', 'lost Janus', 'drops c / J']), row(Array(16).fill('---')));
    const ms = [...new Set([...cams.camrtc, ...cams.janus].map((r) => r.cameras))].sort((a, b) => a - b);
    const lost = (r?: LoadResult): string => (r ? `${num(lossPercent(r), 2)} %${r.failed ? ` (${r.failed} never connected)` : ''}${r.stalled ? ` (${r.stalled} stalled)` : ''}` : 'n/a');
    for (const mm of ms) {
      const c = cams.camrtc.find((r) => r.cameras === mm);
      const j = cams.janus.find((r) => r.cameras === mm);
      const [cc, jc, cr, jr] = [perCamera(cams.camrtc, mm, cpuPercent), perCamera(cams.janus, mm, cpuPercent), perCamera(cams.camrtc, mm, rssMiB), perCamera(cams.janus, mm, rssMiB)];
      out.push(row([String(mm), `${num(c && c.cpu * 100, 1)} %`, `${num(j && j.cpu * 100, 1)} %`, ratio(c?.cpu, j?.cpu), `${num(cc, 2)} %`, `${num(jc, 2)} %`, ratio(cc, jc),
        `${num(c && c.rss / MiB)} MiB`, `${num(j && j.rss / MiB)} MiB`, ratio(c?.rss, j?.rss), `${num(cr, 2)} MiB`, `${num(jr, 2)} MiB`, ratio(cr, jr),
        lost(c), lost(j), `${c?.serverDrops ?? 'n/a'} / ${j?.serverDrops ?? 'n/a'}`]));
    }
    out.push('');
  }
  if (d.camrtc || d.janus) {
    const mins = num((d.camrtc ?? d.janus)!.minutes);
    out.push(`## Latency drift (${mins} min, both servers side by side)`, '');
    out.push(row(['p50 ms', 'camrtc', 'Janus', 'ratio']), row(['---', '---', '---', '---']));
    out.push(row(['start', num(d.camrtc?.startP50), num(d.janus?.startP50), ratio(d.camrtc?.startP50, d.janus?.startP50)]));
    out.push(row([`after ${mins} min`, num(d.camrtc?.endP50), num(d.janus?.endP50), ratio(d.camrtc?.endP50, d.janus?.endP50)]));
    out.push('', `![latency over time](${stem}-drift.svg)`, '');
  }
  if (results.transcode) {
    out.push('## H.265 to H.264 transcode (camrtc, one ffmpeg; H.265 testsrc2 with noise, 30 fps, 2 s GOP)', '');
    out.push(row(['camera', 'added latency p50', 'p95', 'max', 'ffmpeg CPU', 'pictures in / out']), row(['---', '---', '---', '---', '---', '---']));
    for (const [key, r] of Object.entries(results.transcode)) {
      out.push(row([key, `${num(r.latency.p50, 1)} ms`, `${num(r.latency.p95, 1)} ms`, `${num(r.latency.max, 1)} ms`, `${num(r.cpu * 100)} % of a core`, `${r.framesIn} / ${r.framesOut}`]));
    }
    out.push('');
  }
  if (results.snapshot) {
    out.push('## Snapshot of a live H.265 camera (request to JPEG, spare ffmpeg waiting; GOP cached up to N frames, or a 2 s GOP polled with the time box)', '');
    const counts = Object.keys(Object.values(results.snapshot)[0]?.byFrames ?? {});
    out.push(row(['camera', ...counts.map((n) => `${n} frame${n === '1' ? '' : 's'} decoded: p50 / max`), 'polled, time-boxed: p50 / max']), row(['---', ...counts.map(() => '---'), '---']));
    for (const [key, r] of Object.entries(results.snapshot)) {
      out.push(row([key, ...counts.map((n) => `${num(r.byFrames[n]?.p50)} / ${num(r.byFrames[n]?.max)} ms`), `${num(r.timeBoxed.p50)} / ${num(r.timeBoxed.max)} ms`]));
    }
    out.push('');
  }
  if (results.profile) {
    out.push(`## camrtc CPU profile (${results.profile.viewers} viewers, self time)`, '');
    out.push(row(['share', 'function']), row(['---', '---']));
    for (const h of results.profile.hotSpots) out.push(row([`${(h.self * 100).toFixed(1)} %`, `\`${h.where}\``]));
    out.push('');
  }
  return out.join('\n');
}

/** Median per bucket of `seconds`: a readable line from thousands of frames. */
function bucketed(series: Array<[number, number]>, seconds: number): Array<[number, number]> {
  const buckets = new Map<number, number[]>();
  for (const [t, l] of series) {
    const b = Math.floor(t / seconds);
    (buckets.get(b) ?? buckets.set(b, []).get(b)!).push(l);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, ls]) => [b * seconds + seconds / 2, ls.sort((x, y) => x - y)[Math.floor(ls.length / 2)]]);
}

export function writeReport(results: BenchResults, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const stem = fileStem(results);
  const svg = (name: string, text: string): void => writeFileSync(join(dir, `${stem}-${name}.svg`), text);
  const named = (name: ServerName): string => (name === 'camrtc' ? 'camrtc' : 'Janus');
  for (const [key, byServer] of Object.entries(results.latency)) {
    const series: Series[] = SERVERS.filter((s) => byServer[s]).map((s) => ({ name: named(s), color: COLORS[s], points: byServer[s]!.series }));
    svg(`latency-${key}`, lineChart(series, { title: `Glass-to-glass latency, ${key}, every frame`, xLabel: 'seconds', yLabel: 'ms' }));
  }
  const loadSeries = (pick: (r: LoadResult) => number): Series[] =>
    SERVERS.filter((s) => results.viewers[s].length).map((s) => ({ name: named(s), color: COLORS[s], points: results.viewers[s].map((r) => [r.viewers, pick(r)] as [number, number]) }));
  if (results.viewers.camrtc.length || results.viewers.janus.length) {
    svg('cpu-viewers', lineChart(loadSeries((r) => r.cpu * 100), { title: 'Server CPU against viewers (2 Mbit/s)', xLabel: 'viewers', yLabel: '% of one core', markers: true }));
    svg('rss-viewers', lineChart(loadSeries((r) => r.rss / MiB), { title: 'Server RSS against viewers', xLabel: 'viewers', yLabel: 'MiB', markers: true }));
  }
  if (results.drift.camrtc || results.drift.janus) {
    const series: Series[] = SERVERS.filter((s) => results.drift[s]).map((s) => ({ name: `${named(s)} (median per 10 s)`, color: COLORS[s], points: bucketed(results.drift[s]!.series, 10) }));
    svg('drift', lineChart(series, { title: 'Glass-to-glass latency over time', xLabel: 'seconds', yLabel: 'ms' }));
  }
  const age = pictureAgeChart(results.live ?? {});
  if (age) svg('picture-age', age);
  const md = join(dir, `${stem}.md`);
  writeFileSync(md, renderMarkdown(results, stem) + '\n');
  writeFileSync(join(dir, `${stem}.json`), JSON.stringify(results, (k, val) => (k === 'series' ? undefined : val), 1) + '\n');
  return md;
}
