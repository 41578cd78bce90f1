/** Paths and origins of request URIs, as the RTSP server matches them against its mounts. Pure. */
import { splitRtspUrl } from '../../sdp/controlUrl.js';

/** '/' + the path without leading or trailing slashes. */
export function normalizePath(path: string): string {
  return ('/' + path.replace(/^\/+/, '')).replace(/\/+$/, '') || '/';
}

/** Path of a request URI (absolute, or a bare path) without query and trailing slash ('/' for the root), or undefined. */
export function requestPath(uri: string): string | undefined {
  const rest = uri.startsWith('/') ? uri : splitRtspUrl(uri)?.rest;
  if (rest === undefined) return undefined;
  return normalizePath(rest.split(/[?#]/)[0]);
}

/** scheme://authority of an absolute request URI (without userinfo), or undefined. */
export function requestOrigin(uri: string): string | undefined {
  const parts = splitRtspUrl(uri);
  return parts ? `${parts.scheme}://${parts.authority}` : undefined;
}
