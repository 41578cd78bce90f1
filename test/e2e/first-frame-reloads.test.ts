/// <reference lib="dom" />
/**
 * A user opening a camera page over and over (issue 13, bug 1): every load shows its first frame
 * within FIRST_FRAME_LIMIT_MS of navigation, for a live (`preload`) camera and for an idle camera
 * whose RTSP session stopped before each load. About one load in eight used to take ~10 s: the
 * browser's mDNS candidate, trickled right behind its answer, reached werift while it was still
 * applying the answer, and werift resolved it (10 s mDNS timeout) before starting ICE.
 *
 * Each load is a fresh browser context (no cache, new peer connection) 0.3-2.3 s after the last one
 * closed, and its candidates are the shape Chromium gives them by default (support/mdnsCandidates.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium } from './support/browser.js';
import { hideHostCandidatesBehindMdns, mdnsHiddenCount } from './support/mdnsCandidates.js';
import { waitFor } from '../integration/webrtc/helpers/waitFor.js';

const missing = GstCamera.missing() ?? browserMissing();
/** Navigation to first decoded frame, every load (the benchmark's median is ~0.3 s). */
const FIRST_FRAME_LIMIT_MS = 1_500;
/** A load is given this long, so a stalled one is measured rather than cut short. */
const LOAD_TIMEOUT_MS = 12_000;
const LIVE_LOADS = 20;
const IDLE_LOADS = 10;
const IDLE_TIMEOUT_MS = 300;

declare global {
  interface Window {
    __firstFrameAt?: number;
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** 0.3-2.3 s, as a user reloading. */
const reloadGap = (): number => 300 + Math.random() * 2_000;

describe('first frame on every load of a camera page', { skip: missing }, () => {
  let browser: Browser;
  let liveCamera: GstCamera;
  let idleCamera: GstCamera;
  let camrtc: CamrtcProcess;
  let dir: string;

  before(async () => {
    browser = await launchChromium();
    liveCamera = await GstCamera.start({ path: '/live' });
    idleCamera = await GstCamera.start({ path: '/idle' });
    dir = mkdtempSync(join(tmpdir(), 'camrtc-reloads-'));
    const config = join(dir, 'camrtc.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        '  live:',
        `    url: ${liveCamera.url()}`,
        '    preload: true',
        '  idle:',
        `    url: ${idleCamera.url()}`,
        `    idleTimeoutMs: ${IDLE_TIMEOUT_MS}`,
        '',
      ].join('\n'),
    );
    camrtc = await CamrtcProcess.start(['--config', config, '--no-demo']);
  });
  after(async () => {
    await camrtc?.stop();
    await liveCamera?.close();
    await idleCamera?.close();
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Loads whose page trickled no mDNS candidate (the shape under test): must stay 0. */
  let withoutMdns = 0;

  /** Opens the camera's page in a fresh context; ms from navigation to the first decoded frame, or -1. */
  async function load(camera: string): Promise<number> {
    const context = await browser.newContext();
    try {
      await hideHostCandidatesBehindMdns(context);
      await context.addInitScript(() => {
        const poll = setInterval(() => {
          const video = document.querySelector('camrtc-player')?.shadowRoot?.querySelector('video');
          if (!video) return;
          clearInterval(poll);
          video.requestVideoFrameCallback(() => (window.__firstFrameAt ??= performance.now()));
        }, 2);
      });
      const page = await context.newPage();
      await page.goto(`${camrtc.url}/camera/${camera}`);
      const handle = await page.waitForFunction(() => window.__firstFrameAt, undefined, { timeout: LOAD_TIMEOUT_MS, polling: 50 }).catch(() => undefined);
      if ((await mdnsHiddenCount(page)) === 0) withoutMdns++;
      return handle ? Math.round((await handle.jsonValue()) as number) : -1;
    } finally {
      await context.close();
    }
  }

  function check(times: readonly number[], what: string): void {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`${what}: first frame after navigation (ms, sorted): ${sorted.join(' ')}`);
    assert.equal(withoutMdns, 0, 'every page trickled its host candidates as mDNS names, as Chromium does by default');
    const slow = times.filter((t) => t < 0 || t > FIRST_FRAME_LIMIT_MS);
    assert.equal(slow.length, 0, `${slow.length} of ${times.length} loads over ${FIRST_FRAME_LIMIT_MS} ms (-1: none within ${LOAD_TIMEOUT_MS} ms): ${times.join(', ')}`);
  }

  it(`${LIVE_LOADS} loads of a live camera's page: every first frame within ${FIRST_FRAME_LIMIT_MS} ms`, async () => {
    const times: number[] = [];
    for (let i = 0; i < LIVE_LOADS; i++) {
      times.push(await load('live'));
      await pause(reloadGap());
    }
    check(times, 'live camera');
  });

  it(`${IDLE_LOADS} loads of an idle camera's page, each after its RTSP session stopped: every first frame within ${FIRST_FRAME_LIMIT_MS} ms`, async () => {
    const times: number[] = [];
    for (let i = 0; i < IDLE_LOADS; i++) {
      // The camera saw a TEARDOWN for each earlier load, and camrtc says it is idle again.
      await waitFor(() => idleCamera.requests.filter((m) => m === 'TEARDOWN').length === i, `RTSP session ${i} stopped`, 10_000);
      await waitForCameraState('idle', 'idle', 10_000);
      times.push(await load('idle'));
      await pause(reloadGap());
    }
    check(times, 'idle camera');
  });

  /** Polls /api/cameras, as the page list does, until the camera is in `state`. */
  async function waitForCameraState(name: string, state: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined;
    while (Date.now() < deadline) {
      const cameras = (await (await fetch(`${camrtc.url}/api/cameras`)).json()) as { name: string; state: string }[];
      last = cameras.find((c) => c.name === name)?.state;
      if (last === state) return;
      await pause(50);
    }
    throw new Error(`camera ${name} not ${state} within ${timeoutMs} ms (last: ${last})`);
  }
});
