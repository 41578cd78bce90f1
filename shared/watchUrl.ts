/**
 * Watching from the signaling URL: `ws(s)://HOST/ws?watch=CAMERA&id=SESSION[&h265=1][&paused=1][&ticket=T]`
 * starts session SESSION on CAMERA as soon as the server accepts the socket, exactly as if `hello`,
 * `watch` (and `pause`) had been its first messages; after that the socket speaks the usual protocol.
 *
 * Why: a page's socket `open` event waits for the page's main thread, which is busy loading the
 * page; sending `watch` from there cost the first frame one round trip behind it (40-90 ms on the
 * benchmark machine). With the request in the URL, the server's offer is already on its way when
 * `open` fires.
 *
 * No runtime dependencies: the camera page's inline script bundles this file. The server validates
 * the resulting messages with the same schemas as any other message (shared/protocol.ts).
 */

export interface UrlWatch {
  camera: string;
  id: string;
  h265: boolean;
  paused: boolean;
  /** The camera page's offer ticket (the `watch` message's `ticket`). */
  ticket?: string;
}

const CAMERA = 'watch';
const ID = 'id';
const H265 = 'h265';
const PAUSED = 'paused';
const TICKET = 'ticket';

/** `signalingUrl` (a ws(s):// URL) asking the server to start `watch` at once. */
export function withUrlWatch(signalingUrl: string, watch: UrlWatch): string {
  const url = new URL(signalingUrl);
  url.searchParams.set(CAMERA, watch.camera);
  url.searchParams.set(ID, watch.id);
  if (watch.h265) url.searchParams.set(H265, '1');
  if (watch.paused) url.searchParams.set(PAUSED, '1');
  if (watch.ticket !== undefined) url.searchParams.set(TICKET, watch.ticket);
  return url.href;
}

/**
 * The watch a socket's request URL (path and query, as in an HTTP request line) asks for; undefined
 * when it asks for none. Camera and id are returned as given: the caller validates them.
 */
export function urlWatch(requestUrl: string): UrlWatch | undefined {
  const query = requestUrl.indexOf('?');
  if (query < 0) return undefined;
  const params = new URLSearchParams(requestUrl.slice(query + 1));
  const camera = params.get(CAMERA);
  if (camera === null) return undefined;
  const ticket = params.get(TICKET);
  return {
    camera,
    id: params.get(ID) ?? '',
    h265: params.get(H265) === '1',
    paused: params.get(PAUSED) === '1',
    ...(ticket !== null ? { ticket } : {}),
  };
}
