/**
 * RTSP authentication: Basic (RFC 7617) and Digest (RFC 7616: MD5, SHA-256, their -sess variants,
 * qop=auth with cnonce/nc, and RFC 2069 without qop). Pure apart from the random cnonce, which can
 * be injected for tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CamrtcError } from '../errors.js';
import type { AuthChallenge } from './headers/WwwAuthenticate.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

const DIGEST_HASHES: Record<string, 'md5' | 'sha256'> = {
  MD5: 'md5',
  'MD5-SESS': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-SESS': 'sha256',
};

function digestHash(challenge: AuthChallenge): 'md5' | 'sha256' | undefined {
  return DIGEST_HASHES[challenge.algorithm ?? 'MD5'];
}

/** Higher is stronger; 0 means unusable. */
function strength(c: AuthChallenge): number {
  const scheme = c.scheme.toLowerCase();
  if (scheme === 'digest') {
    if (c.nonce === undefined || c.realm === undefined) return 0;
    const qop = c.qop;
    // A qop list without "auth" (only auth-int) is not supported.
    if (qop && qop.length > 0 && !qop.includes('auth')) return 0;
    const h = digestHash(c);
    if (h === 'sha256') return 3;
    if (h === 'md5') return 2;
    return 0;
  }
  if (scheme === 'basic') return 1;
  return 0;
}

/** The strongest challenge camrtc supports (SHA-256 Digest > MD5 Digest > Basic), or undefined. */
export function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  let best: AuthChallenge | undefined;
  let bestStrength = 0;
  for (const c of challenges) {
    const s = strength(c);
    if (s > bestStrength) {
      best = c;
      bestStrength = s;
    }
  }
  return best;
}

export function basicAuthorization(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface DigestInput {
  readonly challenge: AuthChallenge;
  readonly credentials: Credentials;
  readonly method: string;
  readonly uri: string;
  /** Request counter for this nonce, starting at 1. */
  readonly nc?: number;
  /** Client nonce; random when absent. */
  readonly cnonce?: string;
}

/** The `response` value and the full Authorization header for a Digest challenge. */
export function digestAuthorization(input: DigestInput): { header: string; response: string } | CamrtcError {
  const { challenge: c, credentials, method, uri } = input;
  const alg = digestHash(c);
  if (!alg || c.nonce === undefined || c.realm === undefined) {
    return new CamrtcError('ERR_RTSP_AUTH', `unsupported Digest challenge (algorithm ${c.algorithm ?? 'MD5'})`);
  }
  const H = (s: string): string => createHash(alg).update(s, 'utf8').digest('hex');
  const useQop = c.qop !== undefined && c.qop.length > 0;
  const cnonce = input.cnonce ?? randomBytes(16).toString('hex');
  const nc = (input.nc ?? 1).toString(16).padStart(8, '0');
  let ha1 = H(`${credentials.username}:${c.realm}:${credentials.password}`);
  if ((c.algorithm ?? '').endsWith('-SESS')) ha1 = H(`${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = H(`${method}:${uri}`);
  const response = useQop ? H(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`) : H(`${ha1}:${c.nonce}:${ha2}`);
  const parts = [
    `username=${quote(credentials.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(uri)}`,
    `response=${quote(response)}`,
  ];
  if (c.algorithm !== undefined) parts.push(`algorithm=${c.algorithm}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  return { header: `Digest ${parts.join(', ')}`, response };
}

/**
 * Remembers the chosen challenge of a camera and produces the Authorization header of each later
 * request (Digest nc counts up per request with the same nonce).
 */
export class Authenticator {
  private nc = 0;

  private constructor(
    readonly challenge: AuthChallenge,
    private readonly credentials: Credentials,
    private readonly cnonce?: () => string,
  ) {}

  /** Picks the strongest supported challenge; error when none is supported. */
  static fromChallenges(challenges: readonly AuthChallenge[], credentials: Credentials, cnonce?: () => string): Authenticator | CamrtcError {
    const c = pickChallenge(challenges);
    if (!c) {
      const offered = challenges.map((x) => x.scheme).join(', ') || 'none';
      return new CamrtcError('ERR_RTSP_AUTH', `the camera asks for an authentication scheme camrtc does not support (${offered})`, { schemes: offered });
    }
    return new Authenticator(c, credentials, cnonce);
  }

  get scheme(): 'basic' | 'digest' {
    return this.challenge.scheme.toLowerCase() === 'basic' ? 'basic' : 'digest';
  }

  authorization(method: string, uri: string): string {
    if (this.scheme === 'basic') return basicAuthorization(this.credentials);
    this.nc++;
    const r = digestAuthorization({ challenge: this.challenge, credentials: this.credentials, method, uri, nc: this.nc, cnonce: this.cnonce?.() });
    // fromChallenges only keeps supported challenges, so this cannot be an error.
    return r instanceof CamrtcError ? '' : r.header;
  }
}
