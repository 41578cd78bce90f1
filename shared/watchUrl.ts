/**
 * Watching from the signaling URL: `ws(s)://HOST/ws?watch=CAMERA&id=SESSION[&h265=1][&paused=1][&ticket=T][&token=JWT][&stream=sub]`
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
  /**
   * A viewer token (camrtc's or an identity provider's JWT). A browser's WebSocket cannot send an
   * Authorization header, so it rides in the URL; the server reads it as the socket's proof when the
   * upgrade arrives (server/src/http/requestCredentials.ts), before this watch is decided. camrtc
   * never logs URLs; a reverse proxy may (docs/security.md).
   */
  token?: string;
  /** The stream to start with (`main` or `sub`); the server validates it as the `watch` message's `stream`. */
  stream?: string;
}

const CAMERA = 'watch';
const ID = 'id';
const H265 = 'h265';
const PAUSED = 'paused';
const TICKET = 'ticket';
const STREAM = 'stream';
export const TOKEN_PARAM = 'token';

/** `signalingUrl` (a ws(s):// URL) asking the server to start `watch` at once. */
export function withUrlWatch(signalingUrl: string, watch: UrlWatch): string {
  const url = new URL(signalingUrl);
  url.searchParams.set(CAMERA, watch.camera);
  url.searchParams.set(ID, watch.id);
  if (watch.h265) url.searchParams.set(H265, '1');
  if (watch.paused) url.searchParams.set(PAUSED, '1');
  if (watch.ticket !== undefined) url.searchParams.set(TICKET, watch.ticket);
  if (watch.token !== undefined && watch.token !== '') url.searchParams.set(TOKEN_PARAM, watch.token);
  if (watch.stream !== undefined) url.searchParams.set(STREAM, watch.stream);
  return url.href;
}

/**
 * The watch a socket's request URL (path and query, as in an HTTP request line) asks for; undefined
 * when it asks for none. Camera and id are returned as given: the caller validates them. The token is
 * not part of it: it is the socket's proof, read with the other credentials of the upgrade.
 */
export function urlWatch(requestUrl: string): UrlWatch | undefined {
  const query = requestUrl.indexOf('?');
  if (query < 0) return undefined;
  const params = new URLSearchParams(requestUrl.slice(query + 1));
  const camera = params.get(CAMERA);
  if (camera === null) return undefined;
  const ticket = params.get(TICKET);
  const stream = params.get(STREAM);
  return {
    camera,
    id: params.get(ID) ?? '',
    h265: params.get(H265) === '1',
    paused: params.get(PAUSED) === '1',
    ...(ticket !== null ? { ticket } : {}),
    ...(stream !== null ? { stream } : {}),
  };
}
