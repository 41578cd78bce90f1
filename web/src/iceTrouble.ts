/**
 * Why a peer connection cannot connect, in words a user can act on, when the cause is a STUN or TURN
 * server: the browser reports each failed server request (`icecandidateerror`: a TURN server refusing
 * the credential answers 401), and a relay-only connection that gathered no candidate at all can
 * never connect, which is known as soon as gathering completes, long before ICE gives up.
 */

/** The last STUN/TURN error of `pc`, as text ("the TURN server turn:... answered 401 Unauthorized"). */
export interface IceTrouble {
  readonly lastError: string | undefined;
}

/** Starts listening to `pc`'s ICE server errors; read `lastError` when the connection fails. */
export function watchIceTrouble(pc: RTCPeerConnection): IceTrouble {
  const trouble = { lastError: undefined as string | undefined };
  pc.addEventListener('icecandidateerror', (event) => {
    const e = event as RTCPeerConnectionIceErrorEvent;
    const url = e.url ?? '';
    const kind = /^turns?:/i.test(url) ? 'the TURN server' : 'the STUN server';
    // 701: the browser got no answer at all (unreachable, blocked, wrong port).
    const what = e.errorCode === 701 ? 'did not answer' : `answered ${e.errorCode} ${e.errorText}`.trim();
    trouble.lastError = `${kind} ${url} ${what}`;
  });
  return trouble;
}

/**
 * When `pc` gathers for relay only and gathering completed without a single candidate: why it will
 * never connect. Undefined otherwise (still gathering, or candidates to try).
 */
export function relayUnavailable(pc: RTCPeerConnection, trouble: IceTrouble): string | undefined {
  if (pc.iceGatheringState !== 'complete' || pc.getConfiguration().iceTransportPolicy !== 'relay') return undefined;
  if (/^a=candidate:/m.test(pc.localDescription?.sdp ?? '')) return undefined;
  return `no TURN relay for this browser, which may only use one: ${trouble.lastError ?? 'no TURN server was given or none answered'}`;
}
