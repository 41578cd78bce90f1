/**
 * The one TokenVerifier the Authenticator uses: camrtc's own viewer tokens and an identity
 * provider's JWTs, told apart by their `iss` (read without trusting it, then verified with that
 * issuer's keys only, so neither can pass for the other).
 */
import { decodeJwt } from 'jose';
import type { AuthConfig } from './authConfig.js';
import type { TokenVerifier } from './Authenticator.js';
import { IdentityProviderJwt, type IdentityProviderOptions } from './IdentityProviderJwt.js';
import type { Principal } from './Principal.js';
import { NOT_A_JWT, tokenInvalid } from './tokenErrors.js';
import { VIEWER_TOKEN_ISSUER, ViewerTokens } from './ViewerTokens.js';
import type { Logger } from '../log/logger.js';

/** header.payload.signature, base64url: anything else is refused before any decoding. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export class Tokens implements TokenVerifier {
  readonly viewerTokens: ViewerTokens;
  readonly identityProvider: IdentityProviderJwt | undefined;

  constructor(viewerTokens: ViewerTokens, identityProvider?: IdentityProviderJwt) {
    this.viewerTokens = viewerTokens;
    this.identityProvider = identityProvider;
  }

  async verify(token: string): Promise<Principal> {
    if (!JWT_SHAPE.test(token)) throw tokenInvalid(NOT_A_JWT);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw tokenInvalid(NOT_A_JWT);
    }
    if (issuer === VIEWER_TOKEN_ISSUER) return this.viewerTokens.verify(token);
    if (this.identityProvider && issuer === this.identityProvider.issuer) return this.identityProvider.verify(token);
    const accepted = [VIEWER_TOKEN_ISSUER, ...(this.identityProvider ? [this.identityProvider.issuer] : [])].map((i) => `'${i}'`).join(' or ');
    throw tokenInvalid(`wrong issuer: this server accepts tokens issued by ${accepted}`);
  }
}

/**
 * The verifier for an `auth` section (loadConfig has read the secrets). Without auth.tokenKeys the
 * server still mints (POST /api/tokens) with a key made now, which dies with the process: said once
 * in the log, the key never.
 */
export function createTokens(auth: AuthConfig | undefined, logger: Logger, options: IdentityProviderOptions = {}): Tokens {
  const keys = (auth?.tokenKeys ?? []).map((k) => {
    if (k.secret === undefined) throw new TypeError(`auth.tokenKeys '${k.id}': the secret was not read (loadConfig reads secretFile and secretEnv)`);
    return { id: k.id, secret: k.secret };
  });
  let viewerTokens: ViewerTokens;
  if (keys.length > 0) {
    viewerTokens = new ViewerTokens(keys, { now: options.now });
  } else {
    viewerTokens = ViewerTokens.withEphemeralKey({ now: options.now });
    logger.info('no auth.tokenKeys configured: viewer tokens minted by POST /api/tokens are signed with a key made at start, and stop working when camrtc restarts');
  }
  return new Tokens(viewerTokens, auth?.jwt ? new IdentityProviderJwt(auth.jwt, options) : undefined);
}
