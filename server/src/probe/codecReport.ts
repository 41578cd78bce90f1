/**
 * What the session description says about a track, in the words of the probe's report: H.264
 * profile and level names, parameter sets in the SDP, and why a track is not played. Pure.
 */
import { CamrtcError } from '../errors.js';
import { isForwardable, isAac } from '../media/TrackPipeline.js';
import { parseSps } from '../rtp/h264/sps.js';
import { h264Params, h265Params } from '../sdp/codecParams.js';
import { isBackchannel } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';
import type { H264Report, H265Report } from './ProbeReport.js';

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

export function h264Report(track: Track): H264Report {
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

export function h265Report(track: Track): H265Report {
  const p = h265Params(track);
  return { vpsInSdp: p.vps !== undefined, spsInSdp: p.sps !== undefined, ppsInSdp: p.pps !== undefined };
}

/** Why the server does not play `track` (one it did not set up). */
export function skipReason(track: Track): string {
  if (track.kind === 'application') return 'metadata or data track';
  if (isBackchannel(track)) return 'backchannel (audio to the camera)';
  if (track.direction === 'inactive') return 'inactive';
  if (isAac(track) && !isForwardable(track)) return 'AAC needs ffmpeg to be transcoded to Opus (ffmpeg not found on PATH)';
  if (!isForwardable(track)) {
    return track.kind === 'video' ? `${track.codec || 'this codec'} is not forwarded (browsers get H.264 or H.265 video)` : `${track.codec || 'this codec'} is not forwarded (browsers get Opus, PCMA, PCMU, or AAC as Opus)`;
  }
  return 'not selected (camrtc plays one video and one audio track)';
}
