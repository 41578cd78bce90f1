/**
 * Which outbound track each track of a camera stream feeds. A viewer's peer connection was
 * negotiated for the tracks of the stream it started on; the camera's other stream (main or sub)
 * may number its tracks otherwise, and may lack audio or send another codec. Pure.
 */
import type { Track } from '../sdp/Track.js';

/** What routing needs of an outbound track. */
export interface RoutedTrack {
  readonly kind: 'video' | 'audio';
}

/**
 * The outbound track for each of `stream`'s tracks, indexed by Track.index (undefined: not carried):
 * a track goes to the outbound track of its kind when its codec, clock rate and channels are those of
 * the track the connection was negotiated for (`carried`). H.264 profiles may differ: the offer lists
 * one that covers both streams where it can (webrtc/h264Profiles.ts), and decoders take the stream's
 * own SPS.
 */
export function routeFrames<T extends RoutedTrack>(carried: readonly Track[], outbound: readonly T[], stream: readonly Track[]): (T | undefined)[] {
  const route: (T | undefined)[] = [];
  for (const track of stream) {
    const negotiated = carried.find((c) => c.kind === track.kind);
    const out = outbound.find((o) => o.kind === track.kind);
    if (!negotiated || !out || route.includes(out) || !sameCodec(negotiated, track)) continue;
    route[track.index] = out;
  }
  return route;
}

function sameCodec(a: Track, b: Track): boolean {
  return a.codec === b.codec && a.clockRate === b.clockRate && (a.channels ?? 1) === (b.channels ?? 1);
}
