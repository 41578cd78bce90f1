/**
 * Which of a camera's tracks reach viewers, and how a reconnected camera's tracks map onto the ones
 * viewers already carry. Pure: no I/O, no state. Used by UpstreamFeed (live and recording cameras)
 * and the probe, so they all agree on what a viewer gets.
 *
 * Invariant 7 (docs/architecture.md): tracks are matched by media kind and codec, never by position.
 * A camera may come back with its tracks in another order (VLC does at every loop of a file), and a
 * track's SDP position then names another medium.
 */
import { ParameterSets } from '../rtp/h264/ParameterSets.js';
import { selectPlayableTracks } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';
import { isForwardable } from './TrackPipeline.js';

/**
 * The track as viewers must be told about it: an H.264 SPS from `sprop-parameter-sets` is the truth
 * about the profile, whatever (or whether) the SDP says in `profile-level-id`.
 */
export function honestTrack(track: Track): Track {
  if (track.codec !== 'H264') return track;
  const sprop = track.fmtp['sprop-parameter-sets'];
  const fromSps = sprop ? new ParameterSets(sprop).profileLevelId : undefined;
  if (!fromSps || fromSps === track.fmtp['profile-level-id']?.toLowerCase()) return track;
  return { ...track, fmtp: { ...track.fmtp, 'profile-level-id': fromSps } };
}

/** Forwarded tracks: the first H.264/H.265 video and the first browser-playable (or transcodable) audio. */
export function selectForwardedTracks(tracks: readonly Track[]): Track[] {
  return selectPlayableTracks(tracks).filter(isForwardable);
}

/** "video H264, audio MPEG4-GENERIC": what a camera offers, for errors a user reads. */
export function describeTracks(tracks: readonly Track[]): string {
  return tracks.map((t) => `${t.kind} ${t.codec}`).join(', ') || 'none';
}

/** Same medium and codec: the same stream of a camera that reconnected, wherever it sits in the SDP. */
export function sameStream(a: Track, b: Track): boolean {
  return a.kind === b.kind && a.codec === b.codec;
}

export interface TrackMatch {
  /**
   * For each fresh track (by its position in the new SDP, `Track.index`), the stable index viewers
   * know it by: the index of the known track of the same kind and codec, or a new index.
   */
  readonly stableIndex: ReadonlyMap<number, number>;
  /**
   * True when every known track found its counterpart and no fresh one is new: viewers carry on. False
   * when a codec changed, a track vanished or appeared: viewers made for the old tracks must renegotiate.
   */
  readonly compatible: boolean;
}

/**
 * Maps a reconnected camera's forwarded tracks onto the known ones by kind and codec. Fresh tracks
 * with no counterpart get indexes above every known one, so a frame never lands on a viewer's track
 * of another medium.
 */
export function matchTracks(known: readonly Track[], fresh: readonly Track[]): TrackMatch {
  const stableIndex = new Map<number, number>();
  const taken = new Set<Track>();
  let next = known.reduce((max, t) => Math.max(max, t.index), -1) + 1;
  let compatible = fresh.length === known.length;
  for (const track of fresh) {
    const counterpart = known.find((k) => !taken.has(k) && sameStream(k, track));
    if (counterpart) {
      taken.add(counterpart);
      stableIndex.set(track.index, counterpart.index);
    } else {
      compatible = false;
      stableIndex.set(track.index, next++);
    }
  }
  return { stableIndex, compatible: compatible && taken.size === known.length };
}
