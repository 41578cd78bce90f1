/**
 * rtsp:// and rtsps:// URLs. Parsed by hand rather than with WHATWG URL because users paste
 * passwords with '@', '#' or '?' unencoded, and the credential-free form must never leak them.
 */
import { CamrtcError } from '../errors.js';

export const MAX_URL_LENGTH = 4096;
export const DEFAULT_RTSP_PORT = 554;
export const DEFAULT_RTSPS_PORT = 322;

export interface RtspUrl {
  readonly scheme: 'rtsp' | 'rtsps';
  /** Host name or address; IPv6 without brackets. Lower-case. */
  readonly host: string;
  readonly port: number;
  /** Path and query, at least '/'. */
  readonly path: string;
  /** Percent-decoded. */
  readonly username?: string;
  /** Percent-decoded. Never log it. */
  readonly password?: string;
  /** The URL without credentials: what goes in request lines and logs. */
  readonly href: string;
}

function invalid(message: string): CamrtcError {
  return new CamrtcError('ERR_CONFIG_INVALID', message);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a lone '%' in a password is a password character, not an encoding mistake
  }
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Parses a camera URL. Errors never quote the input (it may hold a password).
 */
export function parseRtspUrl(input: string): RtspUrl | CamrtcError {
  const s = input.trim();
  if (s.length > MAX_URL_LENGTH) return invalid(`camera URL longer than ${MAX_URL_LENGTH} characters`);
  const m = /^(rtsps?):\/\//i.exec(s);
  if (!m) return invalid('camera URL must start with rtsp:// or rtsps://');
  const scheme = m[1].toLowerCase() as 'rtsp' | 'rtsps';
  const rest = s.slice(m[0].length);
  // The userinfo ends at the last '@' before the first '/', so '@', ':', '#' and '?' may appear
  // unencoded in a password; a '/' must be percent-encoded.
  const firstSlash = rest.indexOf('/');
  const at = rest.lastIndexOf('@', firstSlash < 0 ? rest.length : firstSlash);
  let hostStart = 0;
  let username: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    password = colon < 0 ? undefined : decode(userinfo.slice(colon + 1));
    hostStart = at + 1;
  }
  const afterInfo = rest.slice(hostStart);
  const pathStart = afterInfo.search(/[/?]/);
  const authority = pathStart < 0 ? afterInfo : afterInfo.slice(0, pathStart);
  let path = pathStart < 0 ? '/' : afterInfo.slice(pathStart);
  if (path.startsWith('?')) path = `/${path}`;
  // Fragments mean nothing in RTSP; drop them rather than send them to the camera.
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (/[\s]/.test(path)) return invalid('camera URL path contains spaces (percent-encode them as %20)');

  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\](?::(\d*))?$/.exec(authority);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const hm = /^([A-Za-z0-9._~%!$&'()*+,;=-]+)(?::(\d*))?$/.exec(authority);
    if (!hm) return invalid('camera URL has no valid host');
    host = hm[1];
    portText = hm[2];
  }
  host = host.toLowerCase();
  const defaultPort = scheme === 'rtsps' ? DEFAULT_RTSPS_PORT : DEFAULT_RTSP_PORT;
  let port = defaultPort;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return invalid('camera URL port must be between 1 and 65535');
  }
  const explicitPort = portText !== undefined && portText !== '' ? `:${port}` : '';
  const href = `${scheme}://${formatHost(host)}${explicitPort}${path}`;
  const url: { -readonly [K in keyof RtspUrl]: RtspUrl[K] } = { scheme, host, port, path, href };
  if (username !== undefined && username !== '') url.username = username;
  if (password !== undefined) url.password = password;
  return url;
}
