/**
 * camrtc's own scoped viewer tokens: a short-lived JWT (HS256) that lets its bearer do ONE action
 * (default view) on some cameras, optionally only from pages of one origin. A web app's backend mints
 * one per visitor (`camrtc token`, POST /api/tokens) and hands it to `<camrtc-player token=...>`: no
 * identity provider needed.
 *
 *   header  { alg: "HS256", typ: "JWT", kid: "2026-12" }      kid: the auth.tokenKeys id that signed
 *   payload { iss: "camrtc", iat, exp, sub?: "shop-42",
 *             camrtc: { view: ["front", "yard-*"] },         the permissions map, one action
 *             origin?: "https://shop.example" }              the embedding page's origin
 *
 * The first configured key signs, every configured key verifies. Rotation: add a new key first (it
 * signs from the next start on, older tokens still verify), later remove the old one: its tokens are
 * refused from then on. That is the revocation.
 */
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ACTIONS, cameraGlob, PermissionsSchema, type Action, type Permissions } from './permissions.js';
import type { Principal } from './Principal.js';
import { VIEWER_TOKEN_ISSUER } from './authConfig.js';
import type { TokenVerifier } from './Authenticator.js';
import { parseTtl } from './ttl.js';
import { NOT_A_JWT, tokenInvalid, tokenRefusal, UNKNOWN_KEY, type TokenExpectations } from './tokenErrors.js';

export { VIEWER_TOKEN_ISSUER };

/** The claim holding the permissions map (the same name an identity provider's JWT uses by default). */
export const PERMISSIONS_CLAIM = 'camrtc';
/** The claim binding the token to an embedding page's origin. */
export const ORIGIN_CLAIM = 'origin';
const ALGORITHM = 'HS256';

/** A web origin as browsers send it: scheme://host[:port], no path. */
const ORIGIN = /^https?:\/\/[^/\s?#]+$/i;
/** A label for logs ("shop-visitor-42"): never a secret, so a small alphabet. */
const SUBJECT = /^[A-Za-z0-9_.@:+-]{1,128}$/;

/** The origin as a browser's Origin header spells it (lower-case host, no default port). */
export function normalizeOrigin(origin: string): string {
  const url = new URL(origin);
  return url.origin;
}

export const originSchema = z
  .string()
  .max(300)
  .regex(ORIGIN, 'an origin is scheme://host[:port], without a path, e.g. https://shop.example')
  .refine((o) => {
    try {
      return normalizeOrigin(o) !== 'null';
    } catch {
      return false;
    }
  }, 'not a valid origin (scheme://host[:port])')
  .transform(normalizeOrigin);

/** What a token is minted for: the CLI's flags and POST /api/tokens' body say the same thing. */
export const TokenRequestSchema = z.strictObject({
  /** Camera names or globs (`yard-*`, `*`). */
  cameras: z.array(cameraGlob).min(1, 'name at least one camera').max(100),
  /** `30s`, `15m`, `1h`, `7d`, or seconds. */
  ttl: z.union([z.string().max(20), z.number()]).transform((ttl, ctx) => {
    try {
      return parseTtl(ttl);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  action: z.enum(ACTIONS).default('view'),
  origin: originSchema.optional(),
  subject: z.string().regex(SUBJECT, 'a subject is a label of letters, digits and _ . @ : + - (at most 128)').optional(),
});
export type TokenRequest = z.output<typeof TokenRequestSchema>;
export type TokenRequestInput = z.input<typeof TokenRequestSchema>;

export interface TokenKey {
  readonly id: string;
  readonly secret: string;
}

export interface MintedToken {
  readonly token: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

export interface ViewerTokensOptions {
  /** For tests: the clock, ms since the epoch. */
  now?: () => number;
  /** The keys were made at start (no auth.tokenKeys): tokens die with the process. */
  ephemeral?: boolean;
}

/** The claims of camrtc's own tokens, checked after the signature. */
const ClaimsSchema = z.object({
  [PERMISSIONS_CLAIM]: PermissionsSchema,
  [ORIGIN_CLAIM]: z.string().regex(ORIGIN).optional(),
  sub: z.string().regex(SUBJECT).optional(),
});

export class ViewerTokens implements TokenVerifier {
  readonly #keys: ReadonlyArray<{ id: string; key: Uint8Array }>;
  readonly #now: () => number;
  readonly ephemeral: boolean;

  /** `keys[0]` signs; all of them verify. */
  constructor(keys: readonly TokenKey[], options: ViewerTokensOptions = {}) {
    if (keys.length === 0) throw new TypeError('ViewerTokens needs at least one key');
    this.#keys = keys.map((k) => ({ id: k.id, key: new TextEncoder().encode(k.secret) }));
    this.#now = options.now ?? Date.now;
    this.ephemeral = options.ephemeral ?? false;
  }

  /** A key made now, for a server with no auth.tokenKeys: its tokens stop working when it restarts. */
  static withEphemeralKey(options: Omit<ViewerTokensOptions, 'ephemeral'> = {}): ViewerTokens {
    const secret = randomBytes(32).toString('base64url');
    return new ViewerTokens([{ id: `ephemeral-${randomBytes(4).toString('hex')}`, secret }], { ...options, ephemeral: true });
  }

  /** The id of the key that signs (`kid`). */
  get signingKeyId(): string {
    return this.#keys[0].id;
  }

  /** A token for `request` (already validated by TokenRequestSchema), signed with the first key. */
  async mint(request: TokenRequest): Promise<MintedToken> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const exp = nowSeconds + request.ttl;
    const claims: JWTPayload = { [PERMISSIONS_CLAIM]: { [request.action]: [...request.cameras] } satisfies Permissions };
    if (request.origin !== undefined) claims[ORIGIN_CLAIM] = request.origin;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: this.#keys[0].id })
      .setIssuer(VIEWER_TOKEN_ISSUER)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(exp);
    if (request.subject !== undefined) jwt.setSubject(request.subject);
    return { token: await jwt.sign(this.#keys[0].key), expiresAt: exp * 1000 };
  }

  /** The principal of one of camrtc's own tokens; throws ERR_AUTH_INVALID saying why not. */
  async verify(token: string): Promise<Principal> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw tokenInvalid(NOT_A_JWT);
    }
    if (typeof kid !== 'string') throw tokenInvalid("the token names no key (kid): camrtc's tokens always do");
    const key = this.#keys.find((k) => k.id === kid);
    if (!key) throw tokenInvalid(UNKNOWN_KEY);
    const expected: TokenExpectations = { issuer: VIEWER_TOKEN_ISSUER, algorithms: [ALGORITHM] };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        issuer: VIEWER_TOKEN_ISSUER,
        algorithms: [ALGORITHM],
        requiredClaims: ['exp', 'iat'],
        // Minted and checked by the same clock (or the CLI's on the same host): no tolerance.
        clockTolerance: 0,
        currentDate: new Date(this.#now()),
      }));
    } catch (err) {
      throw tokenRefusal(err, expected);
    }
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0];
      throw tokenInvalid(`the token's ${String(issue?.path[0] ?? 'claims')} claim is not what camrtc mints: ${issue?.message ?? 'malformed'}`);
    }
    const permissions = claims.data[PERMISSIONS_CLAIM] as Permissions;
    const actions = (Object.keys(permissions) as Action[]).filter((a) => (permissions[a]?.length ?? 0) > 0);
    if (actions.length !== 1) throw tokenInvalid(`the token's ${PERMISSIONS_CLAIM} claim must allow exactly one action`);
    const principal: Principal = {
      kind: 'token',
      ...(claims.data.sub !== undefined ? { name: claims.data.sub } : {}),
      permissions,
      ...(claims.data[ORIGIN_CLAIM] !== undefined ? { origin: claims.data[ORIGIN_CLAIM] } : {}),
      expiresAt: (payload.exp as number) * 1000,
    };
    return principal;
  }
}
