/// <reference lib="dom" />
/**
 * Codecs end to end in Chromium: H.264 Baseline and High negotiated with the stream's own
 * profile-level-id; Opus and PCMA passed through and AAC (MPEG4-GENERIC and MP4A-LATM) transcoded to
 * Opus, each heard as non-silent audio through WebAudio; H.265 played or refused with the clear
 * message, depending on what this Chromium can decode.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { GstCamera, type GstCameraOptions } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium } from './support/browser.js';
import { audioPeak, installProbe, offeredSdp, pageText, waitForProbe } from './media-probe.js';
import { findFfmpeg } from '../../server/src/audio/ffmpeg.js';

const missing = GstCamera.missing() ?? browserMissing();
/** The sine is at 0.3 of full scale; silence (or comfort noise) stays far below this. */
const AUDIBLE = 0.05;

interface ApiCamera {
  name: string;
  state: string;
  error?: { code: string; message: string };
  warning?: { code: string; message: string };
}

/** The camera 'cam' from /api/cameras once it is in `state` (or the last reading after 15 s). */
async function cameraInState(camrtc: CamrtcProcess, state: string): Promise<ApiCamera | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = ((await (await fetch(`${camrtc.url}/api/cameras`)).json()) as ApiCamera[]).find((c) => c.name === 'cam');
    if (info?.state === state || Date.now() > deadline) return info;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('media: codecs in Chromium', { skip: missing }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function withCamera(options: GstCameraOptions, run: (page: Page, camrtc: CamrtcProcess) => Promise<void>): Promise<void> {
    const camera = await GstCamera.start(options);
    const camrtc = await CamrtcProcess.start(['--camera', `cam=${camera.url()}`]);
    const page = await browser.newPage();
    try {
      await installProbe(page);
      await page.goto(`${camrtc.url}/camera/cam`);
      await run(page, camrtc);
    } finally {
      await page.close();
      await camrtc.stop();
      await camera.close();
    }
  }

  for (const [profile, prefix] of [['baseline', '42'], ['high', '64']] as const) {
    it(`H.264 ${profile}: offered with the stream's profile-level-id (${prefix}....), decoded`, async () => {
      await withCamera({ profile }, async (page) => {
        const p = await waitForProbe(page, (x) => x.frames > 10, 15_000, 'frames');
        assert.equal(p.width, 640);
        const sdp = await offeredSdp(page);
        const plid = /profile-level-id=([0-9a-f]{6})/i.exec(sdp)?.[1];
        assert.ok(plid?.startsWith(prefix), `offered profile-level-id ${plid}`);
        assert.match(sdp, /level-asymmetry-allowed=1/);
      });
    });
  }

  const audioCases: Array<[GstCameraOptions['audio'], string]> = [
    ['opus', 'opus'],
    ['pcma', 'PCMA'],
    ['aac', 'opus'],
    ['aac-latm', 'opus'],
  ];
  for (const [audio, codec] of audioCases) {
    const needsFfmpeg = audio === 'aac' || audio === 'aac-latm';
    it(`${audio} audio: reaches the page as ${codec} and is not silent`, { skip: needsFfmpeg && !findFfmpeg() ? 'ffmpeg not installed' : false }, async () => {
      await withCamera({ audio }, async (page) => {
        await waitForProbe(page, (x) => x.frames > 5, 15_000, 'frames');
        const sdp = await offeredSdp(page);
        assert.match(sdp, new RegExp(`a=rtpmap:\\d+ ${codec}/`, 'i'));
        const peak = await audioPeak(page, 1500);
        assert.ok(peak > AUDIBLE, `audio peak ${peak}`);
      });
    });
  }

  it('H.265: plays when this Chromium decodes it, else the page says exactly why', async () => {
    const page0 = await browser.newPage();
    const canDecode = await page0.evaluate(() => (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).some((c) => /h265|hevc/i.test(c.mimeType)));
    await page0.close();
    await withCamera({ video: 'h265' }, async (page, camrtc) => {
      // The API says not every browser plays it, whichever this one is.
      const info = await cameraInState(camrtc, 'live');
      assert.equal(info?.state, 'live');
      assert.equal(info?.warning?.code, 'ERR_CODEC_UNSUPPORTED', `an H.265 camera says in the API that some browsers are refused: ${JSON.stringify(info)}`);
      assert.match(info!.warning!.message, /H\.265/);
      if (canDecode) {
        const p = await waitForProbe(page, (x) => x.frames > 10, 15_000, 'H.265 frames');
        assert.equal(p.width, 640);
        assert.match(await offeredSdp(page), /H265\/90000/);
      } else {
        const deadline = Date.now() + 15_000;
        let text = '';
        while (Date.now() < deadline && !/H\.265/.test(text)) {
          await new Promise((r) => setTimeout(r, 200));
          text = await pageText(page);
        }
        assert.match(text, /this camera sends H\.265, which this browser cannot play; switch the camera's stream to H\.264/);
      }
    });
  });

  it('MJPEG only: the camera is unplayable, says what it offers, is not retried, and the page says so', async () => {
    await withCamera({ video: 'mjpeg' }, async (page, camrtc) => {
      const deadline = Date.now() + 15_000;
      const info = await cameraInState(camrtc, 'unplayable');
      assert.equal(info?.state, 'unplayable', JSON.stringify(info));
      assert.equal(info?.error?.code, 'ERR_RTSP_NO_TRACKS');
      assert.match(info!.error!.message, /video JPEG/);
      let text = '';
      while (Date.now() < deadline && !/JPEG/.test(text)) {
        await new Promise((r) => setTimeout(r, 200));
        text = await pageText(page);
      }
      assert.match(text, /offers no track camrtc can play \(it offers: video JPEG\)/);
      // Not retried: no new connection attempt while nobody asks again (a backoff retries within 1 s).
      const attempts = (): number => camrtc.logs.filter((l) => l.camera === 'cam' && l.state === 'connecting').length;
      const before = attempts();
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(attempts(), before, 'no reconnect attempts to a camera that has nothing playable');
      const again = ((await (await fetch(`${camrtc.url}/api/cameras`)).json()) as Array<{ name: string; state: string }>).find((c) => c.name === 'cam');
      assert.equal(again?.state, 'unplayable');
    });
  });
});
