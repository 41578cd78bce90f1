/**
 * Where the signaling socket is: shared by the player (CamrtcClient) and the camera page's early
 * signaling script, which must compute the very same URL for the player to adopt its socket.
 */

/** The signaling URL of this page's own server. */
export function defaultSignalingUrl(): string {
  return signalingUrl(location.origin);
}

/**
 * The signaling URL for a `server` value: a ws(s):// URL is taken as is; an http(s) base URL (with
 * or without a path prefix, for a server behind a reverse proxy) gets `/ws` appended to its path.
 */
export function signalingUrl(server: string, base?: string): string {
  const url = new URL(server, base);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return url.href;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`server must be an http(s) or ws(s) URL, got ${url.protocol}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** Whether this browser can receive H.265 over WebRTC (Safari, Chromium with hardware support). */
export function canReceiveH265(): boolean {
  try {
    const caps = RTCRtpReceiver.getCapabilities?.('video');
    return !!caps?.codecs.some((c) => c.mimeType.toLowerCase() === 'video/h265');
  } catch {
    return false;
  }
}
