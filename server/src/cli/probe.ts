/**
 * `camrtc probe URL`: what a user runs first when a camera does not play. Connects exactly like the
 * server does (same RtspSession, same track selection), prints what the camera describes, then
 * counts what actually arrives for a few seconds. Exit code 0 when media arrived, 1 otherwise, with
 * the same typed error the server would show. Nothing printed ever holds the camera's password.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { CamrtcError, toCamrtcError } from '../errors.js';
import { redactText, redactUrl } from '../log/redact.js';
import { parseRtpPacket } from '../rtp/RtpPacket.js';
import { RtpSequenceCounter } from '../rtp/RtpSequenceCounter.js';
import { H264Depacketizer } from '../rtp/h264/H264Depacketizer.js';
import { parseSps } from '../rtp/h264/sps.js';
import { RtspSession, type RtspSessionOptions, type RtspTransportMode } from '../rtsp/RtspSession.js';
import { parseRtspUrl } from '../rtsp/url.js';
import { h264Params, h265Params } from '../sdp/codecParams.js';
import { isBackchannel, selectPlayableTracks } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';

export const PROBE_TRANSPORTS = ['auto', 'tcp', 'udp', 'multicast'] as const;
export const DEFAULT_PROBE_SECONDS = 5;
/** Longer probes are a mistake on the command line (and would keep a camera session open for hours). */
export const MAX_PROBE_SECONDS = 3600;

export interface ProbeOptions {
  readonly url: string;
  readonly transport?: RtspTransportMode;
  /** How long to count packets after PLAY. Default 5. */
  readonly seconds?: number;
  readonly tlsInsecure?: boolean;
  /** For tests: the session factory (default RtspSession). */
  readonly createSession?: (options: RtspSessionOptions) => RtspSession;
  /** Passed to RtspSession (tests shorten them). */
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
}

export interface H264Report {
  /** e.g. "High", "Constrained Baseline"; undefined when the SDP has no profile-level-id. */
  readonly profile?: string;
  /** e.g. "4.0". */
  readonly level?: string;
  readonly profileLevelId?: string;
  readonly packetizationMode: number;
  readonly spsInSdp: boolean;
  readonly ppsInSdp: boolean;
  /** From the SPS (SDP, else the first one in the stream). */
  readonly width?: number;
  readonly height?: number;
}

export interface H265Report {
  readonly vpsInSdp: boolean;
  readonly spsInSdp: boolean;
  readonly ppsInSdp: boolean;
}

export interface TrackStats {
  readonly packets: number;
  readonly bytes: number;
  /** Complete pictures (video) or audio frames (distinct timestamps). */
  readonly accessUnits: number;
  /** Pictures with an IDR/IRAP slice; null for audio and codecs camrtc does not look into. */
  readonly keyframes: number | null;
  readonly lost: number;
  readonly reordered: number;
}

export interface ProbeTrackReport {
  /** Position of the media section in the SDP. */
  readonly index: number;
  readonly kind: Track['kind'];
  readonly codec: string;
  readonly clockRate: number;
  readonly payloadType: number;
  readonly channels?: number;
  /** camrtc set this track up (what the server would play). */
  readonly played: boolean;
  /** Why a track is not played. */
  readonly skipped?: string;
  readonly h264?: H264Report;
  readonly h265?: H265Report;
  /** Counts over the probe, for played tracks. */
  readonly stats?: TrackStats;
}

export interface ProbeReport {
  readonly ok: boolean;
  /** The camera URL with the password replaced by ***. */
  readonly url: string;
  /** What was used in the end ('auto' resolves to one of these). */
  readonly transport?: 'tcp' | 'udp' | 'multicast';
  readonly seconds: number;
  readonly tracks: ProbeTrackReport[];
  readonly error?: { readonly code: string; readonly message: string };
}

const H264_PROFILES: Readonly<Record<number, string>> = {
  44: 'CAVLC 4:4:4 Intra',
  66: 'Baseline',
  77: 'Main',
  88: 'Extended',
  100: 'High',
  110: 'High 10',
  122: 'High 4:2:2',
  244: 'High 4:4:4 Predictive',
};

/** Profile and level names from RFC 6184 `profile-level-id` (six hex digits). */
export function describeProfileLevelId(pli: string): { profile: string; level: string } {
  const idc = parseInt(pli.slice(0, 2), 16);
  const constraints = parseInt(pli.slice(2, 4), 16);
  const levelIdc = parseInt(pli.slice(4, 6), 16);
  let profile = H264_PROFILES[idc] ?? `profile_idc ${idc}`;
  // constraint_set1 on Baseline means Constrained Baseline, what WebRTC browsers decode everywhere.
  if (idc === 66 && constraints & 0x40) profile = 'Constrained Baseline';
  // Level 1b is written as level_idc 11 with constraint_set3 for Baseline/Main/Extended.
  const level = levelIdc === 11 && constraints & 0x10 && (idc === 66 || idc === 77 || idc === 88) ? '1b' : (levelIdc / 10).toFixed(1);
  return { profile, level };
}

function h264Report(track: Track): H264Report {
  const p = h264Params(track);
  const sps = p.sps ? parseSps(p.sps) : undefined;
  const named = p.profileLevelId ? describeProfileLevelId(p.profileLevelId) : undefined;
  return {
    ...(named ?? {}),
    ...(p.profileLevelId ? { profileLevelId: p.profileLevelId.toLowerCase() } : {}),
    packetizationMode: p.packetizationMode,
    spsInSdp: p.sps !== undefined,
    ppsInSdp: p.pps !== undefined,
    ...(sps && !(sps instanceof CamrtcError) ? { width: sps.width, height: sps.height } : {}),
  };
}

function skipReason(track: Track): string {
  if (track.kind === 'application') return 'metadata or data track';
  if (isBackchannel(track)) return 'backchannel (audio to the camera)';
  if (track.direction === 'inactive') return 'inactive';
  return 'not selected (camrtc plays one video and one audio track)';
}

/** Counts what arrives on one track. Pure apart from being fed packets. */
export class TrackCounter {
  private packets = 0;
  private bytes = 0;
  private accessUnits = 0;
  private keyframes = 0;
  private lastTimestamp: number | undefined;
  private readonly seq = new RtpSequenceCounter();
  private readonly h264: H264Depacketizer | undefined;
  /** Resolution from the first in-band SPS, when the SDP had none. */
  inbandSize: { width: number; height: number } | undefined;

  constructor(readonly track: Track) {
    if (track.codec === 'H264') this.h264 = new H264Depacketizer();
  }

  push(buf: Buffer): void {
    const pkt = parseRtpPacket(buf);
    if (pkt instanceof CamrtcError) return;
    this.packets++;
    this.bytes += buf.length;
    this.seq.push(pkt.sequenceNumber);
    if (this.h264) {
      for (let r = this.h264.push(pkt); r !== null; r = this.h264.next()) {
        if (r instanceof CamrtcError) continue;
        this.accessUnits++;
        if (r.keyframe) this.keyframes++;
        if (!this.inbandSize) {
          const spsNalu = r.nalus.find((n) => (n[0] & 0x1f) === 7);
          const sps = spsNalu ? parseSps(spsNalu) : undefined;
          if (sps && !(sps instanceof CamrtcError)) this.inbandSize = { width: sps.width, height: sps.height };
        }
      }
      return;
    }
    if (pkt.timestamp !== this.lastTimestamp) {
      this.lastTimestamp = pkt.timestamp;
      this.accessUnits++;
      if (this.track.codec === 'H265' && h265StartsIrap(pkt.payload)) this.keyframes++;
    }
  }

  get stats(): TrackStats {
    const s = this.seq.stats;
    const hasKeyframes = this.track.codec === 'H264' || this.track.codec === 'H265';
    return { packets: this.packets, bytes: this.bytes, accessUnits: this.accessUnits, keyframes: hasKeyframes ? this.keyframes : null, lost: s.lost, reordered: s.reordered };
  }
}

/** Whether an H.265 RTP payload (RFC 7798) starts an IRAP picture (NAL types 16-21). */
function h265StartsIrap(payload: Buffer): boolean {
  if (payload.length < 3) return false;
  const type = (payload[0] >> 1) & 0x3f;
  const irap = (t: number): boolean => t >= 16 && t <= 21;
  if (type === 49) return (payload[2] & 0x80) !== 0 && irap(payload[2] & 0x3f); // FU, start fragment
  if (type === 48) return payload.length >= 5 && irap((payload[4] >> 1) & 0x3f); // AP: first unit
  return irap(type);
}

/** Runs a probe. Never throws: failures are in the report (ok false, error). */
export async function probe(options: ProbeOptions): Promise<ProbeReport> {
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

  const counters = new Map<number, TrackCounter>();
  // Counters exist before PLAY: cameras send RTP ahead of the PLAY answer.
  const selectTracks = (tracks: readonly Track[]): Track[] => {
    const chosen = selectPlayableTracks(tracks);
    counters.clear();
    for (const t of chosen) counters.set(t.index, new TrackCounter(t));
    return chosen;
  };
  const sessionOptions: RtspSessionOptions = {
    url: options.url,
    selectTracks,
    transport: options.transport ?? 'auto',
    tlsInsecure: options.tlsInsecure,
    cameraName: parsed.host,
    connectTimeoutMs: options.connectTimeoutMs,
    readTimeoutMs: options.readTimeoutMs,
  };
  const session = (options.createSession ?? ((o) => new RtspSession(o)))(sessionOptions);
  let closedWith: CamrtcError | undefined;
  let onClosed: (() => void) | undefined;
  session.on('rtp', (index, packet) => counters.get(index)?.push(packet));
  session.on('close', (error) => {
    closedWith = error;
    onClosed?.();
  });

  const report = (): ProbeTrackReport[] => {
    const played = new Set(counters.keys());
    return session.describedTracks.map((t) => {
      const counter = counters.get(t.index);
      const h264 = t.codec === 'H264' ? h264Report(t) : undefined;
      const size = h264?.width === undefined ? counter?.inbandSize : undefined;
      const h265 = t.codec === 'H265' ? h265Params(t) : undefined;
      return {
        index: t.index,
        kind: t.kind,
        codec: t.codec,
        clockRate: t.clockRate,
        payloadType: t.payloadType,
        ...(t.channels ? { channels: t.channels } : {}),
        played: played.has(t.index),
        ...(played.has(t.index) ? {} : { skipped: skipReason(t) }),
        ...(h264 ? { h264: size ? { ...h264, ...size } : h264 } : {}),
        ...(h265 ? { h265: { vpsInSdp: h265.vps !== undefined, spsInSdp: h265.sps !== undefined, ppsInSdp: h265.pps !== undefined } } : {}),
        ...(counter ? { stats: counter.stats } : {}),
      };
    });
  };

  try {
    await session.start();
  } catch (err) {
    await session.close();
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
  const tracks = report();
  if (closedWith) return fail(closedWith, tracks, transport);
  const packets = tracks.reduce((n, t) => n + (t.stats?.packets ?? 0), 0);
  if (packets === 0) {
    return fail(new CamrtcError('ERR_RTSP_TIMEOUT', `camera '${parsed.host}' answered PLAY but sent no RTP packet in ${seconds} s (a firewall dropping UDP? try --transport tcp)`), tracks, transport);
  }
  return { ok: true, url, ...(transport ? { transport } : {}), seconds, tracks };
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

/** The human-readable form of a report. */
export function formatProbeReport(r: ProbeReport): string {
  const lines = [`camera ${r.url}`];
  if (r.transport) lines.push(`transport: ${r.transport}`);
  if (r.tracks.length > 0) {
    lines.push(`tracks in the session description (${r.tracks.length}):`);
    for (const t of r.tracks) {
      const codec = `${t.codec || '?'}/${t.clockRate}${t.channels ? `/${t.channels}` : ''}`;
      const extra: string[] = [];
      if (t.h264) {
        if (t.h264.profile) extra.push(`${t.h264.profile} ${t.h264.level} (${t.h264.profileLevelId})`);
        extra.push(`packetization-mode ${t.h264.packetizationMode}`);
        extra.push(t.h264.spsInSdp && t.h264.ppsInSdp ? 'SPS+PPS in SDP' : t.h264.spsInSdp ? 'SPS in SDP, no PPS' : 'no SPS/PPS in SDP');
        if (t.h264.width !== undefined) extra.push(`${t.h264.width}x${t.h264.height}`);
      }
      if (t.h265) extra.push(`VPS ${t.h265.vpsInSdp ? 'yes' : 'no'}, SPS ${t.h265.spsInSdp ? 'yes' : 'no'}, PPS ${t.h265.ppsInSdp ? 'yes' : 'no'} in SDP`);
      const state = t.played ? 'played' : `skipped: ${t.skipped}`;
      lines.push(`  #${t.index} ${pad(t.kind, 12)}${pad(codec, 18)}pt ${pad(String(t.payloadType), 4)}${extra.length ? `${extra.join(', ')}  ` : ''}[${state}]`);
    }
  }
  const counted = r.tracks.filter((t) => t.stats);
  if (counted.length > 0) {
    lines.push(`received in ${r.seconds} s:`);
    for (const t of counted) {
      const s = t.stats!;
      const parts = [`${s.packets} packets`, `${s.bytes} bytes`, `${s.accessUnits} ${t.kind === 'video' ? 'access units' : 'frames'}`];
      if (s.keyframes !== null) parts.push(`${s.keyframes} keyframes`);
      parts.push(`${s.lost} lost`, `${s.reordered} reordered`);
      lines.push(`  #${t.index} ${t.kind} ${t.codec}: ${parts.join(', ')}`);
    }
  }
  lines.push(r.ok ? 'OK' : `FAILED: ${r.error!.message} [${r.error!.code}]`);
  return lines.join('\n') + '\n';
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > MAX_PROBE_SECONDS) throw new InvalidArgumentError(`expected a number of seconds between 0 and ${MAX_PROBE_SECONDS}`);
  return n;
}

interface ProbeFlags {
  transport: RtspTransportMode;
  seconds: number;
  json?: boolean;
  tlsInsecure?: boolean;
}

/** The `probe` subcommand for the camrtc program. */
export function probeCommand(): Command {
  return new Command('probe')
    .description('check one camera: connect like the server does, list its tracks, count the packets it sends')
    .argument('<url>', 'rtsp:// or rtsps:// URL, credentials included if the camera needs them')
    .addOption(new Option('--transport <transport>', 'RTSP transport (auto: UDP, else TCP)').choices([...PROBE_TRANSPORTS]).default('auto'))
    .option('--seconds <n>', 'how long to count packets', parseSeconds, DEFAULT_PROBE_SECONDS)
    .option('--json', 'print one JSON object instead of text')
    .option('--tls-insecure', 'rtsps: accept a certificate that does not verify (self-signed)')
    .action(async (url: string, flags: ProbeFlags) => {
      const r = await probe({ url, transport: flags.transport, seconds: flags.seconds, tlsInsecure: flags.tlsInsecure });
      if (flags.json) process.stdout.write(JSON.stringify(r) + '\n');
      else if (r.ok) process.stdout.write(formatProbeReport(r));
      else {
        // The tracks (if any) still help; the error goes where errors go.
        const text = formatProbeReport(r).split('\n');
        process.stdout.write(text.slice(0, -2).join('\n') + (text.length > 2 ? '\n' : ''));
        process.stderr.write(`camrtc probe: ${r.error!.message} [${r.error!.code}]\n`);
      }
      process.exitCode = r.ok ? 0 : 1;
    });
}
