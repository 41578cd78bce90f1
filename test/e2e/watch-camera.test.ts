/// <reference lib="dom" />
/**
 * End to end, as a user sees it: a real RTSP camera (GStreamer's gst-rtsp-server) -> camrtc started
 * from its command line -> the camera page in headless Debian Chromium, which must decode frames that
 * advance. Needs the Debian packages listed in README.md (the suite says which one is missing).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium, measureVideo, waitForFirstFrame } from './support/browser.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate, opensslMissing } from '../helpers/tlsFiles.js';

const missing = GstCamera.missing() ?? browserMissing();

describe('watch a camera in Chromium', { skip: missing }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function watch(camrtc: CamrtcProcess, camera: string): Promise<Awaited<ReturnType<typeof measureVideo>>> {
    const page = await browser.newPage();
    try {
      await page.goto(`${camrtc.url}/camera/${camera}`);
      const first = await waitForFirstFrame(page, 15_000);
      const progress = await measureVideo(page, 2000);
      assert.ok(first, `no frame decoded within 15 s; page status: ${progress.status}`);
      return progress;
    } finally {
      await page.close();
    }
  }

  for (const transport of ['tcp', 'udp'] as const) {
    it(`gst-rtsp-server over RTSP/${transport.toUpperCase()}: the page decodes advancing frames`, async () => {
      const camera = await GstCamera.start({ audio: 'pcma' });
      const camrtc = await CamrtcProcess.start(['--camera', `gst=${camera.url()}`, '--rtsp-transport', transport]);
      try {
        const p = await watch(camrtc, 'gst');
        assert.ok(p.frames >= 10, `only ${p.frames} frames in 2 s`);
        assert.equal(p.width, 640);
        assert.equal(p.height, 360);
        assert.ok(p.mediaTimeAdvanced, 'video time did not advance');
        assert.ok(camera.requests.includes('PLAY'), `camera saw ${camera.requests.join(',')}`);
      } finally {
        await camrtc.stop();
        await camera.close();
      }
    });
  }

  it('Digest-protected camera: plays with the right password, and the password never reaches the logs', async () => {
    const camera = await GstCamera.start({ user: 'admin', password: 's3cr3t-Pa55' });
    const camrtc = await CamrtcProcess.start(['--camera', `locked=${camera.url({ user: 'admin', password: 's3cr3t-Pa55' })}`]);
    try {
      const p = await watch(camrtc, 'locked');
      assert.ok(p.frames >= 10, `only ${p.frames} frames in 2 s`);
      const exitCode = await camrtc.stop();
      assert.equal(exitCode, 0);
      assert.ok(camera.requests.includes('TEARDOWN'), 'camrtc did not send TEARDOWN on SIGTERM');
      assert.ok(!camrtc.rawOutput.join('\n').includes('s3cr3t-Pa55'), 'the camera password appeared in the logs');
    } finally {
      await camrtc.stop();
      await camera.close();
    }
  });

  it('wrong password: the page says the camera refused the credentials, other cameras keep playing', async () => {
    const camera = await GstCamera.start({ user: 'admin', password: 'right' });
    const camrtc = await CamrtcProcess.start(['--camera', `bad=${camera.url({ user: 'admin', password: 'wrong' })}`, '--camera', `good=${camera.url({ user: 'admin', password: 'right' })}`]);
    const page = await browser.newPage();
    try {
      await page.goto(`${camrtc.url}/camera/bad`);
      await page.waitForFunction(() => {
        const texts: string[] = [];
        const walk = (root: Document | ShadowRoot): void => {
          texts.push(root instanceof Document ? root.body.innerText : Array.from(root.children).map((c) => (c as HTMLElement).innerText ?? '').join(' '));
          for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return /wrong user or password|401/i.test(texts.join(' '));
      }, undefined, { timeout: 15_000 });
      const good = await watch(camrtc, 'good');
      assert.ok(good.frames >= 10);
    } finally {
      await page.close();
      await camrtc.stop();
      await camera.close();
    }
  });

  it('over HTTPS (--tls-cert, --tls-key): the camera page signals over wss:// and decodes frames', { skip: opensslMissing() }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-e2e-tls-'));
    const pair = makeCertificate('camrtc-e2e');
    writeFileSync(join(dir, 'cert.pem'), pair.cert);
    writeFileSync(join(dir, 'key.pem'), pair.key);
    const camrtc = await CamrtcProcess.start(['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    // A self-signed certificate: the browser is told to accept it, as a user would click through.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      assert.match(camrtc.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const page = await context.newPage();
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      await page.goto(`${camrtc.url}/camera/demo`);
      const first = await waitForFirstFrame(page, 15_000);
      const p = await measureVideo(page, 2000);
      assert.ok(first, `no frame decoded within 15 s; page status: ${p.status}`);
      assert.ok(p.frames >= 10, `only ${p.frames} frames in 2 s`);
      assert.ok(sockets.length > 0 && sockets.every((u) => u.startsWith('wss://')), `signaling sockets: ${sockets.join(', ')}`);
    } finally {
      await context.close();
      await camrtc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the built-in demo camera plays with no camera configured', async () => {
    const camrtc = await CamrtcProcess.start([]);
    try {
      const p = await watch(camrtc, 'demo');
      assert.ok(p.frames >= 10, `only ${p.frames} frames in 2 s`);
      assert.equal(p.width, 640);
    } finally {
      await camrtc.stop();
    }
  });
});
