/// <reference lib="dom" />
/**
 * Headless Debian Chromium driven by playwright-core (never a downloaded browser).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
}

/** `extraArgs`: more command-line switches (a fake microphone for the talk test, say). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      // ICE over loopback only: Chromium skips loopback candidates unless told, and hides host
      // addresses behind mDNS names that cannot resolve here.
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      ...extraArgs,
    ],
  });
}

export interface VideoProgress {
  found: boolean;
  frames: number;
  width: number;
  height: number;
  mediaTimeAdvanced: boolean;
  status: string;
}

/**
 * Finds the page's <video> (light DOM or open shadow roots), then counts decoded frames with
 * requestVideoFrameCallback for `ms` milliseconds.
 */
export async function measureVideo(page: Page, ms: number): Promise<VideoProgress> {
  return page.evaluate(async (duration) => {
    const findVideo = (root: Document | ShadowRoot): HTMLVideoElement | null => {
      const direct = root.querySelector('video');
      if (direct) return direct;
      for (const el of Array.from(root.querySelectorAll('*'))) {
        if (el.shadowRoot) {
          const v = findVideo(el.shadowRoot);
          if (v) return v;
        }
      }
      return null;
    };
    const statusText = (): string => {
      const parts: string[] = [];
      const walk = (root: Document | ShadowRoot): void => {
        for (const el of Array.from(root.querySelectorAll('[data-status], .status'))) parts.push((el.textContent ?? '').trim());
        for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
      };
      walk(document);
      return parts.join(' | ');
    };
    const video = findVideo(document);
    if (!video) return { found: false, frames: 0, width: 0, height: 0, mediaTimeAdvanced: false, status: statusText() };
    let frames = 0;
    let firstMediaTime = -1;
    let lastMediaTime = -1;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      frames++;
      if (firstMediaTime < 0) firstMediaTime = meta.mediaTime;
      lastMediaTime = meta.mediaTime;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    await new Promise((r) => setTimeout(r, duration));
    return {
      found: true,
      frames,
      width: video.videoWidth,
      height: video.videoHeight,
      mediaTimeAdvanced: lastMediaTime > firstMediaTime,
      status: statusText(),
    };
  }, ms);
}

/** Waits until the page's video has decoded at least one frame (or the timeout passes). */
export async function waitForFirstFrame(page: Page, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const p = await measureVideo(page, 250);
    if (p.frames > 0 && p.width > 0) return true;
  }
  return false;
}
