/// <reference lib="dom" />
/**
 * Issue 17, H.265 everywhere and snapshots, end to end: a GStreamer H.265 camera (x265enc) set to
 * `transcode: h264` plays in Debian's Chromium, which has no H.265 over WebRTC (frames advance at the
 * camera's size, H.264 offered); snapshots of that live camera are JPEGs of its size (or ?width=)
 * within 300 ms, and the camera sees no new session; an offline camera, missing ffmpeg (PATH
 * without it, CAMRTC_FFMPEG pointing nowhere) and a client without the view permission each get
 * their status and code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { hashPassword } from '../../server/src/auth/passwordHash.js';
import { findFfmpeg } from '../../server/src/audio/ffmpeg.js';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium } from './support/browser.js';
import { installProbe, offeredSdp, pageText, waitForProbe } from './media-probe.js';
import { jpegSize } from '../helpers/jpeg.js';
import { clipsMissing } from '../helpers/videoClips.js';

const missing = GstCamera.missing() ?? browserMissing() ?? (findFfmpeg() ? clipsMissing('H264') : 'ffmpeg not installed');
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('H.265 camera transcoded to H.264, and snapshots', { skip: missing }, () => {
  let browser: Browser;
  let camera: GstCamera;
  let dir: string;
  let config: string;

  before(async () => {
    browser = await launchChromium();
    camera = await GstCamera.start({ video: 'h265', gop: 25 });
    dir = mkdtempSync(join(tmpdir(), 'camrtc-h265-'));
    config = join(dir, 'camrtc.yaml');
    const [alice, bob] = await Promise.all([hashPassword('pw-alice', 'scrypt'), hashPassword('pw-bob', 'scrypt')]);
    writeFileSync(
      config,
      [
        'cameras:',
        `  cam: { url: "${camera.url()}", transcode: h264 }`,
        '  down: "rtsp://127.0.0.1:9/down"   # port 9 refuses at once',
        'auth:',
        '  anonymous: { view: [cam] }',
        '  users:',
        `    - { name: alice, passwordHash: "${alice}", permissions: { view: [cam, down] } }`,
        `    - { name: bob, passwordHash: "${bob}", permissions: { view: [cam] } }`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await browser?.close();
    await camera?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Chromium without H.265 plays it as H.264; snapshots of the live camera come within 300 ms without a new session', async () => {
    const camrtc = await CamrtcProcess.start(['--config', config, '--no-rtsp']);
    const page = await browser.newPage();
    try {
      const canDecode = await page.evaluate(() => (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).some((c) => /h265|hevc/i.test(c.mimeType)));
      assert.equal(canDecode, false, "this test is about a browser without H.265 (Debian's Chromium)");
      await installProbe(page);
      await page.goto(`${camrtc.url}/camera/cam`);
      const p = await waitForProbe(page, (x) => x.frames > 30, 20_000, 'transcoded frames');
      assert.deepEqual([p.width, p.height], [640, 360]);
      const sdp = await offeredSdp(page);
      assert.match(sdp, /H264\/90000/);
      assert.doesNotMatch(sdp, /H265/);
      const later = await waitForProbe(page, (x) => x.frames > p.frames + 20, 10_000, 'frames advancing');
      assert.ok(later.frames > p.frames);
      const info = ((await (await fetch(`${camrtc.url}/api/cameras`)).json()) as Array<{ name: string; state: string; codecs?: string[]; warning?: unknown }>).find((c) => c.name === 'cam');
      assert.equal(info?.state, 'live');
      assert.deepEqual(info?.codecs, ['H265']);
      assert.equal(info?.warning, undefined, 'transcoded for every browser: nothing to warn about');
      assert.ok(camrtc.logs.some((l) => l.msg === 'H.265 to H.264 transcode started'));

      // Snapshots of the live camera (anonymous may view cam, as a Home Assistant without credentials).
      const describes = (): number => camera.requests.filter((m) => m === 'DESCRIBE').length;
      const sessions = describes();
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const width = i % 2 === 0 ? '' : '?width=320';
        const t0 = performance.now();
        const res = await fetch(`${camrtc.url}/api/cameras/cam/snapshot.jpg${width}`);
        const jpeg = Buffer.from(await res.arrayBuffer());
        times.push(performance.now() - t0);
        assert.equal(res.status, 200, jpeg.toString());
        assert.equal(res.headers.get('content-type'), 'image/jpeg');
        assert.deepEqual(jpegSize(jpeg), width ? { width: 320, height: 180 } : { width: 640, height: 360 });
        await new Promise((r) => setTimeout(r, 1100)); // past the reuse time: each one made afresh
      }
      assert.equal(describes(), sessions, 'no new camera session for snapshots of a live camera');
      const sorted = [...times].sort((a, b) => a - b);
      process.stdout.write(`# snapshot of the live H.265 camera: ${times.map((t) => t.toFixed(0)).join(', ')} ms (p50 ${sorted[4].toFixed(0)})\n`);
      // Each width's first request starts its own ffmpeg; from then on a spare one is waiting.
      assert.ok(times.slice(2).every((t) => t < 300), `snapshots within 300 ms: ${times.map((t) => t.toFixed(0)).join(', ')}`);
      assert.ok(times.every((t) => t < 1000), `even the first ones: ${times.map((t) => t.toFixed(0)).join(', ')}`);
    } finally {
      await page.close();
      await camrtc.stop();
    }
  });

  it('an offline camera: 503 with its reason; no permission: 401 or 403', async () => {
    const camrtc = await CamrtcProcess.start(['--config', config, '--no-rtsp']);
    try {
      const offline = await fetch(`${camrtc.url}/api/cameras/down/snapshot.jpg`, { headers: { Authorization: basic('alice', 'pw-alice') } });
      assert.equal(offline.status, 503);
      const body = (await offline.json()) as { code: string; message: string };
      assert.equal(body.code, 'ERR_CAMERA_OFFLINE');
      assert.match(body.message, /camera 'down' gives no picture: /);
      const anonymous = await fetch(`${camrtc.url}/api/cameras/down/snapshot.jpg`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /Basic/);
      const bob = await fetch(`${camrtc.url}/api/cameras/down/snapshot.jpg`, { headers: { Authorization: basic('bob', 'pw-bob') } });
      assert.equal(bob.status, 403);
      assert.equal(((await bob.json()) as { code: string }).code, 'ERR_FORBIDDEN');
    } finally {
      await camrtc.stop();
    }
  });

  for (const [what, env] of [
    ['a PATH without ffmpeg', { ...process.env, PATH: '/nonexistent', CAMRTC_FFMPEG: '' }],
    ['CAMRTC_FFMPEG pointing to a missing binary', { ...process.env, CAMRTC_FFMPEG: '/nonexistent/ffmpeg' }],
  ] as const) {
    it(`no ffmpeg (${what}): snapshots answer 503 ERR_FFMPEG_MISSING, and the page says the transcode needs ffmpeg`, async () => {
      const camrtc = await CamrtcProcess.start(['--config', config, '--no-rtsp'], { env });
      const page = await browser.newPage();
      try {
        const res = await fetch(`${camrtc.url}/api/cameras/cam/snapshot.jpg`);
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('x-camrtc-error'), 'ERR_FFMPEG_MISSING');
        assert.match(((await res.json()) as { message: string }).message, /snapshots need ffmpeg/);
        await page.goto(`${camrtc.url}/camera/cam`);
        const deadline = Date.now() + 15_000;
        let text = '';
        while (Date.now() < deadline && !/ffmpeg/.test(text)) {
          await new Promise((r) => setTimeout(r, 200));
          text = await pageText(page);
        }
        assert.match(text, /transcode it to H\.264 for this browser, but ffmpeg is not installed/);
      } finally {
        await page.close();
        await camrtc.stop();
      }
    });
  }
});
