/**
 * When the client makes the offer (WHEP, `watch` with `offer`), werift answers with the first H.264
 * entry of the offer by mime type alone, which in browser offers is often `packetization-mode=0`
 * (single NAL units: every camera frame larger than one packet would be lost). This pure rewrite keeps
 * one H.264 entry in each video section, the best for the camera, and drops the other H.264 entries
 * with their RTX companions. Works on the SDP text so the browser's own lines pass through untouched.
 */

export interface H264Choice {
  payloadType: number;
  packetizationMode: number;
  profileLevelId: string | undefined;
}

/** Payload types of the H.264 entries of one media section, in offer order. */
function h264Entries(lines: readonly string[]): H264Choice[] {
  const entries = new Map<number, H264Choice>();
  for (const line of lines) {
    const rtpmap = /^a=rtpmap:(\d+) H264\/90000/i.exec(line);
    if (rtpmap) entries.set(Number(rtpmap[1]), { payloadType: Number(rtpmap[1]), packetizationMode: 0, profileLevelId: undefined });
  }
  for (const line of lines) {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    const entry = fmtp ? entries.get(Number(fmtp[1])) : undefined;
    if (!entry || !fmtp) continue;
    for (const param of fmtp[2].split(';')) {
      const [key, value = ''] = param.trim().split('=');
      if (key.toLowerCase() === 'packetization-mode') entry.packetizationMode = Number(value);
      if (key.toLowerCase() === 'profile-level-id') entry.profileLevelId = value.toLowerCase();
    }
  }
  return [...entries.values()];
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
 * usable H.264 entry, and offers without video, come back unchanged: werift then answers what it can
 * and the caller reports the codec problem.
 */
export function restrictOfferToH264(sdp: string, cameraProfileLevelId: string | undefined): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const out: string[] = [];
  let section: string[] = [];
  const flush = (): void => {
    out.push(...rewriteSection(section, cameraProfileLevelId));
    section = [];
  };
  for (const line of lines) {
    if (line.startsWith('m=')) flush();
    section.push(line);
  }
  flush();
  return out.join(eol);
}

function rewriteSection(lines: string[], cameraProfileLevelId: string | undefined): string[] {
  if (lines.length === 0 || !lines[0].startsWith('m=video')) return lines;
  const entries = h264Entries(lines);
  const keep = chooseH264(entries, cameraProfileLevelId);
  if (!keep || entries.length <= 1) return lines;
  const drop = new Set(entries.filter((e) => e !== keep).map((e) => e.payloadType));
  // RTX entries point at their primary with apt=PT: drop those of the dropped primaries too.
  for (const line of lines) {
    const apt = /^a=fmtp:(\d+) .*\bapt=(\d+)/.exec(line);
    if (apt && drop.has(Number(apt[2]))) drop.add(Number(apt[1]));
  }
  const [m, ...rest] = lines;
  const parts = m.split(' ');
  const header = [...parts.slice(0, 3), ...parts.slice(3).filter((pt) => !drop.has(Number(pt)))].join(' ');
  return [
    header,
    ...rest.filter((line) => {
      const attr = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.exec(line);
      return !attr || !drop.has(Number(attr[1]));
    }),
  ];
}
