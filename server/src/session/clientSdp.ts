/**
 * The bounds of an SDP a client sends (the offer of a WHEP POST or of a `watch`, the answer to the
 * server's offer), checked by one linear scan of its lines before any parser sees it. werift's
 * handling of a description grows faster than linearly with its media sections: a 40 KB offer of
 * 600 sections held the event loop for 11-13 s, freezing every viewer of the server. camrtc sends at
 * most one video and one audio track, so a client has no use for more than a few sections; a browser
 * offer is a few hundred lines with a handful of candidates per section.
 */
import { CamrtcError } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../../../shared/protocol.js';

export const CLIENT_SDP_LIMITS = Object.freeze({
  /** Bytes in the whole description: the WebSocket message and the WHEP body limit. */
  maxBytes: MAX_MESSAGE_BYTES,
  /** Media sections (`m=` lines): video and audio, and room for a data channel or one more. */
  maxMediaSections: 4,
  /** Lines in the whole description (a Chrome offer with video and audio has about 150). */
  maxLines: 1000,
  /** Characters in one line (the longest legitimate ones, fmtp and candidates, have a few hundred). */
  maxLineLength: 4096,
  /** `a=candidate` lines per media section (or before the first): a host with many addresses has dozens. */
  maxCandidatesPerSection: 64,
});

export type ClientSdpKind = 'offer' | 'answer';

export type ClientSdpCheck = { ok: true; mediaSections: number } | { ok: false; error: CamrtcError };

/**
 * Whether `sdp` looks like a session description within CLIENT_SDP_LIMITS. Costs one pass over the
 * text and allocates nothing per line: safe on anything a client sends. It says nothing of the
 * meaning of the lines, which werift and offerCodecs.ts read next.
 */
export function checkClientSdp(sdp: string, kind: ClientSdpKind, limits = CLIENT_SDP_LIMITS): ClientSdpCheck {
  const fail = (code: 'ERR_LIMIT' | 'ERR_SIGNALING_INVALID', message: string): ClientSdpCheck => ({
    ok: false,
    error: new CamrtcError(code, message, { kind }),
  });
  const notSdp = (why: string): ClientSdpCheck => fail('ERR_SIGNALING_INVALID', `the ${kind} is not a session description: ${why}`);
  if (sdp.length > limits.maxBytes) {
    return fail('ERR_LIMIT', `the ${kind} has ${sdp.length} characters: at most ${limits.maxBytes}`);
  }
  let lines = 0;
  let sections = 0;
  let candidates = 0;
  let start = 0;
  while (start < sdp.length) {
    let end = sdp.indexOf('\n', start);
    if (end === -1) end = sdp.length;
    const lineEnd = end > start && sdp.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const length = lineEnd - start;
    if (length > 0) {
      lines++;
      if (lines > limits.maxLines) return fail('ERR_LIMIT', `the ${kind} has more than ${limits.maxLines} lines`);
      if (length > limits.maxLineLength) {
        return fail('ERR_LIMIT', `line ${lines} of the ${kind} has ${length} characters: at most ${limits.maxLineLength}`);
      }
      const type = sdp.charCodeAt(start);
      // RFC 8866 5: every line is `<type>=<value>`, the type one lower-case letter, and the first is v=0.
      if (type < 97 || type > 122 || sdp.charCodeAt(start + 1) !== 61) {
        return notSdp(`line ${lines} is not <letter>=<value>`);
      }
      if (lines === 1 && (type !== 118 || sdp.slice(start, lineEnd).trimEnd() !== 'v=0')) {
        return notSdp('it does not start with v=0');
      }
      if (type === 109) {
        sections++;
        candidates = 0;
        if (sections > limits.maxMediaSections) {
          return fail('ERR_LIMIT', `the ${kind} has more than ${limits.maxMediaSections} media sections (m= lines): camrtc sends one video and one audio track`);
        }
      } else if (type === 97 && sdp.startsWith('a=candidate:', start)) {
        candidates++;
        if (candidates > limits.maxCandidatesPerSection) {
          const where = sections === 0 ? 'before its first media section' : `in media section ${sections}`;
          return fail('ERR_LIMIT', `the ${kind} has more than ${limits.maxCandidatesPerSection} ICE candidates ${where}`);
        }
      }
    }
    start = end + 1;
  }
  if (lines === 0) return notSdp('it is empty');
  if (sections === 0) return notSdp('it has no media section (m= line)');
  return { ok: true, mediaSections: sections };
}

/** checkClientSdp, throwing its error. */
export function assertClientSdp(sdp: string, kind: ClientSdpKind): void {
  const check = checkClientSdp(sdp, kind);
  if (!check.ok) throw check.error;
}
