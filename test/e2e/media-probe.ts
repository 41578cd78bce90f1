/// <reference lib="dom" />
/**
 * Page instrumentation for the media e2e tests (not a test file): counts the page's
 * RTCPeerConnections, notes when the first one connected and when the first video frame was
 * presented, and measures audio loudness through WebAudio. Installed before any page script runs.
 */
import type { Page } from 'playwright-core';

export interface MediaProbe {
  /** RTCPeerConnections the page created. */
  peerConnections: number;
  /** setRemoteDescription calls on all of them: more than one per connection is a renegotiation. */
  remoteDescriptions: number;
  /** connectionState of the first one. */
  state: string;
  /** performance.now() when the first connection became 'connected', and when the first frame showed. */
  connectedAt?: number;
  firstFrameAt?: number;
  /** Frames presented so far (requestVideoFrameCallback). */
  frames: number;
  width: number;
  height: number;
}

declare global {
  interface Window {
    __probe: MediaProbe & { pcs: RTCPeerConnection[] };
  }
}

/** Installs the probe in every document the page loads. */
export async function installProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const probe = { peerConnections: 0, remoteDescriptions: 0, state: 'none', frames: 0, width: 0, height: 0, pcs: [] as RTCPeerConnection[] } as Window['__probe'];
    window.__probe = probe;
    const Native = window.RTCPeerConnection;
    class Probed extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        probe.pcs.push(this);
        probe.peerConnections++;
        const setRemote = this.setRemoteDescription.bind(this);
        this.setRemoteDescription = ((description: RTCSessionDescriptionInit) => {
          probe.remoteDescriptions++;
          return setRemote(description);
        }) as typeof this.setRemoteDescription;
        if (probe.pcs.length === 1) {
          this.addEventListener('connectionstatechange', () => {
            probe.state = this.connectionState;
            if (this.connectionState === 'connected' && probe.connectedAt === undefined) probe.connectedAt = performance.now();
          });
        }
      }
    }
    window.RTCPeerConnection = Probed;
    const findVideo = (root: Document | ShadowRoot): HTMLVideoElement | null => {
      const direct = root.querySelector('video');
      if (direct) return direct;
      for (const el of Array.from(root.querySelectorAll('*'))) {
        const v = el.shadowRoot ? findVideo(el.shadowRoot) : null;
        if (v) return v;
      }
      return null;
    };
    const poll = setInterval(() => {
      const video = document.readyState === 'loading' ? null : findVideo(document);
      if (!video) return;
      clearInterval(poll);
      const onFrame = (): void => {
        probe.frames++;
        probe.width = video.videoWidth;
        probe.height = video.videoHeight;
        if (probe.firstFrameAt === undefined) probe.firstFrameAt = performance.now();
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }, 2);
  });
}

export async function readProbe(page: Page): Promise<MediaProbe> {
  return page.evaluate(() => {
    const { pcs: _pcs, ...rest } = window.__probe;
    return { ...rest, state: window.__probe.pcs[0]?.connectionState ?? 'none' };
  });
}

/** Waits until `pred` holds for the probe, or throws with the last probe and `what`. */
export async function waitForProbe(page: Page, pred: (p: MediaProbe) => boolean, timeoutMs: number, what: string): Promise<MediaProbe> {
  const deadline = Date.now() + timeoutMs;
  let last = await readProbe(page);
  while (!pred(last)) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms; probe: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
    last = await readProbe(page);
  }
  return last;
}

/**
 * Steady-state jitter-buffer delay of the first connection's inbound video over `ms` (Chrome's
 * jitterBufferDelay / jitterBufferEmittedCount, difference of two samples), in milliseconds.
 */
export async function jitterBufferDelayMs(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (duration) => {
    const sample = async (): Promise<{ delay: number; count: number }> => {
      const stats = await window.__probe.pcs[0].getStats();
      let out = { delay: 0, count: 0 };
      stats.forEach((s: { type: string; kind?: string; jitterBufferDelay?: number; jitterBufferEmittedCount?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') out = { delay: s.jitterBufferDelay ?? 0, count: s.jitterBufferEmittedCount ?? 0 };
      });
      return out;
    };
    const a = await sample();
    await new Promise((r) => setTimeout(r, duration));
    const b = await sample();
    return b.count > a.count ? ((b.delay - a.delay) / (b.count - a.count)) * 1000 : -1;
  }, ms);
}

/**
 * Peak level (0..1) of the page video's audio over `ms`, through a WebAudio analyser on the
 * element's MediaStream: proves the browser receives and decodes sound, not just packets.
 */
export async function audioPeak(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (duration) => {
    const findVideo = (root: Document | ShadowRoot): HTMLVideoElement | null => {
      const direct = root.querySelector('video');
      if (direct) return direct;
      for (const el of Array.from(root.querySelectorAll('*'))) {
        const v = el.shadowRoot ? findVideo(el.shadowRoot) : null;
        if (v) return v;
      }
      return null;
    };
    const video = findVideo(document);
    const stream = video?.srcObject;
    if (!(stream instanceof MediaStream) || stream.getAudioTracks().length === 0) return -1;
    const ctx = new AudioContext();
    await ctx.resume();
    const source = ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let peak = 0;
    const end = performance.now() + duration;
    while (performance.now() < end) {
      analyser.getFloatTimeDomainData(buf);
      for (const v of buf) peak = Math.max(peak, Math.abs(v));
      await new Promise((r) => setTimeout(r, 50));
    }
    await ctx.close();
    return peak;
  }, ms);
}

/** The text of every status element of the page (light DOM and open shadow roots). */
export async function statusText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const parts: string[] = [];
    const walk = (root: Document | ShadowRoot): void => {
      for (const el of Array.from(root.querySelectorAll('[data-status], .status, [role=status]'))) parts.push((el.textContent ?? '').trim());
      for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return parts.join(' | ');
  });
}

/** The SDP the server offered to the page's first peer connection. */
export async function offeredSdp(page: Page): Promise<string> {
  return page.evaluate(() => window.__probe.pcs[0]?.remoteDescription?.sdp ?? '');
}

/** The page's whole visible text, shadow roots included. */
export async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const texts: string[] = [];
    const walk = (root: Document | ShadowRoot): void => {
      texts.push(root instanceof Document ? root.body.innerText : Array.from(root.children).map((c) => (c as HTMLElement).innerText ?? c.textContent ?? '').join(' '));
      for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return texts.join(' ');
  });
}

/** The first connection's inbound audio as Chromium's getStats() reports it (undefined: none). */
export async function inboundAudio(page: Page): Promise<{ mimeType: string; packetsReceived: number; totalSamplesReceived: number } | undefined> {
  return page.evaluate(async () => {
    const stats = await window.__probe.pcs[0]?.getStats();
    if (!stats) return undefined;
    const codecs = new Map<string, string>();
    let inbound: { codecId?: string; packetsReceived?: number; totalSamplesReceived?: number } | undefined;
    stats.forEach((s: { type: string; id: string; kind?: string; mimeType?: string; codecId?: string; packetsReceived?: number; totalSamplesReceived?: number }) => {
      if (s.type === 'codec') codecs.set(s.id, s.mimeType ?? '');
      if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
    });
    const found = inbound && {
      mimeType: (inbound.codecId && codecs.get(inbound.codecId)) || '',
      packetsReceived: inbound.packetsReceived ?? 0,
      totalSamplesReceived: inbound.totalSamplesReceived ?? 0,
    };
    return found;
  });
}
