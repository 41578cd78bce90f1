/**
 * The player's stream="auto" (README "Main and sub streams"): watches the element's size
 * (ResizeObserver), fullscreen and the picture's own size, and asks the client for the stream
 * streamChoice.ts picks, once the size settled. It asks only when the server said the camera has
 * two streams, and does not ask again for a stream the server could not switch to until the size
 * asked for the other one in between.
 */
import type { StreamName } from '../../shared/protocol.js';
import type { ClientStream } from './CamrtcClientTypes.js';
import { chooseStream, pictureWidth } from './streamChoice.js';

/**
 * A size must hold this long before the player switches streams (a window being dragged larger
 * passes every size on the way). Fullscreen and the picture's own size change decide at once.
 */
export const STREAM_SETTLE_MS = 250;

export interface StreamFollowerHooks {
  /** The element's `stream` attribute: 'auto', or a stream it pins. */
  pinned(): 'auto' | StreamName;
  /** Asks the client for this stream (CamrtcClient.setStream: nothing when it is asked already). */
  request(stream: StreamName): void;
  /** The stream playing changed. */
  changed(stream: ClientStream): void;
}

export class StreamFollower {
  readonly #host: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #hooks: StreamFollowerHooks;
  // Entering or leaving fullscreen resizes the element too: that decision does not wait.
  readonly #resize = new ResizeObserver(() => this.soon(this.#fullscreen() !== this.#decidedFullscreen ? 0 : STREAM_SETTLE_MS));
  readonly #onFullscreen = (): void => this.soon(0);
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** What the server sends (its `stream` message). */
  #active: ClientStream | undefined;
  /** The sub stream's width, once the server or the picture told it. */
  #subWidth: number | undefined;
  /** A stream the server could not switch to. */
  #refused: StreamName | undefined;
  /** Whether the element was fullscreen at the last decision. */
  #decidedFullscreen = false;

  constructor(host: HTMLElement, video: HTMLVideoElement, hooks: StreamFollowerHooks) {
    this.#host = host;
    this.#video = video;
    this.#hooks = hooks;
    video.addEventListener('resize', () => {
      if (this.#active?.stream === 'sub' && video.videoWidth > 0) this.#subWidth = video.videoWidth;
      this.soon(0);
    });
  }

  /** The stream playing, once the server said. */
  get active(): StreamName | undefined {
    return this.#active?.stream;
  }

  /** The element is in the page. */
  start(): void {
    document.addEventListener('fullscreenchange', this.#onFullscreen);
    this.#resize.observe(this.#host);
  }

  stop(): void {
    document.removeEventListener('fullscreenchange', this.#onFullscreen);
    this.#resize.disconnect();
    clearTimeout(this.#timer);
  }

  /** A new connection: nothing is known of its stream yet. */
  reset(): void {
    this.#active = undefined;
    this.#refused = undefined;
  }

  /** The stream the attribute, the picture's drawn size and fullscreen ask for. */
  wanted(): StreamName {
    const pinned = this.#hooks.pinned();
    if (pinned !== 'auto') return pinned;
    const box = this.#host.getBoundingClientRect();
    const video = this.#video;
    return chooseStream({
      current: this.#active?.stream,
      pictureWidth: pictureWidth(box.width, box.height, video.videoWidth, video.videoHeight, window.devicePixelRatio),
      subWidth: this.#subWidth,
      fullscreen: this.#fullscreen(),
    });
  }

  #fullscreen(): boolean {
    return document.fullscreenElement === this.#host;
  }

  /** Decides again after `delayMs` without a further change. */
  soon(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Before the server said which streams the camera has, the watch itself carries the choice.
      if ((this.#active?.streams.length ?? 0) < 2) return;
      this.#decidedFullscreen = this.#fullscreen();
      const wanted = this.wanted();
      if (wanted === this.#active?.stream) this.#refused = undefined;
      if (wanted !== this.#refused) this.#hooks.request(wanted);
    }, delayMs);
  }

  /** The server's `stream` message. */
  serverSaid(stream: ClientStream): void {
    const changed = stream.stream !== this.#active?.stream;
    this.#active = stream;
    if (stream.error) this.#refused = stream.stream === 'main' ? 'sub' : 'main';
    const subWidth = stream.streams.find((s) => s.name === 'sub')?.width;
    if (subWidth) this.#subWidth = subWidth;
    if (changed) this.#hooks.changed(stream);
    this.soon(0);
  }
}
