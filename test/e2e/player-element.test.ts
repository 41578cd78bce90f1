/// <reference lib="dom" />
/**
 * <camrtc-player> end to end, as a developer embeds it: a page served by another local HTTP server
 * (another origin) loads /camrtc-player.js from camrtc and shows a real RTSP camera (gst-rtsp-server)
 * in headless Chromium. Pause and play must reach the camera as RTSP PAUSE and PLAY (asserted on what
 * the RTSP server received), a second player keeps the camera playing, snapshot() returns a PNG of the
 * video's size, and the element recovers by itself when the camrtc server restarts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium, measureVideo } from './support/browser.js';
import { waitFor } from '../integration/webrtc/helpers/waitFor.js';

const missing = GstCamera.missing() ?? browserMissing();

/** Another origin: serves one page that embeds `players` camrtc players with the two documented lines. */
async function embeddingSite(): Promise<{ server: Server; origin: string; setCamrtc: (url: string) => void }> {
  let camrtcUrl = '';
  const server = createServer((req, res) => {
    const count = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('players') ?? '1');
    const players = Array.from({ length: count }, (_, i) => `<camrtc-player id="p${i}" server="${camrtcUrl}" camera="gst" controls stats></camrtc-player>`).join('\n');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><html><body>\n<script type="module" src="${camrtcUrl}/camrtc-player.js"></script>\n${players}\n</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin, setCamrtc: (url) => (camrtcUrl = url) };
}

/** Frames decoded by player `id` during `ms`, and whether its media time advanced. */
function playerProgress(page: Page, id: string, ms: number): Promise<{ frames: number; advanced: boolean; width: number; height: number; state: string }> {
  return page.evaluate(
    async ([playerId, duration]) => {
      const player = document.getElementById(playerId as string) as HTMLElement & { state: string; video: HTMLVideoElement };
      const video = player.video;
      let frames = 0;
      let first = -1;
      let last = -1;
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
        frames++;
        if (first < 0) first = meta.mediaTime;
        last = meta.mediaTime;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      await new Promise((r) => setTimeout(r, duration as number));
      return { frames, advanced: last > first, width: video.videoWidth, height: video.videoHeight, state: player.state };
    },
    [id, ms] as const,
  );
}

async function waitForState(page: Page, id: string, state: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    ([playerId, wanted]) => (document.getElementById(playerId) as (HTMLElement & { state: string }) | null)?.state === wanted,
    [id, state] as const,
    { timeout: timeoutMs },
  );
}

const count = (list: readonly string[], method: string): number => list.filter((m) => m === method).length;

describe('<camrtc-player> embedded from another origin', { skip: missing }, () => {
  let browser: Browser;
  let camera: GstCamera;
  let camrtc: CamrtcProcess;
  let site: Awaited<ReturnType<typeof embeddingSite>>;

  before(async () => {
    browser = await launchChromium();
    camera = await GstCamera.start({ gop: 25 });
    site = await embeddingSite();
    camrtc = await CamrtcProcess.start(['--camera', `gst=${camera.url()}`, '--allow-origin', site.origin]);
    site.setCamrtc(camrtc.url);
  });
  after(async () => {
    await camrtc?.stop();
    await camera?.close();
    await browser?.close();
    await new Promise((r) => site?.server.close(r));
  });

  it('plays in a page of another origin that loads the module cross-origin', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/?players=1`);
      await waitForState(page, 'p0', 'live');
      const p = await playerProgress(page, 'p0', 2000);
      assert.ok(p.frames >= 10 && p.advanced, `only ${p.frames} frames in 2 s`);
      assert.deepEqual([p.width, p.height], [640, 360]);
      const shadowVideo = await page.evaluate(() => document.getElementById('p0')!.shadowRoot!.querySelector('video') !== null);
      assert.ok(shadowVideo, 'the open shadow root holds the <video>');
      const module = await fetch(`${camrtc.url}/camrtc-player.js`, { headers: { Origin: site.origin } });
      assert.equal(module.headers.get('access-control-allow-origin'), '*');
    } finally {
      await page.close();
    }
  });

  it('the status line shows no "Connecting…" for the first 500 ms of a start, and a camera that cannot play at once', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/?players=0`);
      await page.waitForFunction(() => customElements.get('camrtc-player') !== undefined);
      const seen = await page.evaluate(async (server) => {
        const status = (player: HTMLElement): HTMLElement => player.shadowRoot!.querySelector('[part=status]') as HTMLElement;
        const shown = (player: HTMLElement): boolean => getComputedStyle(status(player)).display !== 'none';
        const start = (camera: string): HTMLElement & { state: string } => {
          const player = document.createElement('camrtc-player') as HTMLElement & { state: string };
          player.setAttribute('server', server);
          player.setAttribute('camera', camera);
          document.body.append(player);
          return player;
        };
        const live = start('gst');
        const t0 = performance.now();
        let connectingShownAt = -1;
        while (live.state !== 'live' && performance.now() - t0 < 15_000) {
          if (live.state === 'connecting' && shown(live) && connectingShownAt < 0) connectingShownAt = performance.now() - t0;
          await new Promise((r) => requestAnimationFrame(r));
        }
        const broken = start('nosuch');
        const t1 = performance.now();
        while (broken.state !== 'error' && performance.now() - t1 < 5_000) await new Promise((r) => setTimeout(r, 10));
        return { liveState: live.state, connectingShownAt, brokenState: broken.state, brokenShown: shown(broken), brokenShownAfter: performance.now() - t1, brokenText: status(broken).textContent };
      }, camrtc.url);
      assert.equal(seen.liveState, 'live');
      assert.ok(seen.connectingShownAt < 0 || seen.connectingShownAt >= 450, `"Connecting…" shown ${seen.connectingShownAt} ms into the start`);
      assert.equal(seen.brokenState, 'error');
      assert.ok(seen.brokenShownAfter < 450, `the error came ${Math.round(seen.brokenShownAfter)} ms into the start: too late to tell`);
      assert.ok(seen.brokenShown, 'the error is shown at once, not after the quiet time');
      assert.match(seen.brokenText ?? '', /Cannot play/);
    } finally {
      await page.close();
    }
  });

  it('the stats overlay shows the received stream, hides and shows again with the attribute and the Stats button', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/?players=1`);
      await waitForState(page, 'p0', 'live');
      // Rates need two reports a second apart.
      await page.waitForFunction(() => (document.getElementById('p0') as HTMLElement & { stats?: { bitrateKbps?: number } }).stats?.bitrateKbps !== undefined, undefined, { timeout: 10_000 });
      const seen = await page.evaluate(async () => {
        type Player = HTMLElement & { stats?: { width?: number; codec?: string; bitrateKbps?: number } };
        const player = document.getElementById('p0') as Player;
        const panel = (): HTMLElement | null => player.shadowRoot!.querySelector('[part=stats]');
        const shown = (): boolean => panel() !== null && getComputedStyle(panel()!).display !== 'none';
        const text = panel()?.textContent ?? '';
        const stats = { ...player.stats };
        const shownAtFirst = shown();
        player.removeAttribute('stats');
        const shownWithout = shown();
        const keptSample = player.stats?.width;
        (player.shadowRoot!.querySelector('[part~=statstoggle]') as HTMLButtonElement).click();
        const shownAfterButton = shown();
        const attributeAfterButton = player.hasAttribute('stats');
        // A player that never shows stats never builds the overlay.
        const plain = document.createElement('camrtc-player') as Player;
        plain.setAttribute('server', player.getAttribute('server')!);
        plain.setAttribute('camera', 'gst');
        document.body.append(plain);
        await new Promise((r) => setTimeout(r, 300));
        const plainHasOverlay = plain.shadowRoot!.querySelector('[part=stats]') !== null;
        plain.remove();
        return { text, stats, shownAtFirst, shownWithout, keptSample, shownAfterButton, attributeAfterButton, plainHasOverlay };
      });
      assert.ok(seen.shownAtFirst, 'the overlay is visible with the stats attribute');
      assert.match(seen.text, /resolution 640×360/);
      assert.match(seen.text, /codec H264/);
      assert.match(seen.text, /bitrate \d+ kbit\/s/);
      assert.equal(seen.stats.width, 640);
      assert.equal(seen.stats.codec, 'H264');
      assert.ok((seen.stats.bitrateKbps ?? 0) > 0, JSON.stringify(seen.stats));
      assert.equal(seen.shownWithout, false, 'removing the attribute hides the overlay');
      assert.equal(seen.keptSample, 640, 'the last sample stays readable while hidden');
      assert.ok(seen.shownAfterButton && seen.attributeAfterButton, 'the Stats button shows it again (and sets the attribute)');
      assert.equal(seen.plainHasOverlay, false);
    } finally {
      await page.close();
    }
  });

  it('a page of an origin that is not allowed cannot open the signaling socket', async () => {
    const page = await browser.newPage();
    try {
      // The same page, but served from "localhost": another origin than the allowed 127.0.0.1 one.
      await page.goto(`${site.origin.replace('127.0.0.1', 'localhost')}/?players=1`);
      await page.waitForFunction(() => ['reconnecting', 'error'].includes((document.getElementById('p0') as HTMLElement & { state: string }).state), undefined, { timeout: 10_000 });
      const p = await measureVideo(page, 500);
      assert.equal(p.frames, 0);
    } finally {
      await page.close();
    }
  });

  it('two players on one camera: one paused, the other keeps playing and the camera is not paused', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/?players=2`);
      await waitForState(page, 'p0', 'live');
      await waitForState(page, 'p1', 'live');
      const pausesBefore = count(camera.requests, 'PAUSE');
      await page.evaluate(() => (document.getElementById('p0') as HTMLElement & { pause(): void }).pause());
      await waitForState(page, 'p0', 'paused');
      const other = await playerProgress(page, 'p1', 2500);
      assert.ok(other.frames >= 10 && other.advanced, `the playing player decoded only ${other.frames} frames`);
      assert.equal(count(camera.requests, 'PAUSE'), pausesBefore, 'the camera must not be paused while a viewer plays');
      const paused = await playerProgress(page, 'p0', 1000);
      assert.equal(paused.frames, 0, 'the paused player receives no frames');
    } finally {
      await page.close();
    }
  });

  it('pause sends RTSP PAUSE to the camera; play sends PLAY and frames advance again', async () => {
    const page = await browser.newPage();
    try {
      // The previous page's session must be gone first, or its viewer would keep the camera playing.
      await new Promise((r) => setTimeout(r, 500));
      await page.goto(`${site.origin}/?players=1`);
      await waitForState(page, 'p0', 'live');
      const pauses = count(camera.requests, 'PAUSE');
      const plays = count(camera.requests, 'PLAY');
      await page.evaluate(() => (document.getElementById('p0') as HTMLElement & { pause(): void }).pause());
      await waitFor(() => count(camera.requests, 'PAUSE') > pauses, 'RTSP PAUSE at the camera');
      assert.equal(await page.evaluate(() => (document.getElementById('p0') as HTMLElement & { state: string }).state), 'paused');
      await page.evaluate(() => (document.getElementById('p0') as HTMLElement & { play(): void }).play());
      await waitFor(() => count(camera.requests, 'PLAY') > plays, 'RTSP PLAY at the camera');
      await waitForState(page, 'p0', 'live');
      const p = await playerProgress(page, 'p0', 2000);
      assert.ok(p.frames >= 10 && p.advanced, `only ${p.frames} frames in 2 s after play`);
    } finally {
      await page.close();
    }
  });

  it('snapshot() returns a PNG of the video size', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/?players=1`);
      await waitForState(page, 'p0', 'live');
      const shot = await page.evaluate(async () => {
        const blob = await (document.getElementById('p0') as HTMLElement & { snapshot(): Promise<Blob> }).snapshot();
        return { type: blob.type, bytes: Array.from(new Uint8Array(await blob.arrayBuffer()).slice(0, 24)) };
      });
      assert.equal(shot.type, 'image/png');
      const header = Buffer.from(shot.bytes);
      assert.deepEqual([...header.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      assert.equal(header.readUInt32BE(16), 640, 'IHDR width');
      assert.equal(header.readUInt32BE(20), 360, 'IHDR height');
    } finally {
      await page.close();
    }
  });

  it('recovers by itself after the camrtc server restarts on the same port', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/?players=1`);
      await waitForState(page, 'p0', 'live');
      const port = new URL(camrtc.url).port;
      await camrtc.stop();
      await waitForState(page, 'p0', 'reconnecting', 10_000);
      camrtc = await CamrtcProcess.start(['--camera', `gst=${camera.url()}`, '--allow-origin', site.origin, '--port', port]);
      assert.equal(new URL(camrtc.url).port, port);
      await waitForState(page, 'p0', 'live', 30_000);
      const p = await playerProgress(page, 'p0', 2000);
      assert.ok(p.frames >= 10 && p.advanced, `only ${p.frames} frames in 2 s after the restart`);
    } finally {
      await page.close();
    }
  });
});
