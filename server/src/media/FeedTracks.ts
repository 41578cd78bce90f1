/**
 * What viewers of a feed are told about its tracks, kept across reconnects: the camera's forwarded
 * tracks with stable indexes (invariant 7: matched by media and codec, never by position) and the
 * tracks as presented to browsers (AAC as the Opus it is transcoded to, the true H.264 profile).
 */
import type { Logger } from '../log/logger.js';
import type { Track } from '../sdp/Track.js';
import { presentedTrack } from './TrackPipeline.js';
import { describeTracks, matchTracks } from './trackSelection.js';

export class FeedTracks {
  readonly #log: Logger;
  readonly #changed: (tracks: readonly Track[], compatible: boolean) => void;
  /** The camera's forwarded tracks with their stable indexes (camera codecs: AAC stays AAC). */
  #camera: readonly Track[] | undefined;
  #presented: readonly Track[] | undefined;

  constructor(logger: Logger, changed: (tracks: readonly Track[], compatible: boolean) => void) {
    this.#log = logger;
    this.#changed = changed;
  }

  /** Tracks viewers get, in stable index order; undefined before the first DESCRIBE. */
  get presented(): readonly Track[] | undefined {
    return this.#presented;
  }

  /**
   * The camera's fresh forwarded tracks with the indexes viewers know them by, in the order of
   * `forwarded`. Tells `changed` when what viewers get changed, and whether their peer connections
   * can carry on (same media and codecs).
   */
  adopt(forwarded: readonly Track[]): Track[] {
    const known = this.#camera;
    const match = known ? matchTracks(known, forwarded) : { stableIndex: new Map(forwarded.map((t) => [t.index, t.index])), compatible: true };
    const stable = forwarded.map((t) => ({ ...t, index: match.stableIndex.get(t.index) ?? t.index }));
    if (known && !match.compatible) {
      this.#log.warn({ was: describeTracks(known), now: describeTracks(forwarded) }, 'the camera came back with other tracks: viewers reconnect');
    } else if (known && forwarded.some((t, i) => t.index !== stable[i].index)) {
      this.#log.info('the camera came back with its tracks in another order: matched by media and codec');
    }
    this.#camera = stable;
    // In stable order (for a camera's first description: SDP order), whatever the SDP order now.
    this.#present([...stable].sort((a, b) => a.index - b.index).map(presentedTrack), match.compatible);
    return stable;
  }

  /**
   * The in-band SPS says another profile than the viewers were told (parameter sets changed
   * mid-stream, or the SDP had none): later viewers get the true profile-level-id. Browsers that
   * already play keep decoding: the SPS and PPS travel in front of every IDR.
   */
  profileChanged(trackIndex: number, profileLevelId: string): void {
    const tracks = this.#presented;
    const track = tracks?.find((t) => t.index === trackIndex);
    if (!tracks || !track || track.fmtp['profile-level-id']?.toLowerCase() === profileLevelId) return;
    this.#log.info({ from: track.fmtp['profile-level-id'] ?? 'none', to: profileLevelId }, 'camera H.264 profile-level-id from its SPS');
    const fmtp = { ...track.fmtp, 'profile-level-id': profileLevelId };
    this.#camera = this.#camera?.map((t) => (t.index === trackIndex ? { ...t, fmtp } : t));
    this.#present(tracks.map((t) => (t === track ? { ...track, fmtp } : t)), true);
  }

  #present(tracks: readonly Track[], compatible: boolean): void {
    const prev = this.#presented;
    const same =
      prev !== undefined &&
      prev.length === tracks.length &&
      prev.every((t, i) => t.codec === tracks[i].codec && t.index === tracks[i].index && t.fmtp['profile-level-id'] === tracks[i].fmtp['profile-level-id'] && sameCameraTrack(t, tracks[i]));
    // The same array when nothing changed: spare viewers are matched to their tracks by identity.
    if (same) return;
    this.#presented = tracks;
    this.#changed(tracks, compatible);
  }
}

/**
 * The same camera encoding behind a transcoded track (AAC with the same clock, channels and
 * config): the RTSP restream serves it as is, so its clients must hear of a change.
 */
function sameCameraTrack(a: Track, b: Track): boolean {
  const x = a.cameraTrack;
  const y = b.cameraTrack;
  if (!x || !y) return x === y;
  return x.codec === y.codec && x.clockRate === y.clockRate && x.channels === y.channels && x.payloadType === y.payloadType && JSON.stringify(x.fmtp) === JSON.stringify(y.fmtp);
}
