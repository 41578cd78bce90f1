/// <reference lib="dom" />
/**
 * Listens to what a page's player really plays: a WebAudio analyser on the audio track of the page's
 * <video> MediaStream, sampled every 50 ms for the whole test, so a test can tell a clean test tone
 * (one sharp spectral peak at the camera's sine frequency) from silence and from noise (video bytes
 * decoded as audio spread their energy over the whole spectrum).
 */
import type { Page } from 'playwright-core';

/** One analysis window (4096 samples, ~85 ms at 48 kHz). */
export interface AudioWindow {
  /** Wall clock (Date.now()) when the window was read: comparable with the test's own Date.now(). */
  at: number;
  /** Root mean square of the samples (a 0.3 full-scale sine is ~0.21). */
  rms: number;
  /** Frequency of the loudest FFT bin. */
  peakHz: number;
  /** Share of the spectrum's power within ±3 bins of the loudest one: ~1 for a sine, low for noise. */
  purity: number;
}

/** Quieter than this is silence (or comfort noise); the cameras' sine is ~0.21 RMS. */
export const AUDIBLE_RMS = 0.02;
/** A clean tone keeps this much of its power around its peak (noise keeps a few per cent). */
export const CLEAN_PURITY = 0.8;

declare global {
  interface Window {
    __audio?: { windows: AudioWindow[]; binHz: number; trackId: string };
  }
}

/**
 * Starts listening to the page's audio track; resolves with the track's id, or undefined when the
 * page's video has no MediaStream with an audio track yet.
 */
export async function startAudioMonitor(page: Page): Promise<string | undefined> {
  return page.evaluate(async () => {
    if (window.__audio) return window.__audio.trackId;
    const findVideo = (root: Document | ShadowRoot): HTMLVideoElement | null => {
      const direct = root.querySelector('video');
      if (direct) return direct;
      for (const el of Array.from(root.querySelectorAll('*'))) {
        const v = el.shadowRoot ? findVideo(el.shadowRoot) : null;
        if (v) return v;
      }
      return null;
    };
    const stream = findVideo(document)?.srcObject;
    if (!(stream instanceof MediaStream)) return undefined;
    const track = stream.getAudioTracks()[0];
    if (!track) return undefined;
    const ctx = new AudioContext();
    await ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    // Independent windows: a smoothed spectrum would carry noise over into the next readings.
    analyser.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const binHz = ctx.sampleRate / analyser.fftSize;
    const state = { windows: [] as AudioWindow[], binHz, trackId: track.id };
    window.__audio = state;
    const time = new Float32Array(analyser.fftSize);
    const freq = new Float32Array(analyser.frequencyBinCount);
    setInterval(() => {
      analyser.getFloatTimeDomainData(time);
      analyser.getFloatFrequencyData(freq);
      let sum = 0;
      for (const v of time) sum += v * v;
      const power = Array.from(freq, (db) => (Number.isFinite(db) ? 10 ** (db / 10) : 0));
      // Bins 0-2 are DC and rumble, not tone or noise.
      let peak = 3;
      let total = 0;
      for (let i = 3; i < power.length; i++) {
        total += power[i];
        if (power[i] > power[peak]) peak = i;
      }
      let near = 0;
      for (let i = Math.max(3, peak - 3); i <= Math.min(power.length - 1, peak + 3); i++) near += power[i];
      state.windows.push({ at: Date.now(), rms: Math.sqrt(sum / time.length), peakHz: peak * binHz, purity: total > 0 ? near / total : 0 });
      if (state.windows.length > 4000) state.windows.splice(0, 1000);
    }, 50);
    return track.id;
  });
}

/** The audio track the page's <video> plays now (id and readyState), to compare with the monitored one. */
export async function playedAudioTrack(page: Page): Promise<{ id: string; readyState: string } | undefined> {
  return page.evaluate(() => {
    const findVideo = (root: Document | ShadowRoot): HTMLVideoElement | null => {
      const direct = root.querySelector('video');
      if (direct) return direct;
      for (const el of Array.from(root.querySelectorAll('*'))) {
        const v = el.shadowRoot ? findVideo(el.shadowRoot) : null;
        if (v) return v;
      }
      return null;
    };
    const stream = findVideo(document)?.srcObject;
    const track = stream instanceof MediaStream ? stream.getAudioTracks()[0] : undefined;
    return track && { id: track.id, readyState: track.readyState };
  });
}

/** The windows read at or after `since` (Date.now() of the test). */
export async function audioWindows(page: Page, since = 0): Promise<{ windows: AudioWindow[]; binHz: number }> {
  return page.evaluate((from) => {
    const a = window.__audio;
    return { windows: a ? a.windows.filter((w) => w.at >= from) : [], binHz: a?.binHz ?? 0 };
  }, since);
}

export function isCleanTone(w: AudioWindow, toneHz: number, binHz: number): boolean {
  return w.rms > AUDIBLE_RMS && Math.abs(w.peakHz - toneHz) <= 2 * binHz && w.purity > CLEAN_PURITY;
}

/** Loud, and not the tone: what video bytes played as audio sound like. */
export function isNoise(w: AudioWindow, toneHz: number, binHz: number): boolean {
  return w.rms > AUDIBLE_RMS && !isCleanTone(w, toneHz, binHz);
}

export function describeWindows(windows: AudioWindow[]): string {
  const sample = windows.length > 12 ? [...windows.slice(0, 6), ...windows.slice(-6)] : windows;
  return sample.map((w) => `rms ${w.rms.toFixed(3)} peak ${Math.round(w.peakHz)} Hz purity ${w.purity.toFixed(2)}`).join('; ');
}

/**
 * Waits until `runLength` consecutive windows read after `since` are the clean tone; resolves with the
 * time the run began, or throws with what was heard instead.
 */
export async function waitForCleanTone(page: Page, toneHz: number, since: number, timeoutMs: number, runLength = 8): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { windows, binHz } = await audioWindows(page, since);
    let run = 0;
    for (let i = 0; i < windows.length; i++) {
      run = isCleanTone(windows[i], toneHz, binHz) ? run + 1 : 0;
      if (run >= runLength) return windows[i - runLength + 1].at;
    }
    if (Date.now() > deadline) {
      throw new Error(`no clean ${toneHz} Hz tone (${runLength} windows in a row) within ${timeoutMs} ms; heard: ${describeWindows(windows) || 'nothing (no audio track?)'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
