/**
 * How a camera track is described to the restream's RTSP clients (the media sections of its DESCRIBE
 * answer). The codec is the camera's (no transcoding: H.264 and H.265 as the camera encodes them,
 * PCMA/PCMU/Opus as it sends them); what changed on the way is said: the feed repacketizes video
 * into non-interleaved payloads of at most 1200 bytes (so H.264 is packetization-mode 1 whatever the
 * camera used, and H.265 carries no DONL), puts the parameter sets in front of every keyframe, and
 * AAC reaches viewers as the Opus it is transcoded to for browsers. Pure.
 */
import type { Track } from '../sdp/Track.js';
import { serializeFmtp } from '../sdp/fmtp.js';
import type { TrackMedia } from '../rtsp/server/Mount.js';

/** fmtp keys a restream client is told, per codec: the rest described the camera's packetization, not ours. */
const KEPT_FMTP: Readonly<Record<string, readonly string[]>> = {
  H264: ['profile-level-id', 'sprop-parameter-sets'],
  H265: ['profile-space', 'profile-id', 'tier-flag', 'level-id', 'interop-constraints', 'sprop-vps', 'sprop-sps', 'sprop-pps'],
  OPUS: ['minptime', 'useinbandfec', 'stereo', 'sprop-stereo', 'maxplaybackrate', 'sprop-maxcapturerate', 'maxaveragebitrate', 'cbr', 'usedtx'],
};

/** A value that could not break out of its fmtp line or parameter. */
const SAFE_VALUE = /^[A-Za-z0-9+/=_.,:-]{1,4096}$/;

/** The track as the restream serves it, or undefined for one it does not (application data). */
export function restreamMedia(track: Track): TrackMedia | undefined {
  if (track.kind !== 'video' && track.kind !== 'audio') return undefined;
  const fmtp: Record<string, string> = {};
  for (const key of KEPT_FMTP[track.codec] ?? []) {
    const value = track.fmtp[key];
    if (value !== undefined && SAFE_VALUE.test(value)) fmtp[key] = value;
  }
  // camrtc's packetizer sends FU-A and STAP-A: mode 1, whatever the camera used.
  if (track.codec === 'H264') fmtp['packetization-mode'] = '1';
  const text = serializeFmtp(fmtp);
  return {
    kind: track.kind,
    codec: track.codec,
    clockRate: track.clockRate,
    payloadType: track.payloadType,
    // RFC 7587: Opus is always announced as two channels.
    ...(track.codec === 'OPUS' ? { channels: 2 } : track.kind === 'audio' && track.channels ? { channels: track.channels } : {}),
    ...(text ? { fmtp: text } : {}),
  };
}

/** Same codec and clock: a restream client set up for `a` can go on receiving `b`. */
export function sameMedia(a: TrackMedia, b: TrackMedia): boolean {
  return a.kind === b.kind && a.codec === b.codec && a.clockRate === b.clockRate && a.payloadType === b.payloadType;
}
