/**
 * What a viewer of a camera with two streams (main and sub) is offered, so that one peer connection
 * carries either stream without renegotiating (docs/architecture.md, "Main and sub streams"). Pure.
 *
 * - Video: the stream's own track, under the H.264 profile that covers both streams' known profiles
 *   (webrtc/h264Profiles.ts), so a hardware decoder set up for the offer takes either.
 * - Audio: the stream's own audio track; when it has none and the other stream has one, that one,
 *   so switching to the stream with sound brings the sound (each stream's audio goes out only while
 *   the viewer is on that stream, when its codec is the one negotiated).
 *
 * The other stream's tracks are known once it was described (pulled at least once since camrtc
 * started); before that the offer is the stream's own.
 */
import type { Track } from '../sdp/Track.js';
import { coveringProfileLevelId } from '../webrtc/h264Profiles.js';

export interface StreamOffer {
  /** The tracks to make the viewer for: the stream's own, or those plus the other stream's audio. */
  readonly tracks: readonly Track[];
  /** The H.264 profile-level-id to offer instead of the video track's own. */
  readonly h264ProfileLevelId?: string;
}

export function planStreamOffer(tracks: readonly Track[], other: readonly Track[] | undefined): StreamOffer {
  if (!other) return { tracks };
  const own = h264ProfileOf(tracks);
  const covering = own === undefined ? undefined : coveringProfileLevelId([own, h264ProfileOf(other)]);
  const otherAudio = other.find((t) => t.kind === 'audio');
  const withAudio =
    otherAudio && !tracks.some((t) => t.kind === 'audio')
      ? // A free index: frames of this stream never carry it, and the Viewer routes the other stream's by kind.
        [...tracks, { ...otherAudio, index: Math.max(-1, ...tracks.map((t) => t.index)) + 1 }]
      : tracks;
  return { tracks: withAudio, ...(covering !== undefined && covering !== own?.toLowerCase() ? { h264ProfileLevelId: covering } : {}) };
}

function h264ProfileOf(tracks: readonly Track[]): string | undefined {
  return tracks.find((t) => t.kind === 'video' && t.codec === 'H264')?.fmtp['profile-level-id'];
}
