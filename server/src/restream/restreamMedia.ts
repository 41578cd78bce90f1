/**
 * How a camera track is described to the restream's RTSP clients (the media sections of its DESCRIBE
 * answer). The codec is the camera's (no transcoding: H.264 and H.265 as the camera encodes them,
 * PCMA/PCMU/Opus as it sends them); what changed on the way is said: the feed repacketizes video
 * into non-interleaved payloads of at most 1200 bytes (so H.264 is packetization-mode 1 whatever the
 * camera used, and H.265 carries no DONL) and puts the parameter sets in front of every keyframe.
 * AAC is the camera's (browsers get it transcoded to Opus, `Track.cameraTrack`): its RTP payloads
 * are relayed as they come, so the payload format the camera described (RFC 3640 mode, AU header
 * sizes, config; RFC 3016/6416 LATM cpresent and config) is said as it was. Pure.
 */
import type { Track } from '../sdp/Track.js';
import { serializeFmtp } from '../sdp/fmtp.js';
import type { TrackMedia } from '../rtsp/server/Mount.js';

/** fmtp keys a restream client is told, per codec: the rest described the camera's packetization, not ours. */
const KEPT_FMTP: Readonly<Record<string, readonly string[]>> = {
  H264: ['profile-level-id', 'sprop-parameter-sets'],
  H265: ['profile-space', 'profile-id', 'tier-flag', 'level-id', 'interop-constraints', 'sprop-vps', 'sprop-sps', 'sprop-pps'],
  OPUS: ['minptime', 'useinbandfec', 'stereo', 'sprop-stereo', 'maxplaybackrate', 'sprop-maxcapturerate', 'maxaveragebitrate', 'cbr', 'usedtx'],
  // RFC 3640 section 4.1: every parameter describes the payloads the camera sends, which go out unchanged.
  'MPEG4-GENERIC': [
    'streamtype', 'profile-level-id', 'mode', 'objecttype', 'config', 'constantsize', 'constantduration', 'maxdisplacement', 'de-interleavebuffersize',
    'sizelength', 'indexlength', 'indexdeltalength', 'ctsdeltalength', 'dtsdeltalength', 'randomaccessindication', 'streamstateindication', 'auxiliarydatasizelength',
  ],
  // RFC 6416 section 7.3 (and RFC 3016's older form).
  'MP4A-LATM': ['profile-level-id', 'object', 'cpresent', 'config', 'bitrate', 'sbr-enabled', 'mps-profile-level-id', 'mps-asc', 'ptime', 'maxptime'],
};

/** Codecs whose fmtp describes the payloads themselves: a client set up for one config cannot decode another. */
const FMTP_BOUND: ReadonlySet<string> = new Set(['MPEG4-GENERIC', 'MP4A-LATM']);

/** A value that could not break out of its fmtp line or parameter. */
const SAFE_VALUE = /^[A-Za-z0-9+/=_.,:-]{1,4096}$/;

/** The track as the restream serves it, or undefined for one it does not (application data). */
export function restreamMedia(presented: Track): TrackMedia | undefined {
  const track = presented.cameraTrack ?? presented;
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
  return (
    a.kind === b.kind && a.codec === b.codec && a.clockRate === b.clockRate && a.payloadType === b.payloadType && a.channels === b.channels &&
    (!FMTP_BOUND.has(a.codec) || a.fmtp === b.fmtp)
  );
}
