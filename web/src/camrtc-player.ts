/**
 * <camrtc-player camera="NAME">: a live camera in any page. An open shadow root holds the video, a
 * status line and an unmute button (shown only when the camera sends sound). Browsers only autoplay
 * muted video, so sound starts on a click.
 *
 * Attributes: `camera` (required), `server` (signaling URL, default this page's /ws).
 */
import { CamrtcClient, type ClientStatus } from './CamrtcClient.js';

const STYLE = `
:host { display: block; position: relative; background: #000; color: #fff; aspect-ratio: 16 / 9; overflow: hidden;
  font: 13px/1.4 system-ui, sans-serif; contain: content; }
:host([hidden]) { display: none; }
video { display: block; width: 100%; height: 100%; object-fit: contain; background: #000; }
.status { position: absolute; left: 8px; bottom: 8px; max-width: calc(100% - 16px); padding: 2px 8px; border-radius: 4px;
  background: rgb(0 0 0 / 60%); pointer-events: none; transition: opacity 0.3s; }
.status[data-state="live"] { opacity: 0; }
.status[data-state="error"], .status[data-state="offline"] { background: rgb(140 20 20 / 80%); }
button.unmute { position: absolute; right: 8px; bottom: 8px; padding: 4px 10px; border: 0; border-radius: 4px;
  background: rgb(255 255 255 / 85%); color: #000; font: inherit; cursor: pointer; }
button.unmute[hidden] { display: none; }
`;

const STATUS_TEXT: Record<ClientStatus['state'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Camera offline',
  error: 'Cannot play',
};

export class CamrtcPlayerElement extends HTMLElement {
  static readonly observedAttributes = ['camera', 'server'];

  readonly #video: HTMLVideoElement;
  readonly #status: HTMLDivElement;
  readonly #unmute: HTMLButtonElement;
  #client: CamrtcClient | undefined;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
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
    this.#unmute = document.createElement('button');
    this.#unmute.className = 'unmute';
    this.#unmute.type = 'button';
    this.#unmute.textContent = 'Unmute';
    this.#unmute.hidden = true;
    this.#unmute.addEventListener('click', () => this.#toggleMute());
    root.append(style, this.#video, this.#status, this.#unmute);
  }

  get camera(): string {
    return this.getAttribute('camera') ?? '';
  }
  set camera(value: string) {
    this.setAttribute('camera', value);
  }

  /** The current status (for scripts and tests). */
  get status(): ClientStatus | undefined {
    return this.#client?.status;
  }

  connectedCallback(): void {
    this.#restart();
  }

  disconnectedCallback(): void {
    this.#stop();
  }

  attributeChangedCallback(_name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue !== newValue && this.isConnected) this.#restart();
  }

  #restart(): void {
    this.#stop();
    const camera = this.camera;
    if (!camera) {
      this.#showStatus({ state: 'error', reason: 'no camera attribute' });
      return;
    }
    this.#client = new CamrtcClient({
      camera,
      url: this.getAttribute('server') ?? undefined,
      video: this.#video,
      onStatus: (status) => this.#showStatus(status),
      onTracks: (stream) => {
        this.#unmute.hidden = stream.getAudioTracks().length === 0;
      },
    });
    this.#showStatus(this.#client.status);
    this.#client.start();
  }

  #stop(): void {
    this.#client?.close();
    this.#client = undefined;
    this.#unmute.hidden = true;
  }

  #toggleMute(): void {
    this.#video.muted = !this.#video.muted;
    this.#unmute.textContent = this.#video.muted ? 'Unmute' : 'Mute';
    if (!this.#video.muted) void this.#video.play().catch(() => undefined);
  }

  #showStatus(status: ClientStatus): void {
    const reason = 'reason' in status && status.reason ? `: ${status.reason}` : '';
    this.#status.dataset.state = status.state;
    this.#status.textContent = STATUS_TEXT[status.state] + (status.state === 'reconnecting' ? '' : reason);
    this.dataset.state = status.state;
    this.dispatchEvent(new CustomEvent('camrtc-status', { detail: status }));
  }
}

if (!customElements.get('camrtc-player')) customElements.define('camrtc-player', CamrtcPlayerElement);

declare global {
  interface HTMLElementTagNameMap {
    'camrtc-player': CamrtcPlayerElement;
  }
}
