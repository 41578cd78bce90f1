/**
 * One H.264 profile-level-id for a peer connection that carries two streams of a camera (main and
 * sub) one after the other without renegotiating. Pure.
 *
 * The offer names one profile; a decoder takes each stream's own SPS, and a browser's software
 * decoder plays any profile whatever the SDP said, but a hardware decoder may be set up for the
 * profile the SDP names. So the offer names the profile that contains both streams: Constrained
 * Baseline (42 with constraint_set1) is in Main (4d) and High (64), Main is in High, and so on up
 * the profile_idc order below; the level is the higher of the two (`level-asymmetry-allowed=1` lets
 * the browser decode above its own preference anyway).
 */

/** profile_idc values in containment order: a stream of one fits a decoder of any later one. */
const PROFILE_ORDER = [0x42, 0x4d, 0x58, 0x64, 0x6e, 0x7a, 0xf4];

const HEX6 = /^[0-9a-f]{6}$/;

/**
 * The profile-level-id that covers every id given (hex, as in fmtp), or undefined when none is valid.
 * Unknown profiles and malformed ids are left out.
 */
export function coveringProfileLevelId(ids: readonly (string | undefined)[]): string | undefined {
  let best: { rank: number; id: string } | undefined;
  let level = 0;
  for (const raw of ids) {
    const id = raw?.trim().toLowerCase();
    if (!id || !HEX6.test(id)) continue;
    const rank = PROFILE_ORDER.indexOf(parseInt(id.slice(0, 2), 16));
    if (rank < 0) continue;
    level = Math.max(level, parseInt(id.slice(4, 6), 16));
    // Of two ids of one profile, the one with fewer constraint flags decodes more.
    if (!best || rank > best.rank || (rank === best.rank && parseInt(id.slice(2, 4), 16) < parseInt(best.id.slice(2, 4), 16))) best = { rank, id };
  }
  if (!best) return undefined;
  return `${best.id.slice(0, 4)}${level.toString(16).padStart(2, '0')}`;
}
