/**
 * Maps a camera's tracks to the codecs a Viewer offers to the browser. The server is always the
 * offerer, so the browser answers with exactly these entries: werift picks the first codec of a mime
 * type when it answers an offer, which could be an H.264 entry with packetization-mode=0 (see
 * ARCHITECTURE.md "werift 0.25.x facts").
 */
import { RTCRtpCodecParameters } from 'werift';
import type { Track } from '../sdp/Track.js';

/** Used when the camera's SDP has no (or a malformed) profile-level-id: Constrained Baseline 3.1. */
export const FALLBACK_PROFILE_LEVEL_ID = '42e01f';

/** Payload types in the offer; static ones (PCMU 0, PCMA 8) must keep their RFC 3551 numbers. */
export const PAYLOAD_TYPES = { H264: 96, H264_FALLBACK: 97, H265: 98, OPUS: 111, PCMU: 0, PCMA: 8 } as const;

const VIDEO_FEEDBACK = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }];

export interface CodecChoice {
  /** The camera track this codec carries. */
  readonly track: Track;
  readonly kind: 'video' | 'audio';
  readonly codec: RTCRtpCodecParameters;
  /**
   * Offered after `codec`, for browsers that refuse it. H.264: the stream's own profile comes first;
   * a Constrained Baseline entry follows because some browsers list fewer receive profiles than
   * their decoder handles (Debian's Chromium 156 offers 42, 4d and f4 but not 64 High, yet decodes
   * High through the same ffmpeg decoder). The stream is sent unchanged whichever entry is chosen.
   */
  readonly alternatives?: readonly RTCRtpCodecParameters[];
}

export interface CodecPlan {
  /** At most one video and one audio choice, video first. */
  readonly choices: readonly CodecChoice[];
  /** Camera tracks that cannot be forwarded to this viewer (unknown codec, or H.265 it cannot decode). */
  readonly unsupported: readonly Track[];
}

export interface CodecPlanOptions {
  /** The viewer declared it can decode H.265 (signaling `capabilities.h265`). */
  readonly h265?: boolean;
  /**
   * The H.264 profile-level-id to offer instead of the track's own: one that covers both streams of
   * a camera with a sub stream (h264Profiles.ts).
   */
  readonly h264ProfileLevelId?: string;
}

/** fmtp line for the H.264 offer: the camera's profile, the two parameters browsers need. */
export function h264Fmtp(track: Pick<Track, 'fmtp'>): string {
  const raw = track.fmtp['profile-level-id']?.trim() ?? '';
  const profile = /^[0-9a-fA-F]{6}$/.test(raw) ? raw.toLowerCase() : FALLBACK_PROFILE_LEVEL_ID;
  return `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profile}`;
}

/** fmtp line for H.265: only the identification parameters browsers match on, when the camera gives them. */
export function h265Fmtp(track: Pick<Track, 'fmtp'>): string | undefined {
  const parts: string[] = [];
  for (const key of ['level-id', 'profile-id', 'tier-flag']) {
    const value = track.fmtp[key]?.trim();
    if (value && /^\d{1,3}$/.test(value)) parts.push(`${key}=${value}`);
  }
  parts.push('tx-mode=SRST');
  return parts.join(';');
}

function videoCodec(track: Track, options: CodecPlanOptions): RTCRtpCodecParameters | undefined {
  switch (track.codec) {
    case 'H264':
      return new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        payloadType: PAYLOAD_TYPES.H264,
        rtcpFeedback: VIDEO_FEEDBACK,
        parameters: h264Fmtp(options.h264ProfileLevelId ? { fmtp: { 'profile-level-id': options.h264ProfileLevelId } } : track),
      });
    case 'H265':
      if (!options.h265) return undefined;
      return new RTCRtpCodecParameters({
        mimeType: 'video/H265',
        clockRate: 90000,
        payloadType: PAYLOAD_TYPES.H265,
        rtcpFeedback: VIDEO_FEEDBACK,
        parameters: h265Fmtp(track),
      });
    default:
      return undefined;
  }
}

function videoAlternatives(track: Track, codec: RTCRtpCodecParameters): { alternatives?: RTCRtpCodecParameters[] } {
  if (track.codec !== 'H264' || codec.parameters === h264Fmtp({ fmtp: { 'profile-level-id': FALLBACK_PROFILE_LEVEL_ID } })) return {};
  return {
    alternatives: [
      new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        payloadType: PAYLOAD_TYPES.H264_FALLBACK,
        rtcpFeedback: VIDEO_FEEDBACK,
        parameters: h264Fmtp({ fmtp: { 'profile-level-id': FALLBACK_PROFILE_LEVEL_ID } }),
      }),
    ],
  };
}

function audioCodec(track: Track): RTCRtpCodecParameters | undefined {
  switch (track.codec) {
    case 'PCMA':
    case 'PCMU':
      // Browsers only decode G.711 at 8 kHz mono; a camera announcing 16 kHz G.711 cannot be forwarded.
      if (track.clockRate !== 8000 || (track.channels ?? 1) !== 1) return undefined;
      return new RTCRtpCodecParameters({
        mimeType: `audio/${track.codec}`,
        clockRate: 8000,
        channels: 1,
        payloadType: PAYLOAD_TYPES[track.codec],
      });
    case 'OPUS':
      // RFC 7587: Opus is always announced as 48000/2, whatever the encoder actually uses.
      return new RTCRtpCodecParameters({
        mimeType: 'audio/opus',
        clockRate: 48000,
        channels: 2,
        payloadType: PAYLOAD_TYPES.OPUS,
      });
    default:
      return undefined;
  }
}

/** Chooses the codecs to offer for `tracks`: the first playable video and the first playable audio. */
export function planCodecs(tracks: readonly Track[], options: CodecPlanOptions = {}): CodecPlan {
  let video: CodecChoice | undefined;
  let audio: CodecChoice | undefined;
  const unsupported: Track[] = [];
  for (const track of tracks) {
    if (track.kind === 'video') {
      const codec = video ? undefined : videoCodec(track, options);
      if (codec) video = { track, kind: 'video', codec, ...videoAlternatives(track, codec) };
      else if (!video) unsupported.push(track);
    } else if (track.kind === 'audio') {
      const codec = audio ? undefined : audioCodec(track);
      if (codec) audio = { track, kind: 'audio', codec };
      else if (!audio) unsupported.push(track);
    }
  }
  const choices: CodecChoice[] = [];
  if (video) choices.push(video);
  if (audio) choices.push(audio);
  return { choices, unsupported };
}

/** The browser's talk codec (two-way audio) when the viewer gets no camera audio to carry it. */
export function talkCodecParameters(codec: 'PCMU' | 'PCMA' | 'OPUS'): RTCRtpCodecParameters {
  return codec === 'OPUS'
    ? new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: PAYLOAD_TYPES.OPUS })
    : new RTCRtpCodecParameters({ mimeType: `audio/${codec}`, clockRate: 8000, channels: 1, payloadType: PAYLOAD_TYPES[codec] });
}
