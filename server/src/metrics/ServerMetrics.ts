/**
 * GET /metrics: the server's Prometheus metrics (prom-client, text format 0.0.4), in a registry of its
 * own per App (tests run several Apps in one process; prom-client's global registry would mix them).
 * Everything is read when scraped (collect callbacks) from counters the media objects keep anyway:
 * CameraCounters per camera, each Viewer's stats, the ViewerDirectory set. The packet path pays a few
 * integer increments, never a prom-client call. What this module keeps itself: the totals of viewers
 * that left (so counters never go back), a 1 s sampler for the bitrate in, and the event-loop monitor.
 * The metric names and their meaning are listed in the README ("Metrics").
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Camera } from '../media/Camera.js';
import type { ViewerSession } from '../session/ViewerSession.js';
import type { ViewerDirectory, ViewerEntry } from '../session/ViewerDirectory.js';
import { CAMERA_STATES } from '../../../shared/protocol.js';

export const METRICS_PREFIX = 'camrtc_';

/** How often the bitrate sampler runs, and how many samples back the bitrate is measured over. */
export const BITRATE_SAMPLE_MS = 1_000;
const BITRATE_SAMPLES = 5;

/** Seconds from a viewer's watch to its first frame, or its live picture: where people notice. */
const START_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

/**
 * Event-loop delay quantiles reported, over windows of LOOP_WINDOW_SAMPLES sampler ticks: the monitor
 * is read and reset at the end of each window, so any number of scrapers see the same figures.
 */
const LOOP_QUANTILES = [0.5, 0.9, 0.99] as const;
const LOOP_RESOLUTION_MS = 10;
const LOOP_WINDOW_SAMPLES = 5;

/** The event-loop delay of one window, in seconds. */
interface LoopWindow {
  readonly quantiles: readonly number[];
  readonly max: number;
}

export interface ServerMetricsOptions {
  /** The configured cameras (labels are their configured names). */
  cameras: { all(): readonly Camera[] };
  /** Every viewer session of the server. */
  sessions: ViewerDirectory;
}

/** What the viewers that left had sent: kept so the server's counters never go back. */
interface ViewerTotals {
  bytesSent: number;
  packetsSent: number;
  nacksReceived: number;
  retransmitted: number;
  /** RTSP restream clients: RTP bytes, header and payload. */
  restreamBytesSent: number;
}

/** Bytes in of one camera at the last BITRATE_SAMPLES ticks (a ring). */
interface BitrateSamples {
  readonly at: Float64Array;
  readonly bytes: Float64Array;
  next: number;
  count: number;
}

/** Which of a session's start times were observed already. */
const FIRST_FRAME = 1;
const LIVE_PICTURE = 2;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #cameras: ServerMetricsOptions['cameras'];
  readonly #sessions: ViewerDirectory;
  readonly #left: ViewerTotals = { bytesSent: 0, packetsSent: 0, nacksReceived: 0, retransmitted: 0, restreamBytesSent: 0 };
  readonly #observed = new WeakMap<ViewerSession, number>();
  readonly #bitrate = new Map<string, BitrateSamples>();
  readonly #sampler: NodeJS.Timeout;
  readonly #loop: IntervalHistogram;
  /** The last complete window (undefined during the first one: the monitor is read as it is). */
  #loopWindow: LoopWindow | undefined;
  #ticks = 0;
  readonly #firstFrame: Histogram;
  readonly #livePicture: Histogram;
  readonly #onEnded = (entry: ViewerEntry): void => {
    if (entry.transport === 'rtsp') this.#left.restreamBytesSent += entry.client.sent().bytes;
    else this.#viewerLeft(entry.session);
  };
  #closed = false;

  constructor(options: ServerMetricsOptions) {
    this.#cameras = options.cameras;
    this.#sessions = options.sessions;
    this.#sessions.on('ended', this.#onEnded);
    this.#loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.#loop.enable();
    this.#sample();
    this.#sampler = setInterval(() => this.#sample(), BITRATE_SAMPLE_MS);
    this.#sampler.unref();

    const registers = [this.registry];
    const name = (n: string): string => METRICS_PREFIX + n;
    const cameras = (): readonly Camera[] => this.#cameras.all();
    /** A counter whose value is a total kept elsewhere: set at each scrape, never decreasing. */
    const total = <L extends string>(n: string, help: string, labelNames: readonly L[], read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void): void => {
      new Counter<L>({
        name: name(n),
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          read((labels, value) => this.inc(labels, value));
        },
      });
    };
    const gauge = <L extends string>(n: string, help: string, labelNames: readonly L[], read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void): void => {
      new Gauge<L>({
        name: name(n),
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          read((labels, value) => this.set(labels, value));
        },
      });
    };

    // ---- per camera ----
    gauge('camera_state', 'Camera state: 1 for the current one (idle, connecting, waiting, live, retrying, unplayable, offline)', ['camera', 'state'], (set) => {
      for (const camera of cameras()) for (const state of CAMERA_STATES) set({ camera: camera.name, state }, camera.status.state === state ? 1 : 0);
    });
    total('camera_packets_in_total', 'RTP packets received from the camera', ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, camera.counters.packetsIn);
    });
    total('camera_bytes_in_total', 'RTP bytes (header and payload) received from the camera', ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, camera.counters.bytesIn);
    });
    gauge('camera_bitrate_in_bits_per_second', `Bits per second received from the camera over the last ${(BITRATE_SAMPLE_MS * BITRATE_SAMPLES) / 1000} s`, ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, this.bitsPerSecond(camera));
    });
    total('camera_packets_lost_total', 'RTP packets the camera sent that never arrived (sequence number gaps)', ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, camera.counters.packetsLost);
    });
    total('camera_reconnects_total', 'Connections to the camera made again after it failed', ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, camera.counters.reconnects);
    });
    total('camera_keyframes_total', 'Video keyframes received from the camera', ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, camera.counters.keyframes);
    });
    gauge('camera_keyframe_interval_seconds', 'Seconds between the last two keyframes of the camera (0 until two were received)', ['camera'], (set) => {
      for (const camera of cameras()) set({ camera: camera.name }, camera.counters.keyframeIntervalSeconds);
    });
    gauge('camera_viewers', 'Viewers of the camera (WebSocket, WHEP and RTSP restream sessions watching or connecting)', ['camera'], (set) => {
      for (const [camera, n] of this.#viewerCounts(cameras(), () => true)) set({ camera }, n);
    });
    gauge('camera_restream_clients', 'RTSP restream clients of the camera (sessions set up), counted among its viewers', ['camera'], (set) => {
      for (const [camera, n] of this.#viewerCounts(cameras(), (e) => e.transport === 'rtsp')) set({ camera }, n);
    });
    total('rtsp_errors_total', 'Camera failures by error code (docs/errors.md): connection, RTSP status, timeouts, no or undecodable media', ['camera', 'code'], (set) => {
      for (const camera of cameras()) for (const [code, n] of camera.counters.failures) set({ camera: camera.name, code }, n);
    });

    // ---- per server ----
    gauge('viewers', 'Viewers of all cameras (WebSocket, WHEP and RTSP restream sessions watching or connecting)', [], (set) => set({}, this.#sessions.size));
    total('bytes_out_total', 'RTP bytes (header and payload) sent to viewers, retransmissions apart', [], (set) => set({}, this.#viewerTotals().bytesSent));
    total('packets_out_total', 'RTP packets sent to viewers, retransmissions apart', [], (set) => set({}, this.#viewerTotals().packetsSent));
    total('nacks_received_total', 'RTCP generic NACKs received from viewers (each may name several packets)', [], (set) => set({}, this.#viewerTotals().nacksReceived));
    total('retransmissions_total', 'RTP packets sent again for the NACKs of viewers', [], (set) => set({}, this.#viewerTotals().retransmitted));
    total('restream_bytes_out_total', 'RTP bytes (header and payload) sent to RTSP restream clients', [], (set) => set({}, this.#viewerTotals().restreamBytesSent));
    this.#firstFrame = new Histogram({
      name: name('time_to_first_frame_seconds'),
      help: "Seconds from a viewer's watch request (WebSocket watch or WHEP POST) to its first video frame sent",
      buckets: START_BUCKETS,
      registers,
      collect: () => this.#observeStarts(),
    });
    this.#livePicture = new Histogram({
      name: name('time_to_live_picture_seconds'),
      help: "Seconds from a viewer's watch request to the first video frame sent less than 150 ms after it arrived from the camera (a replayed GOP's frames are older)",
      buckets: START_BUCKETS,
      registers,
      collect: () => this.#observeStarts(),
    });
    const window = `over the last ${(BITRATE_SAMPLE_MS * LOOP_WINDOW_SAMPLES) / 1000} s`;
    gauge('eventloop_delay_seconds', `Event-loop delay quantiles ${window}`, ['quantile'], (set) => {
      const { quantiles } = this.#loopWindow ?? this.#readLoop();
      LOOP_QUANTILES.forEach((q, i) => set({ quantile: String(q) }, quantiles[i]));
    });
    // The current window too: a stall shows at the next scrape, not a window later.
    gauge('eventloop_delay_max_seconds', `Longest event-loop delay over the last ${(BITRATE_SAMPLE_MS * LOOP_WINDOW_SAMPLES) / 1000} to ${(2 * BITRATE_SAMPLE_MS * LOOP_WINDOW_SAMPLES) / 1000} s`, [], (set) =>
      set({}, Math.max(this.#loopWindow?.max ?? 0, this.#readLoop().max)),
    );
    gauge('process_resident_memory_bytes', 'Resident memory of the server process', [], (set) => set({}, process.memoryUsage.rss()));
    total('process_cpu_seconds_total', 'CPU time of the server process (user and system)', [], (set) => {
      const { user, system } = process.cpuUsage();
      set({}, (user + system) / 1e6);
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops the sampler and the event-loop monitor. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sampler);
    this.#loop.disable();
    this.#sessions.off('ended', this.#onEnded);
    this.registry.clear();
  }

  /** Viewers per configured camera among the directory's entries that `which` takes. */
  #viewerCounts(cameras: readonly Camera[], which: (entry: ViewerEntry) => boolean): Map<string, number> {
    const counts = new Map<string, number>();
    for (const camera of cameras) counts.set(camera.name, 0);
    for (const entry of this.#sessions.entries()) {
      const n = counts.get(entry.camera);
      if (n !== undefined && which(entry)) counts.set(entry.camera, n + 1);
    }
    return counts;
  }

  /** The viewers that left plus those watching now. */
  #viewerTotals(): ViewerTotals {
    const sum = { ...this.#left };
    for (const entry of this.#sessions.entries()) if (entry.transport === 'rtsp') sum.restreamBytesSent += entry.client.sent().bytes;
    for (const session of this.#sessions) {
      const stats = session.viewer?.stats;
      if (!stats) continue;
      sum.bytesSent += stats.bytesSent;
      sum.packetsSent += stats.packetsSent;
      sum.nacksReceived += stats.nacksReceived;
      sum.retransmitted += stats.retransmitted;
    }
    return sum;
  }

  #viewerLeft(session: ViewerSession): void {
    this.#observeStart(session);
    const stats = session.viewer?.stats;
    if (!stats) return;
    this.#left.bytesSent += stats.bytesSent;
    this.#left.packetsSent += stats.packetsSent;
    this.#left.nacksReceived += stats.nacksReceived;
    this.#left.retransmitted += stats.retransmitted;
  }

  #observeStarts(): void {
    for (const session of this.#sessions) this.#observeStart(session);
  }

  /** Each session's first frame and live picture are observed once, when known. */
  #observeStart(session: ViewerSession): void {
    const viewer = session.viewer;
    if (!viewer) return;
    let done = this.#observed.get(session) ?? 0;
    if (done === (FIRST_FRAME | LIVE_PICTURE)) return;
    const first = viewer.firstFrameAt;
    if (!(done & FIRST_FRAME) && first !== undefined) {
      this.#firstFrame.observe(Math.max(0, first - session.startedAt) / 1000);
      done |= FIRST_FRAME;
    }
    const live = viewer.livePictureAt;
    if (!(done & LIVE_PICTURE) && live !== undefined) {
      this.#livePicture.observe(Math.max(0, live - session.startedAt) / 1000);
      done |= LIVE_PICTURE;
    }
    this.#observed.set(session, done);
  }

  /**
   * The monitor records the time between its timer's runs, which is the resolution plus the delay:
   * the resolution is taken off (an idle loop reads 0, not 10 ms).
   */
  #readLoop(): LoopWindow {
    const loop = this.#loop;
    if (loop.count === 0) return { quantiles: LOOP_QUANTILES.map(() => 0), max: 0 };
    const delay = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1000;
    return { quantiles: LOOP_QUANTILES.map((q) => delay(loop.percentile(q * 100))), max: delay(loop.max) };
  }

  /** Each tick: every camera's bytes in (cameras that are gone are forgotten); each window: the loop delay. */
  #sample(): void {
    if (++this.#ticks % LOOP_WINDOW_SAMPLES === 0) {
      this.#loopWindow = this.#readLoop();
      this.#loop.reset();
    }
    const now = performance.now();
    const seen = new Set<string>();
    for (const camera of this.#cameras.all()) {
      seen.add(camera.name);
      let samples = this.#bitrate.get(camera.name);
      if (!samples) {
        samples = { at: new Float64Array(BITRATE_SAMPLES), bytes: new Float64Array(BITRATE_SAMPLES), next: 0, count: 0 };
        this.#bitrate.set(camera.name, samples);
      }
      samples.at[samples.next] = now;
      samples.bytes[samples.next] = camera.counters.bytesIn;
      samples.next = (samples.next + 1) % BITRATE_SAMPLES;
      samples.count = Math.min(BITRATE_SAMPLES, samples.count + 1);
    }
    for (const name of this.#bitrate.keys()) if (!seen.has(name)) this.#bitrate.delete(name);
  }

  /**
   * Bits per second the camera sent, from the oldest sample kept to now (at most 5 s): read from the
   * per-packet byte counter the feeds keep anyway. The control API shows the same figure.
   */
  bitsPerSecond(camera: Camera): number {
    const samples = this.#bitrate.get(camera.name);
    if (!samples || samples.count === 0) return 0;
    const oldest = samples.count < BITRATE_SAMPLES ? 0 : samples.next;
    const seconds = (performance.now() - samples.at[oldest]) / 1000;
    if (seconds <= 0) return 0;
    return Math.round(((camera.counters.bytesIn - samples.bytes[oldest]) * 8) / seconds);
  }
}
