/** The human-readable form of a probe report (`camrtc probe` without --json). Pure. */
import type { PresentedCodec, ProbeReport, ProbeTrackReport, TrackStats } from './ProbeReport.js';

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

function codecName(c: PresentedCodec): string {
  return `${c.codec || '?'}/${c.clockRate}${c.channels ? `/${c.channels}` : ''}`;
}

function trackLine(t: ProbeTrackReport): string {
  const extra: string[] = [];
  if (t.h264) {
    if (t.h264.profile) extra.push(`${t.h264.profile} ${t.h264.level} (${t.h264.profileLevelId})`);
    extra.push(`packetization-mode ${t.h264.packetizationMode}`);
    extra.push(t.h264.spsInSdp && t.h264.ppsInSdp ? 'SPS+PPS in SDP' : t.h264.spsInSdp ? 'SPS in SDP, no PPS' : 'no SPS/PPS in SDP');
    if (t.h264.width !== undefined) extra.push(`${t.h264.width}x${t.h264.height}`);
  }
  if (t.h265) extra.push(`VPS ${t.h265.vpsInSdp ? 'yes' : 'no'}, SPS ${t.h265.spsInSdp ? 'yes' : 'no'}, PPS ${t.h265.ppsInSdp ? 'yes' : 'no'} in SDP`);
  const codec = codecName(t);
  // Said only when browsers get another codec than the camera sends (AAC transcoded to Opus).
  const presented = t.presented && codecName(t.presented) !== codec ? `, browsers get ${codecName(t.presented)}` : '';
  const state = t.played ? `played${presented}` : `skipped: ${t.skipped}`;
  return `  #${t.index} ${pad(t.kind, 12)}${pad(codec, 18)}pt ${pad(String(t.payloadType), 4)}${extra.length ? `${extra.join(', ')}  ` : ''}[${state}]`;
}

/** What the camera sent, then what the server's pipeline made of it for viewers. */
function statsLines(t: ProbeTrackReport, s: TrackStats): string[] {
  const received = [`${s.packets} packets`, `${s.bytes} bytes`, `${s.accessUnits} ${t.kind === 'video' ? 'access units' : 'frames'}`];
  if (s.keyframes !== null) received.push(`${s.keyframes} keyframes`);
  received.push(`${s.lost} lost`, `${s.reordered} reordered`);
  if (s.ssrcChanges > 0) received.push(`${s.ssrcChanges} SSRC changes`);
  const transcoded = t.presented && t.presented.codec !== t.codec ? ` of ${t.presented.codec}` : '';
  const viewers = [`${s.frames} frames${transcoded}`, `${s.decodeErrors} decode errors`];
  if (s.lastDecodeError) viewers.push(`last: ${s.lastDecodeError.message} [${s.lastDecodeError.code}]`);
  if (s.profileLevelId && s.profileLevelId !== t.h264?.profileLevelId) viewers.push(`told profile-level-id ${s.profileLevelId} (from the SPS)`);
  if (s.bFrames) viewers.push('B-frames: browsers may stutter');
  return [`  #${t.index} ${t.kind} ${t.codec}: ${received.join(', ')}`, `     to viewers: ${viewers.join(', ')}`];
}

export function formatProbeReport(r: ProbeReport): string {
  const lines = [`camera ${r.url}`];
  if (r.transport) lines.push(`transport: ${r.transport}`);
  if (r.tracks.length > 0) {
    lines.push(`tracks in the session description (${r.tracks.length}):`);
    for (const t of r.tracks) lines.push(trackLine(t));
  }
  const counted = r.tracks.filter((t) => t.stats);
  if (counted.length > 0) {
    lines.push(`received in ${r.seconds} s:`);
    for (const t of counted) lines.push(...statsLines(t, t.stats!));
  }
  lines.push(r.ok ? 'OK' : `FAILED: ${r.error!.message} [${r.error!.code}]`);
  return lines.join('\n') + '\n';
}
