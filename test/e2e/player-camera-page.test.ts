/// <reference lib="dom" />
/**
 * camrtc's own camera page (/camera/NAME) in headless Chromium: the page is one document, its first
 * script starts signaling while the page is parsed, and the <camrtc-player> adopts that socket. So the
 * page opens exactly ONE WebSocket and the server sees exactly one viewer session, the picture
 * plays, pause/play still reach the camera (RTSP PAUSE / PLAY) over the adopted socket, and the
 * player's own reconnection takes over when that socket goes. Once the camera is live, the page comes
 * with an offer that its first script answers (with the offer's ticket) while the socket opens; a
 * page whose offer is gone answers the socket's fresh offer instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium, measureVideo } from './support/browser.js';
import { waitFor } from '../integration/webrtc/helpers/waitFor.js';
import { urlWatch } from '../../shared/watchUrl.js';

const missing = GstCamera.missing() ?? browserMissing();

interface SocketLog {
  /** performance.now() at each `new WebSocket`. */
  created: number[];
  /** The URL of each `new WebSocket`. */
  urls: string[];
  /** Type of every message the page sent, in order. */
  sent: string[];
  /** For each `answer` the page sent: did it carry the page offer's ticket. */
  answerTickets: boolean[];
  /** performance.now() at DOMContentLoaded. */
  domContentLoaded: number;
  /** Requests for scripts and stylesheets (resource timing). */
  external: string[];
}

/** Installed before any page script: counts the page's WebSockets and what it sends. */
function hookWebSocket(): void {
  const log: SocketLog = { created: [], urls: [], sent: [], answerTickets: [], domContentLoaded: -1, external: [] };
  (window as unknown as { __sockets: SocketLog }).__sockets = log;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      log.created.push(performance.now());
      log.urls.push(String(url));
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const message = typeof data === 'string' ? (JSON.parse(data) as { type?: unknown; ticket?: unknown }) : { type: 'binary' };
      log.sent.push(String(message.type));
      if (message.type === 'answer') log.answerTickets.push(typeof message.ticket === 'string');
      super.send(data);
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    log.domContentLoaded = performance.now();
    log.external = performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /\.(js|css)(\?|$)/.test(n));
  });
}

type Player = HTMLElement & { state: string; pause(): void; play(): void };

function waitForState(page: Page, state: string, timeoutMs = 20_000): Promise<unknown> {
  return page.waitForFunction((wanted) => (document.querySelector('camrtc-player') as Player | null)?.state === wanted, state, { timeout: timeoutMs });
}

const count = (list: readonly string[], item: string): number => list.filter((m) => m === item).length;

/** Distinct viewer sessions the server logged (debug log 'viewer state' lines carry the session id). */
function serverSessions(camrtc: CamrtcProcess): Set<string> {
  return new Set(camrtc.logs.filter((l) => l.msg === 'viewer state' && typeof l.session === 'string').map((l) => String(l.session)));
}

describe('the camera page starts signaling before its player exists', { skip: missing }, () => {
  let browser: Browser;
  let camera: GstCamera;
  let camrtc: CamrtcProcess;

  before(async () => {
    browser = await launchChromium();
    camera = await GstCamera.start({ gop: 25 });
    // gst2: the same stream under another name, for a player that switches cameras.
    camrtc = await CamrtcProcess.start(['--camera', `gst=${camera.url()}`, '--camera', `gst2=${camera.url()}`]);
  });
  after(async () => {
    await camrtc?.stop();
    await camera?.close();
    await browser?.close();
  });

  it('opens exactly one WebSocket, before DOMContentLoaded, with no external script or stylesheet, and plays', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.addInitScript(hookWebSocket);
      const sessionsBefore = serverSessions(camrtc).size;
      await page.goto(`${camrtc.url}/camera/gst`);
      await waitForState(page, 'live');
      const p = await measureVideo(page, 2000);
      assert.ok(p.frames >= 10 && p.mediaTimeAdvanced, `only ${p.frames} frames in 2 s; status: ${p.status}`);
      assert.deepEqual([p.width, p.height], [640, 360]);
      const log = await page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);
      assert.equal(log.created.length, 1, `the page opened ${log.created.length} WebSockets`);
      assert.ok(log.created[0]! < log.domContentLoaded, `socket opened at ${log.created[0]} ms, DOMContentLoaded at ${log.domContentLoaded} ms`);
      assert.deepEqual(log.external, [], 'no script or stylesheet is fetched before the page is parsed');
      // The watch is in the socket's URL: the server starts at once, the page sends no hello/watch.
      const watch = urlWatch(new URL(log.urls[0]!).pathname + new URL(log.urls[0]!).search);
      assert.equal(watch?.camera, 'gst', log.urls[0]);
      assert.equal(count(log.sent, 'watch') + count(log.sent, 'hello'), 0, `sent: ${log.sent.join(',')}`);
      assert.equal(count(log.sent, 'stop'), 0, `sent: ${log.sent.join(',')}`);
      assert.equal(count(log.sent, 'answer'), 1, `sent: ${log.sent.join(',')}`);
      await waitFor(() => serverSessions(camrtc).size > sessionsBefore, 'the viewer session in the server log');
      assert.equal(serverSessions(camrtc).size - sessionsBefore, 1, 'the server saw exactly one viewer session');
    } finally {
      await context.close();
    }
  });

  it("a live camera's page carries an offer: the page answers it with its ticket, once, on its one socket, and plays", async () => {
    const page = await browser.newPage();
    try {
      await page.addInitScript(hookWebSocket);
      const response = await page.goto(`${camrtc.url}/camera/gst`);
      assert.match((await response?.text()) ?? '', /data-offer="/, 'the camera is live (the previous test watched it): the page has an offer');
      await waitForState(page, 'live');
      const p = await measureVideo(page, 2000);
      assert.ok(p.frames >= 10 && p.mediaTimeAdvanced, `only ${p.frames} frames in 2 s; status: ${p.status}`);
      const log = await page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);
      assert.equal(log.created.length, 1);
      assert.ok(urlWatch(new URL(log.urls[0]!).pathname + new URL(log.urls[0]!).search)?.ticket, `the socket claims the page's offer: ${log.urls[0]}`);
      assert.deepEqual(log.answerTickets, [true], `one answer, to the page's offer; sent: ${log.sent.join(',')}`);
    } finally {
      await page.close();
    }
  });

  it("a page whose offer is gone (another ticket) answers the socket's fresh offer and plays", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.addInitScript(hookWebSocket);
      // As if the page had been kept past the offer's lifetime: the server knows no such ticket.
      // As if the page had been kept past its offer's lifetime: the ticket is one the server does not
      // know. Rewritten as the parser inserts the script, before it runs (a rewritten response would
      // come from no address, and Chromium's local network access checks would block its socket).
      await page.addInitScript(() => {
        new MutationObserver((mutations, observer) => {
          for (const m of mutations) {
            for (const node of Array.from(m.addedNodes)) {
              const offer = node instanceof HTMLScriptElement ? node.dataset.offer : undefined;
              if (!offer) continue;
              (node as HTMLScriptElement).dataset.offer = JSON.stringify({ ...(JSON.parse(offer) as object), ticket: 'gone-ticket-0000000000' });
              (window as unknown as { __spoiled: boolean }).__spoiled = true;
              observer.disconnect();
            }
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(`${camrtc.url}/camera/gst`);
      const spoiled = await page.evaluate(() => (window as unknown as { __spoiled?: boolean }).__spoiled === true);
      assert.ok(spoiled, 'the camera is live (the previous tests watched it): the page had an offer to spoil');
      await waitForState(page, 'live');
      const p = await measureVideo(page, 2000);
      assert.ok(p.frames >= 10 && p.mediaTimeAdvanced, `only ${p.frames} frames in 2 s; status: ${p.status}`);
      const log = await page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);
      assert.equal(log.created.length, 1, 'no reconnect: the same socket carries the fresh offer');
      assert.deepEqual(log.answerTickets, [true, false], `the page's answer (ignored), then the answer to the fresh offer; sent: ${log.sent.join(',')}`);
    } finally {
      await context.close();
    }
  });

  it('pause and play go over the adopted socket: RTSP PAUSE, then PLAY, and frames advance again', async () => {
    // The previous page's session must be gone first, or its viewer would keep the camera playing.
    await new Promise((r) => setTimeout(r, 500));
    const page = await browser.newPage();
    try {
      await page.addInitScript(hookWebSocket);
      await page.goto(`${camrtc.url}/camera/gst`);
      await waitForState(page, 'live');
      const pauses = count(camera.requests, 'PAUSE');
      const plays = count(camera.requests, 'PLAY');
      await page.evaluate(() => (document.querySelector('camrtc-player') as Player).pause());
      await waitFor(() => count(camera.requests, 'PAUSE') > pauses, 'RTSP PAUSE at the camera');
      await page.evaluate(() => (document.querySelector('camrtc-player') as Player).play());
      await waitFor(() => count(camera.requests, 'PLAY') > plays, 'RTSP PLAY at the camera');
      await waitForState(page, 'live');
      const p = await measureVideo(page, 2000);
      assert.ok(p.frames >= 10 && p.mediaTimeAdvanced, `only ${p.frames} frames in 2 s after play`);
      const log = await page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);
      assert.equal(log.created.length, 1, `the page opened ${log.created.length} WebSockets`);
    } finally {
      await page.close();
    }
  });

  it('a player switched to another camera leaves the early session and opens its own socket', async () => {
    const page = await browser.newPage();
    try {
      await page.addInitScript(hookWebSocket);
      await page.goto(`${camrtc.url}/camera/gst`);
      await waitForState(page, 'live');
      await page.evaluate(() => (document.querySelector('camrtc-player') as Player).setAttribute('camera', 'gst2'));
      await page.waitForFunction(() => (window as unknown as { __sockets: SocketLog }).__sockets.created.length === 2);
      await waitForState(page, 'live');
      const p = await measureVideo(page, 1500);
      assert.ok(p.frames >= 5, `only ${p.frames} frames of the other camera`);
      const log = await page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);
      assert.equal(count(log.sent, 'stop'), 1, `the first session is stopped; sent: ${log.sent.join(',')}`);
    } finally {
      await page.close();
    }
  });

  it('when the server restarts, the page drops the adopted socket and reconnects on its own', async () => {
    const page = await browser.newPage();
    try {
      await page.addInitScript(hookWebSocket);
      await page.goto(`${camrtc.url}/camera/gst`);
      await waitForState(page, 'live');
      const port = new URL(camrtc.url).port;
      await camrtc.stop();
      await waitForState(page, 'reconnecting', 10_000);
      camrtc = await CamrtcProcess.start(['--camera', `gst=${camera.url()}`, '--camera', `gst2=${camera.url()}`, '--port', port]);
      await waitForState(page, 'live', 30_000);
      const p = await measureVideo(page, 2000);
      assert.ok(p.frames >= 10 && p.mediaTimeAdvanced, `only ${p.frames} frames in 2 s after the restart`);
      const log = await page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);
      assert.ok(log.created.length >= 2, 'a new socket after the restart');
    } finally {
      await page.close();
    }
  });
});
