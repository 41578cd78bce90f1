/**
 * Early signaling: the camera page starts watching before its player exists. A tiny script inlined at
 * the top of the page (early.ts) opens the signaling socket with the watch in its URL
 * (shared/watchUrl.ts) while the rest of the page is still being parsed; when the <camrtc-player>
 * for the same camera and server starts, its CamrtcClient adopts that socket and replays the
 * messages that already arrived (often the offer), instead of opening a second connection. Anything
 * that does not match falls back to a socket of its own.
 *
 * When the server put an offer in the page (data-offer: a live camera; see server/src/http/
 * cameraPage.ts), the early script answers it too, while the socket is still opening, and sends the
 * answer with the offer's ticket as soon as the socket is open; the player then adopts the peer
 * connection as well, and ignores the session's `offer` message when it is that same offer.
 *
 * Both sides live in this one file so the watch is the same whoever opens the socket. It is bundled
 * twice (the inline script and the player), so it must stay small and import no runtime code but
 * signalingUrl.ts, iceConfig.ts and shared/watchUrl.ts.
 *
 * The page's offer carries the viewer's ICE configuration (its TURN credential): the early script
 * answers with it, since gathering starts at its setLocalDescription, before the socket is open.
 */
import type { ClientMessage, IceCandidate, PageOffer } from '../../shared/protocol.js';
import { withUrlWatch } from '../../shared/watchUrl.js';
import { canReceiveH265, defaultSignalingUrl } from './signalingUrl.js';
import { rtcConfiguration, serverIce } from './iceConfig.js';

/**
 * An early socket no player adopted by then (no player for this camera on the page, a script error)
 * is closed, so the server does not keep a viewer for nobody.
 */
export const EARLY_ADOPT_TIMEOUT_MS = 15_000;
/** Messages kept for the player; past this the early socket is given up and the player opens its own. */
export const EARLY_MAX_MESSAGES = 256;

/** Where the early script leaves its socket for the player (one per page). */
const GLOBAL_KEY = '__camrtcEarlySignal';

export interface EarlySignal {
  readonly camera: string;
  /** The signaling URL, without the watch (the same string CamrtcClient computes for its `url` option). */
  readonly url: string;
  /** The viewer session id the socket's URL watches. */
  readonly id: string;
  readonly ws: WebSocket;
  /** Text messages received before adoption, oldest first. */
  readonly messages: readonly string[];
  /**
   * A peer connection made while waiting for the offer, for the adopter to use for the offer (or
   * close); it has not gathered, so the adopter gives it the offer's ICE configuration with
   * setConfiguration(). The browser's first peer connection in a page costs 10-40 ms to create and
   * makes the first setRemoteDescription slower; here that cost overlaps the wait for the socket.
   * With `offer`, it is the connection answering that offer, made with the offer's ICE configuration.
   */
  readonly pc: RTCPeerConnection | undefined;
  /** The offer the page came with, answered on `pc` (see `answering`). */
  readonly offer: PageOffer | undefined;
  /**
   * With `offer`: settles once the answer was sent (with the offer's ticket) and set on `pc`; rejects
   * when that failed (no WebRTC, the socket closed first, `pc` closed).
   */
  readonly answering: Promise<void> | undefined;
}

interface EarlyHandle extends EarlySignal {
  /** Detaches the early handlers and the abandon timer: the adopter owns the socket from then on. */
  release(): void;
}

type Holder = { [GLOBAL_KEY]?: EarlyHandle };

/**
 * Opens a signaling socket at `url` that watches `camera` in session `id` from its first moment:
 * CamrtcClient opens its own sockets the same way, so an adopted socket is indistinguishable from
 * one the player opened.
 */
export function openWatchSocket(url: string, id: string, camera: string, paused: boolean, ticket?: string, token?: string, stream?: string): WebSocket {
  return new WebSocket(
    withUrlWatch(url, { camera, id, h265: canReceiveH265(), paused, ...(ticket !== undefined ? { ticket } : {}), ...(token ? { token } : {}), ...(stream ? { stream } : {}) }),
  );
}

/** The `candidate` message for a browser ICE candidate (null: gathering finished). */
export function candidateMessage(id: string, c: RTCIceCandidate | null): ClientMessage {
  const candidate: IceCandidate | null = c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment } : null;
  return { type: 'candidate', id, candidate };
}

/** The page's data-offer text, or undefined when absent or not what the server writes. */
export function parsePageOffer(text: string | undefined): PageOffer | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Record<keyof PageOffer, unknown>> | null;
    if (typeof value?.ticket !== 'string' || typeof value.sdp !== 'string') return undefined;
    return { ticket: value.ticket, sdp: value.sdp, ...serverIce(value) };
  } catch {
    return undefined;
  }
}

function whenOpen(ws: WebSocket): Promise<void> {
  const closed = (): Error => new Error('the signaling socket closed before it opened');
  if (ws.readyState === WebSocket.OPEN) return Promise.resolve();
  if (ws.readyState !== WebSocket.CONNECTING) return Promise.reject(closed());
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('close', () => reject(closed()), { once: true });
  });
}

/**
 * Answers the page's offer on `pc` (`remote`: its setRemoteDescription) and sends the answer as
 * session `id`'s, with the offer's ticket, once the socket is open; then trickles the candidates (the
 * adopter keeps that handler).
 */
async function answerPageOffer(pc: RTCPeerConnection, remote: Promise<void>, ws: WebSocket, id: string, offer: PageOffer): Promise<void> {
  await remote;
  allowTalk(pc);
  const answer = await pc.createAnswer();
  await whenOpen(ws);
  // Before setLocalDescription, as the player does: the server applies it meanwhile.
  ws.send(JSON.stringify({ type: 'answer', id, sdp: answer.sdp ?? '', ticket: offer.ticket } satisfies ClientMessage));
  pc.onicecandidate = (event) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(candidateMessage(id, event.candidate)));
  };
  await pc.setLocalDescription(answer);
}

/**
 * Two-way audio: an audio section the server offered to receive on (a=sendrecv or a=recvonly: the
 * camera has a backchannel) is answered ready to send, though nothing is sent until the player talks
 * (its sender has no track before): the microphone then goes on without a new negotiation. Call
 * between setRemoteDescription and createAnswer.
 */
export function allowTalk(pc: RTCPeerConnection): void {
  const sdp = pc.remoteDescription?.sdp ?? '';
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    if (!section.startsWith('audio')) continue;
    const mid = /\na=mid:(\S+)/.exec(section)?.[1];
    const receives = /\na=(sendrecv|recvonly)\b/.exec(section)?.[1];
    const transceiver = pc.getTransceivers().find((t) => t.mid === mid);
    if (transceiver && receives) transceiver.direction = receives === 'sendrecv' ? 'sendrecv' : 'sendonly';
  }
}

export function newSessionId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Opens the signaling socket to this page's server and starts watching `camera` (run by the inline
 * script), answering the page's `offer` when there is one. Returns undefined when a socket was
 * already started or WebSocket is missing.
 */
export function startEarlySignaling(camera: string, pageOffer?: PageOffer): EarlySignal | undefined {
  const holder = globalThis as Holder;
  if (holder[GLOBAL_KEY] || typeof WebSocket !== 'function') return undefined;
  const url = defaultSignalingUrl();
  const id = newSessionId('e');
  let pc: RTCPeerConnection | undefined;
  try {
    // The page's offer is answered on this connection: it gathers with that offer's ICE servers.
    pc = new RTCPeerConnection(rtcConfiguration({}, pageOffer));
  } catch {
    // No WebRTC here: the player reports it when it answers the offer.
  }
  const offer = pc ? pageOffer : undefined;
  // The page's offer goes to the browser's WebRTC thread before anything else runs here (the socket's
  // H.265 probe alone takes 3-30 ms of this busy main thread); the socket is only read once it opens.
  const remote = pc && offer ? pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp }) : undefined;
  const ws = openWatchSocket(url, id, camera, false, pageOffer?.ticket);
  const messages: string[] = [];
  const answering = pc && offer && remote ? answerPageOffer(pc, remote, ws, id, offer) : undefined;
  // The adopter handles a failure; unadopted, abandon() below cleans up.
  answering?.catch(() => undefined);
  const handle: EarlyHandle = {
    camera,
    url,
    id,
    ws,
    messages,
    offer,
    answering,
    get pc() {
      return pc;
    },
    release() {
      clearTimeout(timer);
      ws.onmessage = ws.onclose = null;
    },
  };
  const abandon = (): void => {
    handle.release();
    if (holder[GLOBAL_KEY] === handle) delete holder[GLOBAL_KEY];
    discardEarlySignal(handle);
  };
  const timer = setTimeout(abandon, EARLY_ADOPT_TIMEOUT_MS);
  ws.onmessage = (event) => {
    if (typeof event.data !== 'string') return;
    if (messages.length >= EARLY_MAX_MESSAGES) return abandon();
    messages.push(event.data);
  };
  // Closed before a player came: nothing to hand over, the player starts afresh.
  ws.onclose = abandon;
  holder[GLOBAL_KEY] = handle;
  return handle;
}

/** Ends an early session nobody will use: its peer connection, the session (`stop`) and the socket. */
export function discardEarlySignal(early: EarlySignal): void {
  const { ws, pc, id } = early;
  pc?.close();
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'stop', id } satisfies ClientMessage));
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
}

/**
 * The early socket, if one was started for this `camera` and signaling `url` and is still usable; it
 * is handed over once (a second player of the same camera opens its own). Its handlers are detached:
 * the caller sets its own, then replays `messages`, and uses or closes `pc` (with `answering`, it
 * carries on with `pc` or discards the whole early session: discardEarlySignal).
 */
export function takeEarlySignal(camera: string, url: string): EarlySignal | undefined {
  const holder = globalThis as Holder;
  const early = holder[GLOBAL_KEY];
  if (!early || early.camera !== camera || early.url !== url) return undefined;
  delete holder[GLOBAL_KEY];
  early.release();
  const state = early.ws.readyState;
  if (state !== WebSocket.OPEN && state !== WebSocket.CONNECTING) {
    early.pc?.close();
    return undefined;
  }
  return early;
}

/**
 * What a player can use of the page's early session (takeEarlySignal): the socket and its messages,
 * and the warm peer connection (`warmPc`, for the first offer: it has not gathered, so the player
 * sets its configuration). The peer connection answering the page's offer gathered with the offer's
 * ICE configuration only: a player with ICE settings of its own (`ownIce`: servers or a policy) gives
 * that answered offer up altogether (undefined: it opens a session of its own).
 */
export function adoptEarlySignal(camera: string, url: string, ownIce: boolean): { early: EarlySignal; warmPc: RTCPeerConnection | undefined } | undefined {
  const early = takeEarlySignal(camera, url);
  if (!early) return undefined;
  if (early.answering) {
    if (!ownIce) return { early, warmPc: undefined };
    discardEarlySignal(early);
    return undefined;
  }
  return { early, warmPc: early.pc };
}
