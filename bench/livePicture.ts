/**
 * What a viewer sees after opening the page (issue 18): per load the first frame, its age, and the
 * time to a live picture (the first frame no more than LIVE_MAX_AGE_MS old); across loads their
 * percentiles and the picture's age over the first seconds. Pure: no browser, no I/O.
 */
import { percentile, type Summary } from './stats.js';

/** Just what the summaries need from a page load (browserBench.ts LiveLoad). */
export interface LoadTimes {
  firstFrame: number;
  firstAge: number;
  /** NaN: the picture was not live within the load's timeout. */
  live: number;
  early: ReadonlyArray<readonly [number, number]>;
}

export interface LiveSummary {
  loads: number;
  firstFrame: Summary;
  firstAge: Summary;
  /** A load never live counts as infinitely late (so p95 and max say so rather than hide it). */
  live: Summary;
  neverLive: number;
  /** Per load, in order: [first frame, first frame's age, live] ms (the .json keeps them). */
  times: Array<[number, number, number]>;
}

function summary(values: readonly number[]): Summary {
  return { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: values.length ? Math.max(...values) : Number.NaN };
}

export function summarizeLive(loads: readonly LoadTimes[]): LiveSummary {
  const live = loads.map((l) => (Number.isFinite(l.live) ? l.live : Number.POSITIVE_INFINITY));
  return {
    loads: loads.length,
    firstFrame: summary(loads.map((l) => l.firstFrame)),
    firstAge: summary(loads.map((l) => l.firstAge).filter(Number.isFinite)),
    live: summary(live),
    neverLive: live.filter((v) => v === Number.POSITIVE_INFINITY).length,
    times: loads.map((l) => [Math.round(l.firstFrame), Math.round(l.firstAge), Number.isFinite(l.live) ? Math.round(l.live) : -1]),
  };
}

/**
 * The age of the picture on screen `t` ms after navigation: the last frame shown by then, aged by the
 * time it has been on screen (a frozen picture gets older). undefined before the first frame.
 * `early` is [ms since navigation, age when shown], in display order.
 */
export function pictureAge(early: ReadonlyArray<readonly [number, number]>, t: number): number | undefined {
  let shown: readonly [number, number] | undefined;
  for (const f of early) {
    if (f[0] > t) break;
    shown = f;
  }
  return shown ? shown[1] + (t - shown[0]) : undefined;
}

/**
 * Median and p95 across loads of the picture's age every `stepMs` over the first `windowMs`. A load
 * with no picture yet counts as infinitely old, so a line starts once half (p95: 95 %) of the loads
 * show a picture.
 */
export function ageOverTime(loads: readonly LoadTimes[], windowMs: number, stepMs: number): { median: Array<[number, number]>; p95: Array<[number, number]> } {
  const median: Array<[number, number]> = [];
  const p95: Array<[number, number]> = [];
  if (loads.length === 0) return { median, p95 };
  for (let t = 0; t <= windowMs; t += stepMs) {
    const ages = loads.map((l) => pictureAge(l.early, t) ?? Number.POSITIVE_INFINITY);
    const m = percentile(ages, 50);
    const p = percentile(ages, 95);
    if (Number.isFinite(m)) median.push([t / 1000, m]);
    if (Number.isFinite(p)) p95.push([t / 1000, p]);
  }
  return { median, p95 };
}
