/**
 * <camrtc-player camera="NAME">: a live camera in any page, also pages of another origin. Loaded as an
 * ES module from the camrtc server (/camrtc-player.js), no framework needed. Its open shadow root holds
 * the <video> (part="video"), a status line, optional controls and a stats overlay.
 *
 * Attributes:
 *   camera             camera name (required)
 *   server             base URL of the camrtc server (default: this page's origin); ws(s):// also works
 *   muted              default on (browsers only autoplay muted video); muted="false" starts with sound
 *   controls           play/pause, unmute, fullscreen, snapshot, stats toggle
 *   stats              shows the stats overlay (bitrate, fps, resolution, codec, RTT, loss, jitter buffer,
 *                      and a plot of bitrate and delay over the last minute)
 *   pause-when-hidden  stops the downstream while the tab is hidden, resumes when shown
 *   token              a viewer token (`camrtc token`, POST /api/tokens, or an identity provider's JWT);
 *                      a new value restarts a player that is not playing, and is used by a playing one
 *                      from its next reconnection on. A refusal ("Not allowed to watch yard") stops the
 *                      player with that message and its code instead of retrying.
 *   ice-transport-policy  relay: the browser sends and receives media through a TURN server only
 *                      (the server hands each viewer its TURN servers and credentials); all: any path.
 *                      Default: what the server says (webrtc.iceTransportPolicy), else all.
 *   stream             auto (default): the camera's sub stream while the picture is small, its main
 *                      stream when drawn wider than the sub stream's width (by 25 %, in device pixels)
 *                      or fullscreen, switching on the same connection (StreamFollower.ts); main or
 *                      sub pins one. A camera without a sub stream always plays main.
 * Methods: play(), pause(), seek(seconds) (recordings), snapshot() -> Promise<Blob> (PNG, video size),
 * talk() -> Promise (starts two-way audio: the microphone goes to the camera's speaker), stopTalk(),
 * and the talkConstraints property (the microphone's MediaTrackConstraints).
 * Properties: state ('connecting' | 'live' | 'paused' | 'reconnecting' | 'offline' | 'error'), error
 * ({ code?, message } | null), seekable, video, talkState ('unavailable' | 'idle' | 'talking' |
 * 'busy'), talkHolder (who talks when busy), stream (the attribute), activeStream ('main' | 'sub' |
 * undefined: the stream playing).
 * Events: 'statechange' on every state change (detail: { state, error }), then one named after the
 * new state ('live', 'paused', ...); 'talkchange' (detail: { state, holder, error }); 'streamchange'
 * when the stream playing changed (detail: { stream, streams }). It reconnects by itself with backoff,
 * and stops when removed.
 * Talk: with `controls`, a push-to-talk button (hold it, or hold Space or Enter on it) when the camera
 * has an audio backchannel and the viewer the `talk` permission; hidden otherwise. While another
 * viewer talks it names them ("alice is talking"): one talker per camera.
 */
import { CamrtcClient, REFUSAL_CODES, type ClientState, type ClientStatus, type TalkInfo, type TalkState } from './CamrtcClient.js';
import type { StatsSample } from './statsModel.js';
import { StatsOverlay } from './statsOverlay.js';
import type { StreamName } from '../../shared/protocol.js';
import { StreamFollower } from './StreamFollower.js';

/**
 * A (re)start shows "Connecting…" only if the picture takes longer than this: a quick start shows no
 * flash of text. It also keeps the status line's first layout (in a fresh page, 10-40 ms of text
 * shaping on the benchmark machine) off the path to the first frame.
 */
export const STATUS_QUIET_MS = 500;

const STYLE = `
:host { display: block; position: relative; background: #000; color: #fff; aspect-ratio: 16 / 9; overflow: hidden;
  font: 13px/1.4 system-ui, sans-serif; contain: content; }
:host([hidden]) { display: none; }
video { display: block; width: 100%; height: 100%; object-fit: contain; background: #000; }
.status { position: absolute; left: 8px; bottom: 8px; max-width: calc(100% - 16px); padding: 2px 8px; border-radius: 4px;
  background: rgb(0 0 0 / 60%); pointer-events: none; transition: opacity 0.3s; }
:host([controls]) .status { bottom: 44px; }
.status[data-state="live"] { opacity: 0; }
.status[data-state="error"], .status[data-state="offline"] { background: rgb(140 20 20 / 80%); }
button { padding: 4px 10px; border: 0; border-radius: 4px; background: rgb(255 255 255 / 85%); color: #000; font: inherit; cursor: pointer; }
button[hidden], .bar[hidden], .status[hidden] { display: none; }
.unmute { position: absolute; right: 8px; bottom: 8px; }
.bar { position: absolute; left: 0; right: 0; bottom: 0; display: flex; gap: 6px; padding: 6px 8px; background: linear-gradient(transparent, rgb(0 0 0 / 70%)); }
.bar .spacer { flex: 1; }
.talk { touch-action: none; user-select: none; }
.talk[data-talk="talking"] { background: rgb(220 40 40 / 90%); color: #fff; }
.talk[data-talk="busy"] { opacity: 0.7; }
`;

const STATUS_TEXT: Record<ClientState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  paused: 'Paused',
  reconnecting: 'Reconnecting…',
  offline: 'Camera offline',
  error: 'Cannot play',
};

export type PlayerState = ClientState;
export interface PlayerError {
  code?: string;
  message: string;
}

function button(className: string, text: string, title: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.title = title;
  b.setAttribute('part', `button ${className}`);
  return b;
}

export class CamrtcPlayerElement extends HTMLElement {
  static readonly observedAttributes = ['camera', 'server', 'muted', 'controls', 'stats', 'pause-when-hidden', 'token', 'ice-transport-policy', 'stream'];

  readonly #video: HTMLVideoElement;
  readonly #status: HTMLDivElement;
  readonly #unmute: HTMLButtonElement;
  readonly #bar: HTMLDivElement;
  readonly #playButton: HTMLButtonElement;
  readonly #muteButton: HTMLButtonElement;
  readonly #talkButton: HTMLButtonElement;
  #talk: TalkInfo = { state: 'unavailable' };
  #talkConstraints: MediaTrackConstraints | undefined;
  /** The push-to-talk button is held (pointer or key). */
  #talkHeld = false;
  readonly #root: ShadowRoot;
  /** Made the first time stats are shown (statsOverlay.ts). */
  #statsOverlay: StatsOverlay | undefined;
  #client: CamrtcClient | undefined;
  #state: PlayerState = 'connecting';
  #error: PlayerError | null = null;
  #hasAudio = false;
  #seekable = false;
  /** The user (or a script) paused: hiding and showing the tab must not resume it. */
  #userPaused = false;
  #hiddenPaused = false;
  /** Set once the user picked sound on or off, so attribute changes do not override the choice. */
  #soundChosen = false;
  /** While set, the status line stays hidden (see STATUS_QUIET_MS). */
  #quietTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onVisibility = (): void => this.#visibilityChanged();
  /** stream="auto": which of the camera's streams the size asks for. */
  readonly #streams: StreamFollower;
  /**
   * Between connectedCallback and disconnectedCallback. An element upgraded from the page's markup
   * gets attributeChangedCallback for its attributes before connectedCallback, while isConnected is
   * already true: without this flag it would start twice (two sessions, the first one wasted).
   */
  #connected = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    this.#root = root;
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.#video = document.createElement('video');
    this.#video.muted = true;
    this.#video.autoplay = true;
    this.#video.playsInline = true;
    this.#video.setAttribute('part', 'video');
    this.#status = document.createElement('div');
    this.#status.className = 'status';
    this.#status.setAttribute('part', 'status');
    this.#status.setAttribute('role', 'status');
    this.#unmute = button('unmute', 'Unmute', 'Turn the sound on');
    this.#unmute.hidden = true;
    this.#unmute.addEventListener('click', () => this.#toggleMute());

    this.#bar = document.createElement('div');
    this.#bar.className = 'bar';
    this.#bar.setAttribute('part', 'controls');
    this.#playButton = button('playpause', 'Pause', 'Pause / play');
    this.#playButton.addEventListener('click', () => (this.#state === 'paused' ? this.play() : this.pause()));
    this.#muteButton = button('mute', 'Unmute', 'Sound on / off');
    this.#muteButton.addEventListener('click', () => this.#toggleMute());
    this.#talkButton = button('talk', 'Talk', 'Hold to talk to the camera');
    this.#holdToTalk(this.#talkButton);
    const full = button('fullscreen', 'Fullscreen', 'Full screen');
    full.addEventListener('click', () => void this.#toggleFullscreen());
    const shot = button('snapshot', 'Snapshot', 'Save the current frame as PNG');
    shot.addEventListener('click', () => void this.#saveSnapshot());
    const statsToggle = button('statstoggle', 'Stats', 'Show / hide statistics');
    statsToggle.addEventListener('click', () => this.toggleAttribute('stats'));
    const spacer = document.createElement('span');
    spacer.className = 'spacer';
    this.#bar.append(this.#playButton, this.#muteButton, this.#talkButton, spacer, statsToggle, shot, full);
    root.append(style, this.#video, this.#status, this.#unmute, this.#bar);
    this.#streams = new StreamFollower(this, this.#video, {
      pinned: () => this.stream,
      request: (stream) => this.#client?.setStream(stream),
      changed: ({ stream, streams }) => this.dispatchEvent(new CustomEvent('streamchange', { detail: { stream, streams } })),
    });
    this.#applyChrome();
  }

  get camera(): string {
    return this.getAttribute('camera') ?? '';
  }
  set camera(value: string) {
    this.setAttribute('camera', value);
  }
  get server(): string | null {
    return this.getAttribute('server');
  }
  set server(value: string | null) {
    if (value === null) this.removeAttribute('server');
    else this.setAttribute('server', value);
  }
  get token(): string | null {
    return this.getAttribute('token');
  }
  set token(value: string | null) {
    if (value === null) this.removeAttribute('token');
    else this.setAttribute('token', value);
  }
  get state(): PlayerState {
    return this.#state;
  }
  /** Why the player is offline or in error (with the server's stable code), else null. */
  get error(): PlayerError | null {
    return this.#error;
  }
  /** The camera is a recording: seek() works. */
  get seekable(): boolean {
    return this.#seekable;
  }
  get video(): HTMLVideoElement {
    return this.#video;
  }
  /**
   * The microphone's constraints for talk (MediaTrackConstraints). Default: echo cancellation, noise
   * suppression and automatic gain on, as speech wants; turn them off to send music or test tones,
   * which noise suppression takes for noise.
   */
  get talkConstraints(): MediaTrackConstraints | undefined {
    return this.#talkConstraints;
  }
  set talkConstraints(constraints: MediaTrackConstraints | undefined) {
    this.#talkConstraints = constraints;
    if (this.#client) this.#client.talkConstraints = constraints;
  }

  /** Two-way audio: 'unavailable' (no talk button), 'idle', 'talking' or 'busy' (another viewer talks). */
  get talkState(): TalkState {
    return this.#talk.state;
  }
  /** Who talks to the camera while talkState is 'busy'. */
  get talkHolder(): string | null {
    return this.#talk.holder ?? null;
  }

  /** Starts talking to the camera (as pressing the talk button does); rejects when talk is unavailable or the microphone is refused. */
  talk(): Promise<void> {
    return this.#client ? this.#client.talk() : Promise.reject(new Error('the player is not started'));
  }

  stopTalk(): void {
    this.#client?.stopTalk();
  }

  /** The stream attribute: 'auto' (default), 'main' or 'sub'. */
  get stream(): 'auto' | StreamName {
    const value = this.getAttribute('stream')?.trim().toLowerCase();
    return value === 'main' || value === 'sub' ? value : 'auto';
  }
  set stream(value: 'auto' | StreamName) {
    this.setAttribute('stream', value);
  }
  /** The stream playing ('main' or 'sub'), once the server said. */
  get activeStream(): StreamName | undefined {
    return this.#streams.active;
  }
  /** The latest stats sample (also while the overlay is hidden, once stats were shown). */
  get stats(): StatsSample | undefined {
    return this.#statsOverlay?.latest;
  }

  play(): void {
    this.#userPaused = false;
    this.#hiddenPaused = false;
    this.#client?.play();
  }

  pause(): void {
    this.#userPaused = true;
    this.#client?.pause();
  }

  seek(seconds: number): void {
    this.#userPaused = false;
    this.#client?.seek(seconds);
  }

  /** The frame on screen as a PNG of the video's own size. Rejects before the first frame. */
  snapshot(): Promise<Blob> {
    const video = this.#video;
    if (!video.videoWidth || !video.videoHeight) return Promise.reject(new Error('no picture yet'));
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d');
    if (!context) return Promise.reject(new Error('no 2D canvas'));
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'));
  }

  connectedCallback(): void {
    this.#connected = true;
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#streams.start();
    this.#restart();
  }

  disconnectedCallback(): void {
    this.#connected = false;
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#streams.stop();
    this.#stop();
  }

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue === newValue) return;
    if (name === 'camera' || name === 'server' || name === 'ice-transport-policy') {
      if (this.#connected) this.#restart();
      return;
    }
    if (name === 'stream') {
      this.#streams.soon(0);
      return;
    }
    if (name === 'token') {
      // A playing player keeps its session (the client reads the new token when it reconnects); any
      // other was refused or may be about to be, with the old token: start over with the new one.
      if (this.#connected && this.#state !== 'live' && this.#state !== 'paused') this.#restart();
      return;
    }
    this.#applyChrome();
    if (name === 'pause-when-hidden') this.#visibilityChanged();
  }

  #restart(): void {
    this.#stop();
    this.#seekable = false;
    const camera = this.camera;
    if (!camera) {
      this.#setState({ state: 'error', reason: 'no camera attribute' });
      return;
    }
    let url: string | undefined;
    try {
      url = this.server ? new URL(this.server, location.href).href : undefined;
    } catch {
      this.#setState({ state: 'error', reason: `invalid server attribute: ${this.server}` });
      return;
    }
    const hidden = this.hasAttribute('pause-when-hidden') && document.visibilityState === 'hidden';
    this.#hiddenPaused = hidden && !this.#userPaused;
    this.#status.hidden = true;
    this.#quietTimer = setTimeout(() => this.#endQuiet(), STATUS_QUIET_MS);
    this.#streams.reset();
    this.#client = new CamrtcClient({
      camera,
      url,
      // Measured when the socket opens (not on the camera page, whose first socket watches main).
      stream: () => this.#streams.wanted(),
      onStream: (stream) => this.#streams.serverSaid(stream),
      video: this.#video,
      paused: this.#userPaused || hidden,
      token: () => this.getAttribute('token') ?? undefined,
      ...iceTransportPolicyOf(this.getAttribute('ice-transport-policy')),
      onStatus: (status) => this.#setState(status),
      onTracks: (stream) => {
        this.#hasAudio = stream.getAudioTracks().length > 0;
        this.#applyChrome();
      },
      onPlayback: ({ seekable }) => {
        this.#seekable = seekable;
      },
      onTalk: (talk) => this.#talkChanged(talk),
      ...(this.#talkConstraints ? { talkConstraints: this.#talkConstraints } : {}),
    });
    this.#setState(this.#client.status);
    this.#client.start();
    this.#applyChrome();
  }

  #endQuiet(): void {
    clearTimeout(this.#quietTimer);
    this.#quietTimer = undefined;
    this.#status.hidden = false;
  }

  #stop(): void {
    this.#endQuiet();
    this.#client?.close();
    this.#client = undefined;
    this.#hasAudio = false;
    this.#talkHeld = false;
    this.#talkChanged({ state: 'unavailable' });
    this.#applyChrome();
  }

  #visibilityChanged(): void {
    if (!this.#client) return;
    const hidden = document.visibilityState === 'hidden' && this.hasAttribute('pause-when-hidden');
    if (hidden && !this.#client.paused) {
      this.#hiddenPaused = true;
      this.#client.pause();
    } else if (!hidden && this.#hiddenPaused) {
      this.#hiddenPaused = false;
      if (!this.#userPaused) this.#client.play();
    }
  }

  /** Shows what the attributes ask for: muted, controls, unmute button, stats overlay. */
  #applyChrome(): void {
    if (!this.#soundChosen) this.#video.muted = this.getAttribute('muted') !== 'false';
    const controls = this.hasAttribute('controls');
    this.#bar.hidden = !controls;
    this.#unmute.hidden = controls || !this.#hasAudio;
    this.#muteButton.hidden = !this.#hasAudio;
    this.#muteButton.textContent = this.#video.muted ? 'Unmute' : 'Mute';
    this.#unmute.textContent = this.#video.muted ? 'Unmute' : 'Mute';
    this.#playButton.textContent = this.#state === 'paused' ? 'Play' : 'Pause';
    const talk = this.#talk;
    this.#talkButton.hidden = talk.state === 'unavailable';
    this.#talkButton.dataset.talk = talk.state;
    this.#talkButton.textContent = talk.state === 'talking' ? 'Talking…' : talk.state === 'busy' ? `${talk.holder ?? 'Someone'} is talking` : 'Talk';
    if (this.hasAttribute('stats') && this.#client !== undefined) {
      this.#statsOverlay ??= new StatsOverlay(this.#root, {
        peerConnection: () => this.#client?.peerConnection,
        placeholder: () => STATUS_TEXT[this.#state],
      });
      this.#statsOverlay.show();
    } else {
      this.#statsOverlay?.hide();
    }
  }

  /** Push-to-talk: talks while the pointer (or Space or Enter) is held on the button. */
  #holdToTalk(b: HTMLButtonElement): void {
    const press = (): void => {
      if (this.#talkHeld) return;
      this.#talkHeld = true;
      this.talk().catch(() => (this.#talkHeld = false));
    };
    const release = (): void => {
      if (!this.#talkHeld) return;
      this.#talkHeld = false;
      this.stopTalk();
    };
    b.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      b.setPointerCapture(e.pointerId);
      press();
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) b.addEventListener(type, release);
    b.addEventListener('keydown', (e) => {
      if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
        e.preventDefault();
        press();
      }
    });
    b.addEventListener('keyup', (e) => {
      if (e.key === ' ' || e.key === 'Enter') release();
    });
    b.addEventListener('blur', release);
    b.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  #talkChanged(talk: TalkInfo): void {
    const same = JSON.stringify(talk) === JSON.stringify(this.#talk);
    this.#talk = talk;
    this.dataset.talk = talk.state;
    this.#applyChrome();
    if (!same) this.dispatchEvent(new CustomEvent('talkchange', { detail: { state: talk.state, holder: talk.holder ?? null, error: talk.error ?? null } }));
  }

  #toggleMute(): void {
    this.#soundChosen = true;
    this.#video.muted = !this.#video.muted;
    if (!this.#video.muted) void this.#video.play().catch(() => undefined);
    this.#applyChrome();
  }

  async #toggleFullscreen(): Promise<void> {
    if (document.fullscreenElement) await document.exitFullscreen().catch(() => undefined);
    else await this.requestFullscreen().catch(() => undefined);
  }

  async #saveSnapshot(): Promise<void> {
    const blob = await this.snapshot().catch(() => undefined);
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${this.camera}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  #setState(status: ClientStatus): void {
    const reason = 'reason' in status && status.reason ? status.reason : undefined;
    const error: PlayerError | null =
      status.state === 'error' || status.state === 'offline' || status.state === 'reconnecting'
        ? { ...('code' in status && status.code ? { code: status.code } : {}), message: reason ?? STATUS_TEXT[status.state] }
        : null;
    this.#status.dataset.state = status.state;
    // Anything but a start in progress (or done) is news: shown at once.
    if (this.#quietTimer !== undefined && status.state !== 'connecting' && status.state !== 'live') this.#endQuiet();
    const noPicture = status.state === 'offline' && (status.code === 'ERR_NO_MEDIA' || status.code === 'ERR_MEDIA_UNDECODABLE');
    const label = noPicture ? 'No picture from camera' : status.state === 'offline' && status.wasLive ? 'Reconnecting to camera' : STATUS_TEXT[status.state];
    const refused = status.state === 'error' && status.code !== undefined && REFUSAL_CODES.has(status.code) && reason !== undefined;
    // A refusal is its own sentence ("Not allowed to watch yard"), with the code to search for.
    this.#status.textContent = refused
      ? `${reason.charAt(0).toUpperCase()}${reason.slice(1)} (${status.code})`
      : label + (status.state === 'reconnecting' || !reason ? '' : `: ${reason}`);
    this.dataset.state = status.state;
    const changed = status.state !== this.#state || error?.message !== this.#error?.message;
    this.#state = status.state;
    this.#error = error;
    this.#playButton.textContent = status.state === 'paused' ? 'Play' : 'Pause';
    if (!changed) return;
    this.dispatchEvent(new CustomEvent('statechange', { detail: { state: status.state, error } }));
    this.dispatchEvent(new CustomEvent(status.state, { detail: { error } }));
  }
}

/** The ice-transport-policy attribute as the client's option: only 'relay' or 'all' count. */
function iceTransportPolicyOf(value: string | null): { iceTransportPolicy?: RTCIceTransportPolicy } {
  const policy = value?.trim().toLowerCase();
  return policy === 'relay' || policy === 'all' ? { iceTransportPolicy: policy } : {};
}

if (!customElements.get('camrtc-player')) customElements.define('camrtc-player', CamrtcPlayerElement);

declare global {
  interface HTMLElementTagNameMap {
    'camrtc-player': CamrtcPlayerElement;
  }
}
