/**
 * Glass-to-glass latency and first-frame time in headless Debian Chromium (the e2e suite's flags),
 * through camrtc's own camera page and through a minimal Janus page (bench/pages/janus.html) served by
 * a loopback HTTP server of the benchmark.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../test/helpers/paths.js';
import { EARLY_WINDOW_MS, FIRST_FRAME_MESSAGE, LIVE_MAX_AGE_MS, LIVE_MESSAGE, installProbe, type ProbeState } from './browserProbe.js';
import type { BenchServer } from './servers.js';
import { sleep } from './stats.js';

const FIRST_FRAME_TIMEOUT_MS = 20_000;

/** Serves the Janus viewer page on 127.0.0.1. close() is idempotent. */
export class PageHost {
  #closed = false;
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<PageHost> {
    const html = readFileSync(join(repoRoot, 'bench/pages/janus.html'));
    const server = createServer((req, res) => {
      if ((req.url ?? '').startsWith('/janus.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new PageHost(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export function pageUrl(server: BenchServer, host: PageHost, camera: string): string {
  return server.name === 'camrtc'
    ? `${server.apiUrl}/camera/${camera}`
    : `${host.url}/janus.html?api=${encodeURIComponent(server.apiUrl)}&id=${camera}`;
}

async function openProbed(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(installProbe, { firstFrameMessage: FIRST_FRAME_MESSAGE, liveMessage: LIVE_MESSAGE, liveMaxAgeMs: LIVE_MAX_AGE_MS, earlyWindowMs: EARLY_WINDOW_MS });
  await page.goto(url);
  return page;
}

async function readProbe(page: Page, drain: boolean): Promise<ProbeState> {
  return page.evaluate((d) => {
    const s = (window as unknown as { __bench: ProbeState }).__bench;
    const copy = { ...s, samples: s.samples };
    if (d) s.samples = [];
    return copy;
  }, drain);
}

/**
 * Waits for the probe's first-frame message rather than polling the page: a poll every 20 ms was a
 * task on the page's main thread and a round trip through the browser process each time, all inside
 * the window being measured, on a machine whose 2 cores the page load already saturates.
 */
async function waitFirstFrame(page: Page): Promise<number> {
  const at = await waitProbe(page, FIRST_FRAME_MESSAGE, (s) => s.firstFrame, FIRST_FRAME_TIMEOUT_MS);
  if (at === undefined) throw new Error(`no frame decoded within ${FIRST_FRAME_TIMEOUT_MS} ms at ${page.url()}`);
  return at;
}

/** Waits for `message` from the probe; `pick` reads the mark it sets (-1 until then). undefined on timeout. */
async function waitProbe(page: Page, message: string, pick: (s: ProbeState) => number, timeoutMs: number): Promise<number | undefined> {
  // Settled at once (true: logged, false: timed out), so a timeout while the probe is read is no unhandled rejection.
  const logged = page.waitForEvent('console', { predicate: (m) => m.text() === message, timeout: timeoutMs }).then(() => true, () => false);
  // The mark may have come before the wait began (page.goto returns at the load event).
  const before = pick(await readProbe(page, false));
  if (before >= 0) return before;
  if (!(await logged)) return undefined;
  return pick(await readProbe(page, false));
}

export interface LatencyRun {
  /** [seconds since the start of the run, latency ms] per decoded frame with a readable stamp. */
  samples: Array<[number, number]>;
  bad: number;
  frames: number;
  width: number;
  height: number;
}

/** Watches `url` for `durationMs` after the first frame and returns every frame's latency. */
export async function measureLatency(browser: Browser, url: string, durationMs: number, onProgress?: (run: LatencyRun) => void): Promise<LatencyRun> {
  const page = await openProbed(browser, url);
  try {
    await waitFirstFrame(page);
    const run: LatencyRun = { samples: [], bad: 0, frames: 0, width: 0, height: 0 };
    const start = Date.now();
    const drainEveryMs = 5000;
    while (Date.now() - start < durationMs) {
      await sleep(Math.min(drainEveryMs, durationMs - (Date.now() - start)));
      const s = await readProbe(page, true);
      for (const [at, latency] of s.samples) run.samples.push([(at - start) / 1000, latency]);
      run.bad = s.bad;
      run.frames = s.frames;
      run.width = s.width;
      run.height = s.height;
      onProgress?.(run);
    }
    return run;
  } finally {
    await page.context().close();
  }
}

/**
 * Page navigation to first decoded frame over `loads` fresh page loads, each after a random wait
 * of up to one GOP so the loads land at random points of the GOP.
 */
export interface FirstFrameLoad {
  /** ms from navigation start to the first decoded frame. */
  firstFrame: number;
  /** ms from navigation start to each step before it. */
  marks: ProbeState['marks'];
}

export async function measureFirstFrames(browser: Browser, url: string, loads: number, gopMs: number): Promise<FirstFrameLoad[]> {
  const times: FirstFrameLoad[] = [];
  for (let i = 0; i < loads; i++) {
    await sleep(Math.random() * gopMs);
    const page = await openProbed(browser, url);
    try {
      const firstFrame = await waitFirstFrame(page);
      times.push({ firstFrame, marks: (await readProbe(page, false)).marks });
    } finally {
      await page.context().close();
    }
  }
  return times;
}

/** One page load as a viewer sees it: the first frame, its age, and how long until the picture is live. */
export interface LiveLoad {
  /** ms from navigation start to the first decoded frame. */
  firstFrame: number;
  /** Glass-to-glass age of the first readable frame, ms. */
  firstAge: number;
  /** ms from navigation start to the first frame no more than LIVE_MAX_AGE_MS old; NaN: none within LIVE_TIMEOUT_MS. */
  live: number;
  /** [ms since navigation, age ms] of every frame shown in the first EARLY_WINDOW_MS. */
  early: Array<[number, number]>;
  marks: ProbeState['marks'];
}

/** A load whose picture is not live by then counts as never live (NaN: the report says so). */
export const LIVE_TIMEOUT_MS = 10_000;

/**
 * `loads` fresh page loads of `url`, each after `beforeLoad` (e.g. wait until the camera is idle) and
 * a random wait of up to `gopMs` (loads land at random points of the camera's GOP). Each page stays
 * open until its picture is live and EARLY_WINDOW_MS have passed since navigation.
 */
export async function measureLiveLoads(browser: Browser, url: string, loads: number, gopMs: number, beforeLoad?: () => Promise<void>): Promise<LiveLoad[]> {
  const out: LiveLoad[] = [];
  for (let i = 0; i < loads; i++) {
    await beforeLoad?.();
    await sleep(Math.random() * gopMs);
    const page = await openProbed(browser, url);
    try {
      const firstFrame = await waitFirstFrame(page);
      const remaining = LIVE_TIMEOUT_MS - (await page.evaluate(() => performance.now()));
      const live = await waitProbe(page, LIVE_MESSAGE, (s) => s.liveAt, Math.max(1, remaining));
      const elapsed = await page.evaluate(() => performance.now());
      if (elapsed < EARLY_WINDOW_MS) await sleep(EARLY_WINDOW_MS - elapsed + 50);
      const s = await readProbe(page, false);
      const firstAge = s.samples[0]?.[1] ?? Number.NaN;
      out.push({ firstFrame, firstAge, live: live ?? Number.NaN, early: s.early, marks: s.marks });
    } finally {
      await page.context().close();
    }
  }
  return out;
}
