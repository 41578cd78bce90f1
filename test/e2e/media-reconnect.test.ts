/// <reference lib="dom" />
/**
 * Continuity: the camera dies while a page watches and comes back on the same port. The page keeps
 * its one RTCPeerConnection (no new offer), says the camera is away meanwhile, and shows live video
 * again within 2 s of the camera answering.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium } from './support/browser.js';
import { installProbe, readProbe, statusText, waitForProbe } from './media-probe.js';

const missing = GstCamera.missing() ?? browserMissing();

describe('media: camera killed and restarted while a page watches', { skip: missing }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('frames resume on the same peer connection within 2 s of the camera answering again', async () => {
    let camera = await GstCamera.start({ gop: 50 });
    const port = camera.port;
    const camrtc = await CamrtcProcess.start(['--camera', `cam=${camera.url()}`]);
    const page = await browser.newPage();
    try {
      await installProbe(page);
      await page.goto(`${camrtc.url}/camera/cam`);
      await waitForProbe(page, (p) => p.frames > 10, 15_000, 'first frames');
      // Streams long enough to count as a healthy connection (fast reconnects follow).
      await new Promise((r) => setTimeout(r, 5500));

      await camera.close();
      const shownWhileAway = await page
        .waitForFunction(
          () => {
            const parts: string[] = [];
            const walk = (root: Document | ShadowRoot): void => {
              for (const el of Array.from(root.querySelectorAll('.status, [role=status]'))) parts.push(el.textContent ?? '');
              for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
            };
            walk(document);
            return /Reconnecting to camera/.test(parts.join(" "));
          },
          undefined,
          { timeout: 5000 },
        )
        .then(() => statusText(page));
      await new Promise((r) => setTimeout(r, 1500));
      const before = await readProbe(page);

      camera = await GstCamera.start({ gop: 50, port });
      const answeredAt = Date.now();
      const resumed = await waitForProbe(page, (p) => p.frames > before.frames + 5, 10_000, 'frames after the camera came back');
      const resumeMs = Date.now() - answeredAt;
      console.log(`page said "${shownWhileAway}" while the camera was away; video resumed ${resumeMs} ms after the camera answered`);
      assert.ok(resumeMs < 2000, `video resumed ${resumeMs} ms after the camera answered`);
      assert.equal(resumed.peerConnections, 1, 'no new peer connection');
      assert.equal(resumed.state, 'connected');
      assert.ok(camera.requests.includes('PLAY'), 'camrtc played the restarted camera');
      assert.equal(resumed.width, 640);
    } finally {
      await page.close();
      await camrtc.stop();
      await camera.close();
    }
  });
});
