/**
 * What the player's stats overlay shows, computed from two RTCPeerConnection.getStats() reports taken
 * a second or so apart. Pure (reports in, numbers out), so it is tested in Node without a browser.
 */

/** The fields of RTCStats entries this module reads (browsers add many more). */
export interface StatsEntry {
  id: string;
  type: string;
  timestamp: number;
  kind?: string;
  bytesReceived?: number;
  packetsReceived?: number;
  packetsLost?: number;
  framesPerSecond?: number;
  framesDecoded?: number;
  frameWidth?: number;
  frameHeight?: number;
  codecId?: string;
  mimeType?: string;
  jitterBufferDelay?: number;
  jitterBufferEmittedCount?: number;
  currentRoundTripTime?: number;
  nominated?: boolean;
  state?: string;
  selectedCandidatePairId?: string;
  transportId?: string;
}

/** One point of the overlay; undefined where the browser does not report the value (yet). */
export interface StatsSample {
  /** report time, ms (the stats clock) */
  time: number;
  /** video receive bitrate, kbit/s, over the interval */
  bitrateKbps: number | undefined;
  fps: number | undefined;
  width: number | undefined;
  height: number | undefined;
  /** e.g. "H264" */
  codec: string | undefined;
  /** round-trip time to the server, ms */
  rttMs: number | undefined;
  /** packets lost over the interval, percent of those expected */
  lossPercent: number | undefined;
  /** average time a frame waited in the jitter buffer over the interval, ms */
  jitterBufferMs: number | undefined;
}

/** Samples the plot keeps: one per second for the last minute. */
export const HISTORY_LENGTH = 60;

function entries(report: Iterable<StatsEntry> | ReadonlyMap<string, StatsEntry>): StatsEntry[] {
  return 'values' in report && typeof report.values === 'function' ? [...(report as ReadonlyMap<string, StatsEntry>).values()] : [...(report as Iterable<StatsEntry>)];
}

function videoInbound(list: readonly StatsEntry[]): StatsEntry | undefined {
  return list.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
}

function selectedPair(list: readonly StatsEntry[]): StatsEntry | undefined {
  const transport = list.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  if (transport) return list.find((s) => s.id === transport.selectedCandidatePairId);
  return list.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
}

/** Computes one sample; `previous` is the report before (undefined for the first: no rates yet). */
export function computeSample(
  current: Iterable<StatsEntry> | ReadonlyMap<string, StatsEntry>,
  previous?: Iterable<StatsEntry> | ReadonlyMap<string, StatsEntry>,
): StatsSample {
  const now = entries(current);
  const before = previous ? entries(previous) : [];
  const video = videoInbound(now);
  const last = videoInbound(before);
  const pair = selectedPair(now);
  const codec = video?.codecId ? now.find((s) => s.id === video.codecId) : undefined;
  const sample: StatsSample = {
    time: video?.timestamp ?? pair?.timestamp ?? 0,
    bitrateKbps: undefined,
    fps: video?.framesPerSecond,
    width: video?.frameWidth,
    height: video?.frameHeight,
    codec: codec?.mimeType?.split('/')[1],
    rttMs: pair?.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : undefined,
    lossPercent: undefined,
    jitterBufferMs: undefined,
  };
  if (video && last && video.timestamp > last.timestamp) {
    const seconds = (video.timestamp - last.timestamp) / 1000;
    if (video.bytesReceived !== undefined && last.bytesReceived !== undefined) {
      sample.bitrateKbps = Math.max(0, ((video.bytesReceived - last.bytesReceived) * 8) / 1000 / seconds);
    }
    const received = (video.packetsReceived ?? 0) - (last.packetsReceived ?? 0);
    const lost = (video.packetsLost ?? 0) - (last.packetsLost ?? 0);
    if (video.packetsReceived !== undefined) sample.lossPercent = received + lost > 0 ? (Math.max(0, lost) / (received + Math.max(0, lost))) * 100 : 0;
    const emitted = (video.jitterBufferEmittedCount ?? 0) - (last.jitterBufferEmittedCount ?? 0);
    const delay = (video.jitterBufferDelay ?? 0) - (last.jitterBufferDelay ?? 0);
    if (emitted > 0) sample.jitterBufferMs = (delay / emitted) * 1000;
  }
  return sample;
}

/** Appends a sample, keeping the last HISTORY_LENGTH. */
export function pushSample(history: StatsSample[], sample: StatsSample, max = HISTORY_LENGTH): StatsSample[] {
  history.push(sample);
  if (history.length > max) history.splice(0, history.length - max);
  return history;
}

/** The overlay's text lines. */
export function formatSample(s: StatsSample): string[] {
  const num = (v: number | undefined, digits: number, unit: string): string => (v === undefined ? '–' : `${v.toFixed(digits)}${unit}`);
  return [
    `bitrate ${num(s.bitrateKbps, 0, ' kbit/s')}`,
    `fps ${num(s.fps, 0, '')}`,
    `resolution ${s.width && s.height ? `${s.width}×${s.height}` : '–'}`,
    `codec ${s.codec ?? '–'}`,
    `rtt ${num(s.rttMs, 0, ' ms')}`,
    `loss ${num(s.lossPercent, 1, ' %')}`,
    `jitter buffer ${num(s.jitterBufferMs, 0, ' ms')}`,
  ];
}
