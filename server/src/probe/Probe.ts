/**
 * The probe behind `camrtc probe URL`: what a user runs first when a camera does not play. Connects
 * exactly like the server does (same RtspSession, same track selection), then for a few seconds
 * pushes what arrives through the server's own track pipelines, so the report says what a viewer
 * would get: frames and keyframes, decode errors, the codec browsers are offered. Never throws:
 * failures are in the report, with the same typed error the server would show, and nothing in it
 * holds the camera's password.
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import { redactText, redactUrl } from '../log/redact.js';
import { isForwardable, presentedTrack } from '../media/TrackPipeline.js';
import { RtspSession } from '../rtsp/RtspSession.js';
import type { RtspSessionOptions, RtspTransportMode } from '../rtsp/RtspSessionTypes.js';
import { parseRtspUrl } from '../rtsp/url.js';
import { selectForwardedTracks } from '../media/trackSelection.js';
import type { Track } from '../sdp/Track.js';
import { h264Report, h265Report, skipReason } from './codecReport.js';
import type { ProbeReport, ProbeTrackReport } from './ProbeReport.js';
import { TrackProbe } from './TrackProbe.js';

export const DEFAULT_PROBE_SECONDS = 5;

export interface ProbeOptions {
  readonly url: string;
  /** Default 'auto'. */
  readonly transport?: RtspTransportMode;
  /** How long to count after PLAY. Default DEFAULT_PROBE_SECONDS. */
  readonly seconds?: number;
  readonly tlsInsecure?: boolean;
  /** For tests: the session factory (default RtspSession). */
  readonly createSession?: (options: RtspSessionOptions) => RtspSession;
  /** Passed to RtspSession (tests shorten them). */
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
}


export async function probeCamera(options: ProbeOptions): Promise<ProbeReport> {
  const seconds = options.seconds ?? DEFAULT_PROBE_SECONDS;
  const parsed = parseRtspUrl(options.url);
  // RtspSession's messages never hold credentials; URLs inside them (a socket error quoting one) are redacted.
  const safe = (text: string): string => redactText(text);
  const url = safe(redactUrl(options.url.trim()));
  const fail = (err: unknown, tracks: ProbeTrackReport[] = [], transport?: ProbeReport['transport']): ProbeReport => {
    const e = toCamrtcError(err);
    return { ok: false, url, ...(transport ? { transport } : {}), seconds, tracks, error: { code: e.code, message: safe(e.message) } };
  };
  if (parsed instanceof CamrtcError) return fail(parsed);

  const probes = new Map<number, TrackProbe>();
  const closeProbes = (): void => {
    for (const p of probes.values()) p.close();
  };
  // The pipelines exist before PLAY: cameras send RTP ahead of the PLAY answer.
  const selectTracks = (tracks: readonly Track[]): Track[] => {
    const chosen = selectForwardedTracks(tracks);
    closeProbes();
    probes.clear();
    for (const t of chosen) probes.set(t.index, new TrackProbe(t));
    return chosen;
  };
  const session = (options.createSession ?? ((o) => new RtspSession(o)))({
    url: options.url,
    selectTracks,
    transport: options.transport ?? 'auto',
    tlsInsecure: options.tlsInsecure,
    cameraName: parsed.host,
    connectTimeoutMs: options.connectTimeoutMs,
    readTimeoutMs: options.readTimeoutMs,
  });
  let closedWith: CamrtcError | undefined;
  let onClosed: (() => void) | undefined;
  // Bumped when the camera starts a new RTP stream, as the server does (viewers re-base on it).
  let generation = 1;
  session.on('rtp', (index, packet) => {
    const probe = probes.get(index);
    if (!probe) return;
    if (probe.isNewStream(packet)) {
      generation++;
      for (const p of probes.values()) p.reset();
    }
    probe.push(packet, generation, performance.now());
  });
  session.on('close', (error) => {
    closedWith = error;
    onClosed?.();
  });

  const report = (): ProbeTrackReport[] => session.describedTracks.map((t) => trackReport(t, probes.get(t.index)));

  try {
    await session.start();
  } catch (err) {
    await session.close();
    closeProbes();
    return fail(err, report());
  }

  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    onClosed = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  const transport = session.transport;
  await session.close();
  closeProbes();
  const tracks = report();
  if (closedWith) return fail(closedWith, tracks, transport);
  const packets = tracks.reduce((n, t) => n + (t.stats?.packets ?? 0), 0);
  if (packets === 0) {
    return fail(new CamrtcError('ERR_RTSP_TIMEOUT', `camera '${parsed.host}' answered PLAY but sent no RTP packet in ${seconds} s (a firewall dropping UDP? try --transport tcp)`), tracks, transport);
  }
  // What the server would show as `waiting` with ERR_MEDIA_UNDECODABLE: packets, but no picture.
  const video = tracks.find((t) => t.played && t.kind === 'video');
  if (video?.stats && video.stats.packets > 0 && video.stats.frames === 0) {
    const why = video.stats.lastDecodeError?.message ?? 'its RTP packets never formed a complete picture';
    return fail(new CamrtcError('ERR_MEDIA_UNDECODABLE', `camera '${parsed.host}' sent ${video.stats.packets} video packets in ${seconds} s but no picture a viewer could be shown (${why})`), tracks, transport);
  }
  return { ok: true, url, ...(transport ? { transport } : {}), seconds, tracks };
}

function trackReport(t: Track, probe: TrackProbe | undefined): ProbeTrackReport {
  const h264 = t.codec === 'H264' ? h264Report(t) : undefined;
  const size = h264?.width === undefined ? probe?.inbandSize : undefined;
  const presented = probe ? presentedTrack(t) : undefined;
  return {
    index: t.index,
    kind: t.kind,
    codec: t.codec,
    clockRate: t.clockRate,
    payloadType: t.payloadType,
    ...(t.channels ? { channels: t.channels } : {}),
    forwardable: isForwardable(t),
    played: probe !== undefined,
    ...(probe ? {} : { skipped: skipReason(t) }),
    ...(presented ? { presented: { codec: presented.codec, clockRate: presented.clockRate, ...(presented.channels ? { channels: presented.channels } : {}) } } : {}),
    ...(h264 ? { h264: size ? { ...h264, ...size } : h264 } : {}),
    ...(t.codec === 'H265' ? { h265: h265Report(t) } : {}),
    ...(probe ? { stats: probe.stats } : {}),
  };
}
