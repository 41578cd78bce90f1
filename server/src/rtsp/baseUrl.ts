/**
 * Where a camera's session lives: the base URL track controls resolve against, and where a redirect
 * points. Pure: the caller does the requests.
 */
import { CamrtcError } from '../errors.js';
import { onSameHost } from '../sdp/controlUrl.js';
import type { Credentials } from './auth.js';
import { formatHost, parseRtspUrl, type RtspUrl } from './url.js';

/** A 3xx answer's Location, parsed; an invalid one is an error (never followed blindly). */
export function redirectTarget(location: string | undefined, cameraName: string): RtspUrl {
  const target = location === undefined ? undefined : parseRtspUrl(location);
  if (target === undefined || target instanceof CamrtcError) {
    throw new CamrtcError('ERR_RTSP_REDIRECT', `camera '${cameraName}' redirected to an invalid location`);
  }
  return target;
}

/**
 * Whether two URLs are the same place for credentials: scheme, host and port all equal. Credentials
 * configured for a camera go nowhere else (a redirect to another port of the same host may be
 * another service, and rtsp -> rtsps changes who terminates the connection).
 */
export function sameOrigin(a: RtspUrl, b: RtspUrl): boolean {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}

/** Credentials written in a redirect's own Location (the redirecting camera knew them), never the configured ones. */
export function locationCredentials(target: RtspUrl): Credentials | undefined {
  return target.username === undefined ? undefined : { username: target.username, password: target.password ?? '' };
}

/** Whether camrtc followed a redirect to `target` without the credentials configured for `configured`. */
export function withheldFrom(target: RtspUrl, configured: RtspUrl, configuredCredentials: Credentials | undefined): boolean {
  return configuredCredentials !== undefined && !sameOrigin(target, configured) && target.username === undefined;
}

/** What a user reads when a redirect target asks for the credentials camrtc kept back. */
export function withheldCredentialsError(cameraName: string, target: RtspUrl, configured: RtspUrl): CamrtcError {
  const origin = `${configured.scheme}://${formatHost(configured.host)}:${configured.port}`;
  return new CamrtcError(
    'ERR_RTSP_REDIRECT_CREDENTIALS',
    `camera '${cameraName}' redirected to ${target.href}, which asks for credentials: camrtc sends the camera's credentials only to ${origin}, ` +
      "never to another host, port or scheme (configure the camera with the redirect target's URL to use them there)",
    { location: target.href },
  );
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
    if (sameOrigin(parsed, url)) return parsed.href;
    const moved = onSameHost(url.href, parsed.href);
    if (moved === undefined) continue;
    movedFrom?.(parsed.host);
    return moved;
  }
  return url.href;
}
