/// <reference lib="dom" />
/**
 * What a person watching a camera page sees when an administrator changes or removes the camera
 * through the control API, in headless Chromium: after a change the player reconnects at once (no
 * backoff delay) and decodes frames of the changed source; after a removal it stops with "camera
 * removed" and does not try again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { DemoCamera } from '../../server/src/demo/DemoCamera.js';
import { browserMissing, launchChromium, measureVideo } from './support/browser.js';
import { api, startFromFile, startTestCamera, type FileServer } from '../helpers/controlApi.js';

const missing = browserMissing();

interface SeenState {
  state: string;
  code?: string;
  message?: string;
  at: number;
}

async function states(page: Page): Promise<SeenState[]> {
  return page.evaluate(() => (window as unknown as { __states: SeenState[] }).__states);
}

async function waitForState(page: Page, state: string, since: number, timeoutMs = 15_000): Promise<SeenState> {
  await page.waitForFunction(
    ([wanted, from]) => (window as unknown as { __states: SeenState[] }).__states.some((s) => s.state === wanted && s.at >= (from as number)),
    [state, since] as const,
    { timeout: timeoutMs },
  );
  return (await states(page)).find((s) => s.state === state && s.at >= since)!;
}

describe('the player when the control API changes or removes its camera', { skip: missing }, () => {
  let browser: Browser;
  let server: FileServer;
  let cam: { camera: DemoCamera; url: string };
  let page: Page;

  before(async () => {
    browser = await launchChromium();
    cam = await startTestCamera('/porch');
    server = await startFromFile(`cameras:\n  porch:\n    url: ${cam.url}\n    transport: tcp\n`);
    page = await browser.newPage();
    await page.addInitScript(() => {
      const seen: SeenState[] = [];
      (window as unknown as { __states: SeenState[] }).__states = seen;
      document.addEventListener(
        'statechange',
        (event) => {
          const { state, error } = (event as CustomEvent<{ state: string; error: { code?: string; message: string } | null }>).detail;
          seen.push({ state, code: error?.code, message: error?.message, at: Date.now() });
        },
        true,
      );
    });
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await server?.app.close();
    await cam?.camera.close();
  });

  it('a changed camera: the player reconnects at once and shows the changed source', async () => {
    await page.goto(`http://127.0.0.1:${server.app.port}/camera/porch`);
    await waitForState(page, 'live', 0);
    const before = await measureVideo(page, 1000);
    assert.ok(before.frames >= 10, `frames before the change: ${JSON.stringify(before)}`);

    const changedAt = Date.now();
    const res = await api(server.app.port, 'PATCH', '/api/cameras/porch', { transport: 'udp' });
    assert.equal(res.status, 200, res.body);
    const reconnecting = await waitForState(page, 'reconnecting', changedAt);
    const live = await waitForState(page, 'live', reconnecting.at);
    assert.ok(!(await states(page)).some((s) => s.at >= changedAt && s.state === 'error'), 'no error shown for a change');
    assert.ok(live.at - changedAt < 3_000, `live again ${live.at - changedAt} ms after the change`);
    // The new watch reached the server before the backoff's shortest first delay (500 ms - 25 %)
    // could have passed: the player did not wait.
    const watchedAgain = server.app.viewers.forCamera('porch')[0];
    assert.ok(watchedAgain && watchedAgain.startedAt - reconnecting.at < 375, `watched again ${watchedAgain ? watchedAgain.startedAt - reconnecting.at : '-'} ms after the end`);
    const afterChange = await measureVideo(page, 1000);
    assert.ok(afterChange.frames >= 10 && afterChange.mediaTimeAdvanced, `frames after the change: ${JSON.stringify(afterChange)}`);
    assert.equal(server.app.cameras.configOf('porch')?.transport, 'udp');
  });

  it('a removed camera: the player stops with "camera removed" and does not reconnect', async () => {
    const removedAt = Date.now();
    const res = await api(server.app.port, 'DELETE', '/api/cameras/porch');
    assert.equal(res.status, 200, res.body);
    const stopped = await waitForState(page, 'error', removedAt);
    assert.equal(stopped.code, 'ERR_CAMERA_REMOVED');
    assert.equal(stopped.message, "camera 'porch' was removed");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const later = (await states(page)).filter((s) => s.at > stopped.at);
    assert.deepEqual(later, [], 'no reconnect attempt after the removal');
    const status = await measureVideo(page, 200);
    assert.match(status.status, /camera 'porch' was removed/);
  });
});
