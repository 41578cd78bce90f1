/**
 * Early signaling: the camera page starts watching before its player exists. A tiny script inlined at
 * the top of the page (early.ts) opens the signaling socket and sends hello + watch while the rest of
 * the page is still being parsed; when the <camrtc-player> for the same camera and server starts, its
 * CamrtcClient adopts that socket and replays the messages that already arrived (often the offer),
 * instead of opening a second connection. Anything that does not match falls back to a socket of its own.
 *
 * Both sides live in this one file so the messages sent are the same whoever opens the socket. It is
 * bundled twice (the inline script and the player), so it must stay small and import no runtime code
 * but signalingUrl.ts.
 */
import type { ClientMessage, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { canReceiveH265, defaultSignalingUrl } from './signalingUrl.js';

/** Kept equal to shared/protocol.ts PROTOCOL_VERSION by the type (tsc fails when it changes). */
const VERSION: typeof PROTOCOL_VERSION = 1;

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
  /** The signaling URL (the same string CamrtcClient computes for its `url` option). */
  readonly url: string;
  /** The viewer session id sent in `watch`. */
  readonly id: string;
  readonly ws: WebSocket;
  /** hello + watch went out (the socket opened before adoption). */
  readonly watching: boolean;
  /** Text messages received before adoption, oldest first. */
  readonly messages: readonly string[];
  /**
   * A peer connection made while waiting for the offer, with no ICE servers, for the adopter to use
   * for the offer (or close). The browser's first peer connection in a page costs 10-40 ms to create
   * and makes the first setRemoteDescription slower; here that cost overlaps the wait for the socket.
   */
  readonly pc: RTCPeerConnection | undefined;
}

interface EarlyHandle extends EarlySignal {
  /** Detaches the early handlers and the abandon timer: the adopter owns the socket from then on. */
  release(): void;
}

type Holder = { [GLOBAL_KEY]?: EarlyHandle };

/**
 * The messages that start watching `camera` in session `id`: CamrtcClient sends the same when it
 * opens its own socket, so an adopted socket is indistinguishable from one the player opened.
 */
export function watchMessages(id: string, camera: string, paused: boolean): ClientMessage[] {
  const h265 = canReceiveH265();
  const messages: ClientMessage[] = [
    { type: 'hello', version: VERSION, capabilities: { h265 } },
    { type: 'watch', id, camera, capabilities: { h265 } },
  ];
  if (paused) messages.push({ type: 'pause', id });
  return messages;
}

export function newSessionId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Opens the signaling socket to this page's server and starts watching `camera` (run by the inline
 * script). Returns undefined when a socket was already started or WebSocket is missing.
 */
export function startEarlySignaling(camera: string): EarlySignal | undefined {
  const holder = globalThis as Holder;
  if (holder[GLOBAL_KEY] || typeof WebSocket !== 'function') return undefined;
  const url = defaultSignalingUrl();
  const id = newSessionId('e');
  const ws = new WebSocket(url);
  const messages: string[] = [];
  let watching = false;
  let pc: RTCPeerConnection | undefined;
  const handle: EarlyHandle = {
    camera,
    url,
    id,
    ws,
    get watching() {
      return watching;
    },
    messages,
    get pc() {
      return pc;
    },
    release() {
      clearTimeout(timer);
      ws.onopen = ws.onmessage = ws.onclose = null;
    },
  };
  const abandon = (): void => {
    handle.release();
    pc?.close();
    if (holder[GLOBAL_KEY] === handle) delete holder[GLOBAL_KEY];
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'stop', id } satisfies ClientMessage));
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
  };
  const timer = setTimeout(abandon, EARLY_ADOPT_TIMEOUT_MS);
  ws.onopen = () => {
    watching = true;
    for (const message of watchMessages(id, camera, false)) ws.send(JSON.stringify(message));
  };
  ws.onmessage = (event) => {
    if (typeof event.data !== 'string') return;
    if (messages.length >= EARLY_MAX_MESSAGES) return abandon();
    messages.push(event.data);
  };
  // Closed before a player came: nothing to hand over, the player starts afresh.
  ws.onclose = abandon;
  holder[GLOBAL_KEY] = handle;
  try {
    pc = new RTCPeerConnection({ iceServers: [] });
  } catch {
    // No WebRTC here: the player reports it when it answers the offer.
  }
  return handle;
}

/**
 * The early socket, if one was started for this `camera` and signaling `url` and is still usable; it
 * is handed over once (a second player of the same camera opens its own). Its handlers are detached:
 * the caller sets its own, then replays `messages`, and uses or closes `pc`.
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
