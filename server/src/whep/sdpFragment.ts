/**
 * Parser for the SDP fragments WHEP clients PATCH (RFC 8840 application/trickle-ice-sdpfrag): ICE
 * credentials, then per media section its `a=mid` and `a=candidate` lines, maybe
 * `a=end-of-candidates`. Pure and bounded: unknown lines are ignored, too many candidates are cut.
 */
import type { IceCandidate } from '../../../shared/protocol.js';

/** Candidates taken from one fragment; a browser gathers a handful per network interface. */
export const MAX_FRAGMENT_CANDIDATES = 64;
/**
 * The highest sdpMLineIndex a candidate may carry (IceCandidateSchema in shared/protocol.ts, the /ws
 * path): candidates of later sections name a section no answer of ours has, and are ignored.
 */
export const MAX_FRAGMENT_M_LINE_INDEX = 64;

export interface SdpFragment {
  iceUfrag: string | undefined;
  icePwd: string | undefined;
  candidates: IceCandidate[];
  endOfCandidates: boolean;
}

export function parseSdpFragment(text: string): SdpFragment {
  const fragment: SdpFragment = { iceUfrag: undefined, icePwd: undefined, candidates: [], endOfCandidates: false };
  let mLineIndex = -1;
  let mid: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      mLineIndex++;
      mid = null;
    } else if (line.startsWith('a=mid:')) {
      mid = line.slice(6, 70);
    } else if (line.startsWith('a=ice-ufrag:')) {
      fragment.iceUfrag = line.slice(12, 268);
    } else if (line.startsWith('a=ice-pwd:')) {
      fragment.icePwd = line.slice(10, 266);
    } else if (line.startsWith('a=candidate:') && line.length <= 1024 + 2) {
      if (fragment.candidates.length >= MAX_FRAGMENT_CANDIDATES || mLineIndex > MAX_FRAGMENT_M_LINE_INDEX) continue;
      fragment.candidates.push({
        candidate: line.slice(2),
        sdpMid: mid,
        sdpMLineIndex: mLineIndex >= 0 ? mLineIndex : mid === null ? 0 : null,
        ...(fragment.iceUfrag ? { usernameFragment: fragment.iceUfrag } : {}),
      });
    } else if (line === 'a=end-of-candidates') {
      fragment.endOfCandidates = true;
    }
  }
  return fragment;
}
