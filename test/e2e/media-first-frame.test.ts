/// <reference lib="dom" />
/**
 * Fast first frame with a 2 s camera GOP: camrtc keeps the camera's current GOP and replays it to a
 * new viewer faster than real time, so the picture shows right after the peer connection is up
 * instead of at the camera's next keyframe (0 to 2 s later), and the live latency stays low.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium } from './support/browser.js';
import { installProbe, jitterBufferDelayMs, waitForProbe } from './media-probe.js';

const missing = GstCamera.missing() ?? browserMissing();
/** Generous e2e bound (the target is 300 ms; bench measures precisely). Without the cache the wait is 0-2 s. */
const FIRST_FRAME_LIMIT_MS = 1000;

describe('media: first frame with a 2 s GOP', { skip: missing }, () => {
  let browser: Browser;
  let camera: GstCamera;
  let camrtc: CamrtcProcess;
  before(async () => {
    browser = await launchChromium();
    camera = await GstCamera.start({ gop: 50 });
    // --preload: the camera streams before any viewer, so viewers join at random points of its GOP.
    camrtc = await CamrtcProcess.start(['--camera', `gop=${camera.url()}`, '--preload']);
  });
  after(async () => {
    await camrtc?.stop();
    await camera?.close();
    await browser?.close();
  });

  it('each new viewer sees a picture within 1 s of its peer connection connecting, wherever the camera is in its GOP', async () => {
    const times: number[] = [];
    // Joins 0.6 s apart land at different points of the 2 s GOP: without the cache about half of
    // them would wait more than 1 s for the next keyframe.
    for (let i = 0; i < 5; i++) {
      const page = await browser.newPage();
      try {
        await installProbe(page);
        await page.goto(`${camrtc.url}/camera/gop`);
        const p = await waitForProbe(page, (x) => x.firstFrameAt !== undefined && x.connectedAt !== undefined, 10_000, 'first frame');
        times.push(Math.round(p.firstFrameAt! - p.connectedAt!));
        assert.equal(p.width, 640);
        if (i === 4) {
          // The replay must not leave the viewer behind live: once the replayed burst is played out
          // (a few seconds), the browser's jitter buffer is short again.
          await new Promise((r) => setTimeout(r, 3000));
          const jb = await jitterBufferDelayMs(page, 2000);
          console.log(`steady-state jitter buffer delay ${jb.toFixed(1)} ms`);
          assert.ok(jb >= 0 && jb < 250, `jitter buffer delay ${jb} ms`);
        }
      } finally {
        await page.close();
      }
      await new Promise((r) => setTimeout(r, 600));
    }
    console.log(`first frame after connect (ms): ${times.join(', ')}`);
    for (const t of times) assert.ok(t < FIRST_FRAME_LIMIT_MS, `first frame ${t} ms after connect (all: ${times.join(', ')})`);
    const replayed = camrtc.logs.filter((l) => l.msg === 'viewer state' && l.state === 'connected').length;
    assert.ok(replayed >= 5, 'every viewer connected');
  });
});
