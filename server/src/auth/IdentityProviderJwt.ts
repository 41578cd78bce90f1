/**
 * JWTs from an identity provider (Keycloak, Auth0, Authentik, a company's own): verified against
 * the provider's key set (`auth.jwt.jwksUrl`, fetched and refreshed by jose) or a shared HMAC secret,
 * with the issuer and audience checked and the algorithms restricted, so a token for another
 * service or an `alg` swap is refused. What the bearer may do is the permissions map in one claim
 * (`auth.jwt.claim`, default `camrtc`), the same shape as a user's permissions:
 *
 *   { "iss": "https://idp.example/", "aud": "camrtc", "sub": "alice", "exp": ...,
 *     "camrtc": { "view": ["front", "yard-*"], "playback": ["front"] } }
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from './authConfig.js';
import type { TokenVerifier } from './Authenticator.js';
import { PermissionsSchema, type Permissions } from './permissions.js';
import type { Principal } from './Principal.js';
import { tokenInvalid, tokenRefusal, type TokenExpectations } from './tokenErrors.js';

/** A provider's key set signs with public-key algorithms only: an HMAC `alg` there is a key-confusion attack. */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
/** Clock skew between the provider and this server that nbf and iat tolerate. exp is strict (AccessPolicy). */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Default time after a key-set fetch before an unknown `kid` may fetch it again (jose's cooldown). */
export const JWKS_COOLDOWN_MS = 30_000;
/** Default wait for the key set before a token is refused as "cannot be checked now". */
export const JWKS_TIMEOUT_MS = 5_000;
/** The key set is fetched again at least this often, so a removed key stops verifying. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** Longest `sub` kept as the principal's name (it is logged). */
const MAX_NAME_CHARS = 128;

export interface IdentityProviderOptions {
  /** Default JWKS_COOLDOWN_MS (tests make it short to see a new key at once). */
  cooldownMs?: number;
  /** Default JWKS_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Default JWKS_MAX_AGE_MS. */
  maxAgeMs?: number;
  /** For tests: the clock, ms since the epoch. */
  now?: () => number;
}

export class IdentityProviderJwt implements TokenVerifier {
  readonly issuer: string;
  readonly #audience: string;
  readonly #claim: string;
  readonly #key: JWTVerifyGetKey | Uint8Array;
  readonly #algorithms: readonly string[];
  readonly #now: () => number;

  /** `config` as loadConfig leaves it: a secretFile or secretEnv is already read into `secret`. */
  constructor(config: JwtConfig, options: IdentityProviderOptions = {}) {
    this.issuer = config.issuer;
    this.#audience = config.audience;
    this.#claim = config.claim;
    this.#now = options.now ?? Date.now;
    if (config.jwksUrl !== undefined) {
      this.#key = createRemoteJWKSet(new URL(config.jwksUrl), {
        cooldownDuration: options.cooldownMs ?? JWKS_COOLDOWN_MS,
        timeoutDuration: options.timeoutMs ?? JWKS_TIMEOUT_MS,
        cacheMaxAge: options.maxAgeMs ?? JWKS_MAX_AGE_MS,
      });
      this.#algorithms = JWKS_ALGORITHMS;
    } else if (config.secret !== undefined) {
      this.#key = new TextEncoder().encode(config.secret);
      this.#algorithms = SECRET_ALGORITHMS;
    } else {
      throw new TypeError('auth.jwt needs a jwksUrl or a secret (loadConfig reads secretFile and secretEnv into secret)');
    }
  }

  /** The principal of a JWT of this provider; throws ERR_AUTH_INVALID saying why not. */
  async verify(token: string): Promise<Principal> {
    const expected: TokenExpectations = { issuer: this.issuer, audience: this.#audience, algorithms: this.#algorithms };
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.issuer,
        audience: this.#audience,
        algorithms: [...this.#algorithms],
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.#now()),
      };
      // Two calls for the two key kinds: jose's overloads do not take the union.
      ({ payload } = this.#key instanceof Uint8Array ? await jwtVerify(token, this.#key, options) : await jwtVerify(token, this.#key, options));
    } catch (err) {
      throw tokenRefusal(err, expected);
    }
    const claim = payload[this.#claim];
    if (claim === undefined) {
      throw tokenInvalid(`the token has no '${this.#claim}' claim listing the cameras and actions it allows (auth.jwt.claim)`);
    }
    const parsed = PermissionsSchema.safeParse(claim);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      throw tokenInvalid(`the token's '${this.#claim}' claim is not a permissions map${where}: ${(issue?.message ?? 'malformed').slice(0, 160)} (see docs/security.md)`);
    }
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub.slice(0, MAX_NAME_CHARS) : undefined;
    return {
      kind: 'token',
      ...(sub !== undefined ? { name: sub } : {}),
      permissions: parsed.data as Permissions,
      expiresAt: (payload.exp as number) * 1000,
    };
  }
}
