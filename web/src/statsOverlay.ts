/**
 * The <camrtc-player>'s stats overlay (its `stats` attribute): the numbers of statsModel.ts as text,
 * and a plot of bitrate and delay over the last minute, sampled from the player's current peer
 * connection once a second while shown. The player creates it the first time stats are shown, so a
 * player without stats (the camera page's) never builds its DOM or styles on the way to its first frame.
 */
import { HISTORY_LENGTH, computeSample, formatSample, pushSample, type StatsEntry, type StatsSample } from './statsModel.js';

export const STATS_INTERVAL_MS = 1000;

const STYLE = `
.stats { position: absolute; left: 8px; top: 8px; padding: 6px 8px; border-radius: 4px; background: rgb(0 0 0 / 65%);
  font: 11px/1.35 ui-monospace, monospace; white-space: pre; pointer-events: none; }
.stats[hidden] { display: none; }
.stats canvas { display: block; margin-top: 4px; width: 180px; height: 48px; }
.legend { color: #aaa; }
`;

export interface StatsOverlayOptions {
  /** The connection to sample; undefined between connections. */
  peerConnection(): RTCPeerConnection | undefined;
  /** What the overlay says while there is no connection (the player's state). */
  placeholder(): string;
}

export class StatsOverlay {
  readonly #options: StatsOverlayOptions;
  readonly #panel: HTMLDivElement;
  readonly #text: HTMLDivElement;
  readonly #plot: HTMLCanvasElement;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The previous report: rates are computed over the interval since it. */
  #lastReport: Map<string, StatsEntry> | undefined;
  readonly #history: StatsSample[] = [];

  /** Appends the overlay (hidden) to `root`. */
  constructor(root: ShadowRoot, options: StatsOverlayOptions) {
    this.#options = options;
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.#panel = document.createElement('div');
    this.#panel.className = 'stats';
    this.#panel.setAttribute('part', 'stats');
    this.#panel.hidden = true;
    this.#text = document.createElement('div');
    this.#plot = document.createElement('canvas');
    this.#plot.width = 180;
    this.#plot.height = 48;
    const legend = document.createElement('div');
    legend.className = 'legend';
    legend.textContent = 'last minute: bitrate (green), delay (orange)';
    this.#panel.append(this.#text, this.#plot, legend);
    root.append(style, this.#panel);
  }

  /** The latest sample (kept while hidden). */
  get latest(): StatsSample | undefined {
    return this.#history[this.#history.length - 1];
  }

  /** Shows the overlay and samples now, then every STATS_INTERVAL_MS. */
  show(): void {
    this.#panel.hidden = false;
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#sample(), STATS_INTERVAL_MS);
    void this.#sample();
  }

  /** Hides the overlay and stops sampling; the history stays for the plot when shown again. */
  hide(): void {
    this.#panel.hidden = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#lastReport = undefined;
  }

  async #sample(): Promise<void> {
    const pc = this.#options.peerConnection();
    if (!pc) {
      this.#text.textContent = this.#options.placeholder();
      return;
    }
    const report = new Map<string, StatsEntry>();
    (await pc.getStats()).forEach((entry: StatsEntry) => report.set(entry.id, entry));
    const sample = computeSample(report, this.#lastReport);
    this.#lastReport = report;
    pushSample(this.#history, sample);
    this.#text.textContent = formatSample(sample).join('\n');
    this.#drawPlot();
  }

  #drawPlot(): void {
    const context = this.#plot.getContext('2d');
    if (!context) return;
    const { width, height } = this.#plot;
    context.clearRect(0, 0, width, height);
    const series = (pick: (s: StatsSample) => number | undefined, color: string): void => {
      const values = this.#history.map(pick);
      const max = Math.max(1, ...values.filter((v): v is number => v !== undefined));
      context.strokeStyle = color;
      context.lineWidth = 1.5;
      context.beginPath();
      let started = false;
      values.forEach((v, i) => {
        if (v === undefined) return;
        const x = (i / (HISTORY_LENGTH - 1)) * width;
        const y = height - 1 - (v / max) * (height - 2);
        if (started) context.lineTo(x, y);
        else context.moveTo(x, y);
        started = true;
      });
      context.stroke();
    };
    series((s) => s.bitrateKbps, '#4caf50');
    // Delay: what the browser adds (jitter buffer) plus half the round trip (the network one way).
    series((s) => (s.jitterBufferMs === undefined ? undefined : s.jitterBufferMs + (s.rttMs ?? 0) / 2), '#ff9800');
  }
}
