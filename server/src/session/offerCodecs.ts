/**
 * When the client makes the offer (WHEP, `watch` with `offer`), werift answers with the first H.264
 * entry of the offer by mime type alone, which in browser offers is often `packetization-mode=0`
 * (single NAL units: every camera frame larger than one packet would be lost). This pure rewrite keeps
 * one H.264 entry in each video section, the best for the camera, and drops the other H.264 entries
 * with their RTX companions. Browser SDP is well formed, so sdp-transform reads and writes it (camera
 * SDP is not: server/src/sdp has its own tolerant reader).
 */
import { parse, write, type SessionDescription } from 'sdp-transform';
import { parseFmtp } from '../sdp/fmtp.js';

export interface H264Choice {
  payloadType: number;
  packetizationMode: number;
  profileLevelId: string | undefined;
}

type MediaSection = SessionDescription['media'][number];

/** The H.264 entries of one media section, in offer order. */
function h264Entries(media: MediaSection): H264Choice[] {
  return media.rtp
    .filter((r) => r.codec.toUpperCase() === 'H264')
    .map((r) => {
      // Our own fmtp reader: sdp-transform's parseParams would turn profile-level-id=42e01f into a number.
      const config = media.fmtp.find((f) => f.payload === r.payload)?.config;
      const params = config ? parseFmtp(config) : {};
      return { payloadType: r.payload, packetizationMode: Number(params['packetization-mode'] ?? 0), profileLevelId: params['profile-level-id']?.toLowerCase() };
    });
}

/**
 * The entry to keep: packetization-mode 1 first (the camera's frames are fragmented), then the
 * camera's profile (the first byte of profile-level-id), then the offer's order (the browser's
 * preference). Undefined when there is no packetization-mode 1 entry.
 */
export function chooseH264(entries: readonly H264Choice[], cameraProfileLevelId: string | undefined): H264Choice | undefined {
  const usable = entries.filter((e) => e.packetizationMode === 1);
  const profile = cameraProfileLevelId?.slice(0, 2).toLowerCase();
  return usable.find((e) => profile !== undefined && e.profileLevelId?.slice(0, 2) === profile) ?? usable[0];
}

/**
 * Returns the offer with a single H.264 entry (plus its RTX) per video section. Sections without a
 * usable H.264 entry, and offers without video, come back unchanged (the same string): werift then
 * answers what it can and the caller reports the codec problem.
 */
export function restrictOfferToH264(sdp: string, cameraProfileLevelId: string | undefined): string {
  const session = parse(sdp);
  let changed = false;
  for (const media of session.media) {
    if (media.type === 'video' && restrictSection(media, cameraProfileLevelId)) changed = true;
  }
  return changed ? write(session) : sdp;
}

/** Drops the other H.264 entries and their RTX companions from one section; true if it changed. */
function restrictSection(media: MediaSection, cameraProfileLevelId: string | undefined): boolean {
  const entries = h264Entries(media);
  const keep = chooseH264(entries, cameraProfileLevelId);
  if (!keep || entries.length <= 1) return false;
  const drop = new Set(entries.filter((e) => e !== keep).map((e) => e.payloadType));
  // RTX entries point at their primary with apt=PT: drop those of the dropped primaries too.
  for (const f of media.fmtp) {
    const apt = parseFmtp(f.config).apt;
    if (apt !== undefined && drop.has(Number(apt))) drop.add(f.payload);
  }
  media.payloads = String(media.payloads ?? '')
    .split(' ')
    .filter((pt) => pt !== '' && !drop.has(Number(pt)))
    .join(' ');
  media.rtp = media.rtp.filter((r) => !drop.has(r.payload));
  media.fmtp = media.fmtp.filter((f) => !drop.has(f.payload));
  if (media.rtcpFb) media.rtcpFb = media.rtcpFb.filter((fb) => fb.payload === '*' || !drop.has(Number(fb.payload)));
  return true;
}
