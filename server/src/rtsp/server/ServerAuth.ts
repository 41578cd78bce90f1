/**
 * The server side of RTSP authentication: the challenge sent with 401 and the check of the client's
 * Authorization header (Basic, or Digest MD5 with or without qop=auth, the forms cameras, ffmpeg and
 * VLC use), and a request hook that demands it for every method but OPTIONS.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CamrtcError } from '../../errors.js';
import { parseWwwAuthenticateValue } from '../headers/WwwAuthenticate.js';
import type { RequestContext, RequestHook } from './ServerHooks.js';
import { response } from './ServerResponse.js';

export interface ServerAuthOptions {
  readonly username: string;
  readonly password: string;
  readonly scheme: 'basic' | 'digest';
  /** Default 'camrtc'. */
  readonly realm?: string;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ServerAuth {
  /**
   * One nonce for this object's lifetime: clients reuse it from request to request. It does not
   * expire, so a captured Digest answer stays valid for its method and URI as long as the server runs.
   */
  readonly nonce = randomBytes(16).toString('hex');
  readonly realm: string;

  constructor(private readonly options: ServerAuthOptions) {
    this.realm = options.realm ?? 'camrtc';
    if (/["\\\r\n]/.test(this.realm)) throw new CamrtcError('ERR_CONFIG_INVALID', 'an RTSP realm cannot contain quotes, backslashes or line breaks');
  }

  /** The WWW-Authenticate value of a 401. */
  challenge(): string {
    return this.options.scheme === 'basic'
      ? `Basic realm="${this.realm}"`
      : `Digest realm="${this.realm}", nonce="${this.nonce}", algorithm=MD5`;
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
    if (p.username !== username || p.realm !== this.realm || p.nonce !== this.nonce || p.uri === undefined || p.response === undefined) return false;
    if (p.algorithm !== undefined && p.algorithm.toUpperCase() !== 'MD5') return false;
    const ha1 = md5(`${username}:${this.realm}:${password}`);
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

/**
 * Demands credentials for every method but OPTIONS (clients ask OPTIONS before they know they need
 * any). `auth` may depend on the request (a restream with credentials per camera); undefined lets
 * the request through.
 */
export function authHook(auth: ServerAuth | ((ctx: RequestContext) => ServerAuth | undefined)): RequestHook {
  return (req, ctx) => {
    if (req.method === 'OPTIONS') return undefined;
    const a = typeof auth === 'function' ? auth(ctx) : auth;
    if (!a || a.check(req.method, req.headers.get('Authorization'))) return undefined;
    return response(401, { 'WWW-Authenticate': a.challenge() });
  };
}
