/**
 * Turns what a request carries into a Principal: a browser login's session cookie, `Authorization:
 * Basic` (a configured user, for WHEP players and scripts), `Authorization: Bearer` or a `token`
 * (camrtc's viewer token or an identity provider's JWT), or nothing (the anonymous principal).
 * Invalid proof is an error (ERR_AUTH_INVALID, 401), never a silent fall back to anonymous: a player
 * with a broken token must say so, not show "log in".
 */
import { CamrtcError } from '../errors.js';
import type { AccessPolicy } from './AccessPolicy.js';
import type { Principal } from './Principal.js';
import type { UserDirectory } from './UserDirectory.js';

/** What a request may carry; every field is untrusted client input. */
export interface RequestCredentials {
  /** The Authorization header. */
  readonly authorization?: string;
  /** The Cookie header. */
  readonly cookie?: string;
  /** A token from the query (`?token=`, the player's signaling URL) or a `watch` message. */
  readonly token?: string;
  /** The client's address (loopback rules, throttling of failed logins). */
  readonly address?: string;
  /** The request names a client behind a proxy (Forwarded, X-Forwarded-For, X-Real-IP): not loopback's own. */
  readonly proxied?: boolean;
}

/** Browser logins: the session cookie's value to the user it stands for. */
export interface LoginSessions {
  /** The principal of a live session, undefined for an unknown or expired one. */
  principal(sessionId: string): Principal | undefined;
}

/** camrtc's viewer tokens and identity providers' JWTs. */
export interface TokenVerifier {
  /** The token's principal; throws CamrtcError ERR_AUTH_INVALID saying why otherwise (expired, unknown key...). */
  verify(token: string): Promise<Principal>;
}

export const SESSION_COOKIE = 'camrtc_session';
/** Longer than any legitimate token or header (a JWT with a long claim is a few KiB). */
const MAX_CREDENTIAL_CHARS = 8192;

export interface AuthenticatorOptions {
  policy: AccessPolicy;
  users?: UserDirectory;
  sessions?: LoginSessions;
  tokens?: TokenVerifier;
}

export class Authenticator {
  readonly policy: AccessPolicy;
  readonly #options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.policy = options.policy;
    this.#options = options;
  }

  /** The principal the request proves; anonymous when it carries nothing. Throws ERR_AUTH_INVALID. */
  async authenticate(credentials: RequestCredentials): Promise<Principal> {
    const { authorization, token } = credentials;
    if (token !== undefined && token !== '') return this.#token(token);
    if (authorization !== undefined && authorization !== '') {
      if (authorization.length > MAX_CREDENTIAL_CHARS) throw invalid('the Authorization header is too long');
      const space = authorization.indexOf(' ');
      const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
      const value = space < 0 ? '' : authorization.slice(space + 1).trim();
      if (scheme === 'bearer') return this.#token(value);
      if (scheme === 'basic') return this.#basic(value, credentials.address);
      throw invalid(`the Authorization scheme '${scheme.slice(0, 20)}' is not supported: use Bearer (a token) or Basic`);
    }
    const session = sessionCookie(credentials.cookie);
    if (session !== undefined) {
      const principal = this.#options.sessions?.principal(session);
      // An expired login is not an error: the page shows the login form again.
      if (principal) return principal;
    }
    return this.policy.anonymous(credentials.address, credentials.proxied);
  }

  async #token(token: string): Promise<Principal> {
    if (token.length > MAX_CREDENTIAL_CHARS) throw invalid('the token is too long');
    const verifier = this.#options.tokens;
    if (!verifier) throw invalid('this server accepts no tokens (no auth.tokenKeys or auth.jwt is configured)');
    return verifier.verify(token);
  }

  async #basic(value: string, address: string | undefined): Promise<Principal> {
    let decoded: string;
    try {
      decoded = Buffer.from(value, 'base64').toString('utf8');
    } catch {
      throw invalid('the Basic credentials are not base64');
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalid('the Basic credentials are not user:password');
    const users = this.#options.users;
    const principal = users ? await users.login(decoded.slice(0, colon), decoded.slice(colon + 1), address) : undefined;
    if (!principal) throw invalid('wrong user name or password');
    return principal;
  }
}

function invalid(message: string): CamrtcError {
  return new CamrtcError('ERR_AUTH_INVALID', message);
}

/** The session cookie's value from a Cookie header, when present and plausible. */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_CREDENTIAL_CHARS) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
  }
  return undefined;
}
