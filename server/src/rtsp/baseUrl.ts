/**
 * Where a camera's session lives: the base URL track controls resolve against, and where a redirect
 * points. Pure: the caller does the requests.
 */
import { CamrtcError } from '../errors.js';
import { onSameHost } from '../sdp/controlUrl.js';
import { parseRtspUrl, type RtspUrl } from './url.js';

/** A 3xx answer's Location, parsed; an invalid one is an error (never followed blindly). */
export function redirectTarget(location: string | undefined, cameraName: string): RtspUrl {
  const target = location === undefined ? undefined : parseRtspUrl(location);
  if (target === undefined || target instanceof CamrtcError) {
    throw new CamrtcError('ERR_RTSP_REDIRECT', `camera '${cameraName}' redirected to an invalid location`);
  }
  return target;
}

/**
 * Content-Base, else Content-Location, else the request URL. A base on another host (a camera
 * behind NAT announcing its internal address) is moved onto the host camrtc talks to: its path
 * is kept, its host never used (resolveControl does the same for absolute controls).
 */
export function resolveBaseUrl(contentBase: string | undefined, contentLocation: string | undefined, url: RtspUrl, movedFrom?: (announcedHost: string) => void): string {
  for (const candidate of [contentBase, contentLocation]) {
    if (candidate === undefined) continue;
    const parsed = parseRtspUrl(candidate);
    if (parsed instanceof CamrtcError) continue;
    if (parsed.host === url.host && parsed.port === url.port && parsed.scheme === url.scheme) return parsed.href;
    const moved = onSameHost(url.href, parsed.href);
    if (moved === undefined) continue;
    movedFrom?.(parsed.host);
    return moved;
  }
  return url.href;
}
