/// <reference lib="dom" />
/**
 * Page-side measurement, installed before any page script runs (Playwright addInitScript), so it works
 * unchanged on camrtc's own camera page and on the Janus page: it hooks the `srcObject` setter, and for
 * every video that gets a stream reads each decoded frame (requestVideoFrameCallback) back through a
 * canvas. The camera stamped its wall clock into the frame (gst-rtsp-server.py --stamp); latency is
 * performance.timeOrigin + now (when the frame is handed to the compositor) minus that stamp.
 * Results accumulate in window.__bench.
 */

export interface ProbeState {
  /** performance.now() of the first decoded frame (ms since navigation start); -1 before it. */
  firstFrame: number;
  frames: number;
  /** Stamps that failed their check (misread, e.g. a frame decoded with errors). */
  bad: number;
  /** [wall clock ms of display, glass-to-glass latency ms] per decoded frame, drained by the bench. */
  samples: Array<[number, number]>;
  width: number;
  height: number;
  /**
   * [performance.now() of display, age ms] of every readable frame shown in the first
   * EARLY_WINDOW_MS after navigation: the picture's age while it catches up to live.
   */
  early: Array<[number, number]>;
  /** performance.now() of the first frame no more than LIVE_MAX_AGE_MS old; -1 before it. */
  liveAt: number;
  /** performance.now() of the steps before the first frame (first occurrence of each). */
  marks: Partial<Record<'peerConnection' | 'offer' | 'answer' | 'connected' | 'track', number>>;
}

/** What the page logs (console.debug) when its first frame is decoded (installProbe's argument). */
export const FIRST_FRAME_MESSAGE = 'camrtc-bench:first-frame';
/** What the page logs when its first live frame (LIVE_MAX_AGE_MS) is shown. */
export const LIVE_MESSAGE = 'camrtc-bench:live';
/** A frame is live when shown no more than this long after the camera made it (issue 18). */
export const LIVE_MAX_AGE_MS = 150;
/** How long after navigation every frame's age is kept (the age-over-time plot). */
export const EARLY_WINDOW_MS = 3000;

/** Runs in the page. Self-contained: Playwright sends its source text and the argument. */
export function installProbe(args: { firstFrameMessage: string; liveMessage: string; liveMaxAgeMs: number; earlyWindowMs: number }): void {
  const { firstFrameMessage, liveMessage, liveMaxAgeMs, earlyWindowMs } = args;
  const STAMP_BITS = 48;
  const BLOCK = 16;
  const ROW = 16; // middle of the 32-row stamp
  const state: ProbeState = { firstFrame: -1, frames: 0, bad: 0, samples: [], width: 0, height: 0, marks: {}, early: [], liveAt: -1 };
  const mark = (name: keyof ProbeState['marks']): void => {
    state.marks[name] ??= performance.now();
  };
  (window as unknown as { __bench: ProbeState }).__bench = state;
  const watched = new WeakSet<HTMLVideoElement>();
  const watch = (video: HTMLVideoElement): void => {
    if (watched.has(video)) return;
    watched.add(video);
    const canvas = document.createElement('canvas');
    canvas.width = STAMP_BITS * BLOCK;
    canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const onFrame = (now: number): void => {
      state.frames++;
      if (state.firstFrame < 0) {
        state.firstFrame = now;
        // The bench waits for this one message instead of polling the page (see waitFirstFrame).
        console.debug(firstFrameMessage);
      }
      state.width = video.videoWidth;
      state.height = video.videoHeight;
      ctx.drawImage(video, 0, ROW, canvas.width, 1, 0, 0, canvas.width, 1);
      const px = ctx.getImageData(0, 0, canvas.width, 1).data;
      let value = 0;
      for (let i = 0; i < STAMP_BITS; i++) {
        const o = (i * BLOCK + BLOCK / 2) * 4;
        const luma = 0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2];
        value = value * 2 + (luma > 128 ? 1 : 0); // 48 bits: exact in a double, unlike 32-bit bit ops
      }
      const ms = Math.floor(value / 64);
      if (ms % 61 + 1 === value % 64) {
        const shown = performance.timeOrigin + now;
        const age = shown - ms;
        state.samples.push([shown, age]);
        if (now <= earlyWindowMs) state.early.push([now, age]);
        if (state.liveAt < 0 && age <= liveMaxAgeMs) {
          state.liveAt = now;
          console.debug(liveMessage);
        }
      } else {
        state.bad++;
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  // Where the time to the first frame goes: signaling (offer), ICE + DTLS (connected), media (track, frame).
  const pcProto = RTCPeerConnection.prototype;
  const setRemote = pcProto.setRemoteDescription;
  const setLocal = pcProto.setLocalDescription;
  pcProto.setRemoteDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof setRemote>) {
    mark('peerConnection');
    mark('offer');
    this.addEventListener('connectionstatechange', () => this.connectionState === 'connected' && mark('connected'));
    this.addEventListener('track', () => mark('track'));
    return setRemote.apply(this, args);
  } as typeof setRemote;
  pcProto.setLocalDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof setLocal>) {
    mark('answer');
    return setLocal.apply(this, args);
  } as typeof setLocal;
  const desc = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'srcObject')!;
  Object.defineProperty(HTMLMediaElement.prototype, 'srcObject', {
    configurable: true,
    enumerable: desc.enumerable,
    get(this: HTMLMediaElement) {
      return desc.get!.call(this);
    },
    set(this: HTMLMediaElement, value: MediaProvider | null) {
      desc.set!.call(this, value);
      if (value && this instanceof HTMLVideoElement) watch(this);
    },
  });
}
