/**
 * The server side of RTSP authentication for the demo camera: the challenge it sends with 401 and
 * the check of the client's Authorization header (Basic, or Digest MD5 with or without qop=auth,
 * the forms cameras and ffmpeg use).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CamrtcError } from '../errors.js';
import { parseWwwAuthenticateValue } from '../rtsp/headers/WwwAuthenticate.js';

export interface DemoAuthOptions {
  readonly username: string;
  readonly password: string;
  readonly scheme: 'basic' | 'digest';
}

export const DEMO_REALM = 'camrtc-demo';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DemoAuth {
  /** One nonce for the camera's lifetime: enough for a test camera, and clients reuse it. */
  readonly nonce = randomBytes(16).toString('hex');

  constructor(private readonly options: DemoAuthOptions) {}

  /** The WWW-Authenticate value of a 401. */
  challenge(): string {
    return this.options.scheme === 'basic'
      ? `Basic realm="${DEMO_REALM}"`
      : `Digest realm="${DEMO_REALM}", nonce="${this.nonce}", algorithm=MD5`;
  }

  /** Whether the request's Authorization header holds the right credentials. */
  check(method: string, authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const { username, password, scheme } = this.options;
    if (scheme === 'basic') {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
      return m !== null && sameText(Buffer.from(m[1], 'base64').toString('utf8'), `${username}:${password}`);
    }
    const parsed = parseWwwAuthenticateValue(authorization);
    if (parsed instanceof CamrtcError || parsed.length !== 1 || parsed[0].scheme.toLowerCase() !== 'digest') return false;
    const p = parsed[0].params;
    if (p.username !== username || p.realm !== DEMO_REALM || p.nonce !== this.nonce || p.uri === undefined || p.response === undefined) return false;
    if (p.algorithm !== undefined && p.algorithm.toUpperCase() !== 'MD5') return false;
    const ha1 = md5(`${username}:${DEMO_REALM}:${password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const qop = p.qop?.toLowerCase();
    let expected: string;
    if (qop === 'auth') {
      if (p.nc === undefined || p.cnonce === undefined) return false;
      expected = md5(`${ha1}:${this.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    } else if (qop === undefined) {
      expected = md5(`${ha1}:${this.nonce}:${ha2}`);
    } else {
      return false;
    }
    return sameText(expected, p.response.toLowerCase());
  }
}
