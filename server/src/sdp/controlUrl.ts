/**
 * Resolving a media section's `a=control` against the session's base URL (Content-Base, else
 * Content-Location, else the DESCRIBE URL: the caller picks). Follows gortsplib, which follows what
 * cameras do rather than RFC 3986: a relative control is appended to the base (`.../ch1` +
 * `trackID=1` gives `.../ch1/trackID=1`, not `.../trackID=1`), after the query if the base has one.
 *
 * An absolute control naming another host is taken to the session's host: cameras behind NAT or
 * port forwarding write their internal address there (`rtsp://192.168.1.10/trackID=1` while camrtc
 * talks to 203.0.113.5:8554), and gortsplib does the same. Only its path and query are kept, so a
 * camera's SDP can never send our SETUP, and the credentials that follow it, to another host.
 */
import { CamrtcError } from '../errors.js';

/** Longer control attributes are refused: a URL is a request line, not a payload. */
export const MAX_CONTROL_LENGTH = 2048;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { rtsp: 554, rtsps: 322, rtspu: 554 };

export interface RtspUrlParts {
  /** Lower-case scheme: rtsp, rtsps or rtspu. */
  readonly scheme: string;
  /** host[:port] as written, without userinfo. */
  readonly authority: string;
  /** Lower-case host name; IPv6 literals keep their brackets. */
  readonly hostname: string;
  /** The explicit port, else the scheme's default. */
  readonly port: number;
  /** Path, query and fragment, as written (may be ''). */
  readonly rest: string;
}

const URL_RE = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)(?::(\d{0,5}))?([/?#].*)?$/is;

/** Splits an rtsp:// URL by hand: WHATWG URL would percent-encode and reorder what cameras expect verbatim. */
export function splitRtspUrl(url: string): RtspUrlParts | undefined {
  const m = URL_RE.exec(url);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  const defaultPort = DEFAULT_PORTS[scheme];
  if (defaultPort === undefined || m[2] === '') return undefined;
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (port > 65535) return undefined;
  return {
    scheme,
    authority: m[3] ? `${m[2]}:${m[3]}` : m[2],
    hostname: m[2].toLowerCase(),
    port,
    rest: m[4] ?? '',
  };
}

/**
 * Control characters, spaces and non-ASCII would break (or inject into) the RTSP request line:
 * percent-encode them as UTF-8.
 */
function encodeUnsafe(s: string): string {
  return s.replace(/[\x00-\x20\x7f-\uffff]/g, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''));
}

function sdpError(message: string, details: Record<string, unknown> = {}): CamrtcError {
  return new CamrtcError('ERR_PARSE_SDP', message, details);
}

/** The base URL without userinfo, or an error when it is not an rtsp(s) URL. */
export function normalizeBaseUrl(baseUrl: string): string | CamrtcError {
  const base = splitRtspUrl(baseUrl.trim());
  if (!base) return sdpError('the base URL for the session description is not an rtsp:// or rtsps:// URL');
  return encodeUnsafe(`${base.scheme}://${base.authority}${base.rest}`);
}

/**
 * The absolute URL to SETUP for a media section. `control` undefined, empty or `*` means the base
 * itself (gortsplib does the same for a section without a=control).
 */
export function resolveControl(baseUrl: string, control: string | undefined): string | CamrtcError {
  const normalized = normalizeBaseUrl(baseUrl);
  if (normalized instanceof CamrtcError) return normalized;
  const base = splitRtspUrl(normalized)!;
  const c = (control ?? '').trim();
  if (c === '' || c === '*') return normalized;
  if (c.length > MAX_CONTROL_LENGTH) return sdpError(`a=control is longer than ${MAX_CONTROL_LENGTH} characters`);

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(c)) {
    const abs = splitRtspUrl(c);
    if (!abs) return sdpError('a=control is an absolute URL that is not rtsp:// or rtsps://', { control: c.slice(0, 200) });
    // Keep the session's scheme and authority: no other host, no rtsps-to-rtsp downgrade.
    return encodeUnsafe(`${base.scheme}://${base.authority}${abs.rest.startsWith('/') ? '' : '/'}${abs.rest}`);
  }
  if (c.startsWith('/')) return encodeUnsafe(`${base.scheme}://${base.authority}${c}`);
  const sep = c.startsWith('?') || normalized.endsWith('/') ? '' : '/';
  return encodeUnsafe(normalized + sep + c);
}

/** Whether `url` names another host or port than `base` (both rtsp URLs; false when either is not one). */
export function isOtherHost(base: string, url: string): boolean {
  const a = splitRtspUrl(base.trim());
  const b = splitRtspUrl(url.trim());
  return a !== undefined && b !== undefined && (a.hostname !== b.hostname || a.port !== b.port);
}

/**
 * `url` moved onto `base`'s scheme and authority (path and query kept): for a Content-Base or an
 * absolute control a camera behind NAT wrote with its internal address.
 */
export function onSameHost(base: string, url: string): string | undefined {
  const a = splitRtspUrl(base.trim());
  const b = splitRtspUrl(url.trim());
  if (!a || !b) return undefined;
  return encodeUnsafe(`${a.scheme}://${a.authority}${b.rest.startsWith('/') || b.rest === '' ? '' : '/'}${b.rest}`);
}
