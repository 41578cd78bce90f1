/**
 * The `auth` section of the configuration. Without it camrtc is open as the demo is (anyone who
 * reaches it watches; the API and metrics only from loopback). With it, nothing is open unless
 * `anonymous` says so.
 *
 *   auth:
 *     users:
 *       - name: alice
 *         passwordHash: $argon2id$v=19$m=19456,t=2,p=1$...   # camrtc hash-password
 *         permissions: { view: ["*"], playback: ["front"], admin: true }
 *     anonymous: { view: ["lobby"] }
 *     tokenKeys:                     # sign camrtc's viewer tokens; the first signs, all verify
 *       - { id: "2026-12", secretFile: /run/secrets/camrtc-token-key }
 *     jwt:                           # tokens from an identity provider
 *       jwksUrl: https://idp.example/.well-known/jwks.json
 *       issuer: https://idp.example/
 *       audience: camrtc
 */
import { z } from 'zod';
import { CamrtcError } from '../errors.js';
import { PermissionsSchema } from './permissions.js';
import { passwordHashProblem } from './passwordHash.js';
import { processSecretSources, resolveHeldSecret, type SecretSources } from '../config/secrets.js';

const userName = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'user names use letters, digits, _ . @ - (at most 64)');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _');

export const UserSchema = z.strictObject({
  name: userName,
  /** argon2id or scrypt in PHC format, as `camrtc hash-password` prints it. Never a password. */
  passwordHash: z.string().superRefine((hash, ctx) => {
    const problem = passwordHashProblem(hash);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a password hash: ${problem}` });
  }),
  permissions: PermissionsSchema.default({}),
});
export type UserConfig = z.infer<typeof UserSchema>;

/** The `iss` of camrtc's own viewer tokens (ViewerTokens.ts): an identity provider cannot use it. */
export const VIEWER_TOKEN_ISSUER = 'camrtc';
/** Shortest HMAC secret accepted: 256 bits of base64 text (RFC 7518 3.2 wants a key as long as the hash). */
export const MIN_SECRET_CHARS = 32;

/** A secret from the file, from an environment variable, or (least safe) written here. */
const secretSource = {
  secret: z.string().min(MIN_SECRET_CHARS, `at least ${MIN_SECRET_CHARS} characters (e.g. openssl rand -base64 32)`).optional(),
  secretFile: z.string().min(1).optional(),
  secretEnv: envName.optional(),
};

export const TokenKeySchema = z.strictObject({
  /** Names the key in each token (`kid`), so a rotated-out key's tokens are refused by name. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a key id uses letters, digits, _ . -'),
  ...secretSource,
});
export type TokenKeyConfig = z.infer<typeof TokenKeySchema>;

export const JwtSchema = z.strictObject({
  /** The identity provider's key set, fetched and refreshed (jose's remote JWKS). */
  jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Or a shared HMAC secret (HS256). */
  ...secretSource,
  issuer: z.string().min(1),
  audience: z.string().min(1),
  /** The claim holding the permissions map ({ view: [...], playback: [...] }). */
  claim: z.string().min(1).default('camrtc'),
});
export type JwtConfig = z.infer<typeof JwtSchema>;

export const AuthSchema = z.strictObject({
  users: z.array(UserSchema).max(10_000).default([]),
  /** What needs no login. Default: nothing. */
  anonymous: PermissionsSchema.default({}),
  tokenKeys: z.array(TokenKeySchema).max(16).default([]),
  jwt: JwtSchema.optional(),
  /** How long a browser login lasts without use, in seconds. Default 12 hours. */
  sessionIdleSeconds: z.number().int().min(60).max(30 * 86_400).default(12 * 3600),
});
export type AuthConfig = z.infer<typeof AuthSchema>;

/** Cross-field checks zod's shapes cannot say; messages name the field, never a value. */
export function authConfigProblems(auth: AuthConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const u of auth.users) {
    if (names.has(u.name)) problems.push(`auth.users: user '${u.name}' is configured twice`);
    names.add(u.name);
  }
  const ids = new Set<string>();
  auth.tokenKeys.forEach((k, i) => {
    if (ids.has(k.id)) problems.push(`auth.tokenKeys.${i}: key id '${k.id}' is used twice`);
    ids.add(k.id);
    const given = [k.secret, k.secretFile, k.secretEnv].filter((v) => v !== undefined).length;
    if (given !== 1) problems.push(`auth.tokenKeys.${i}: give exactly one of secret, secretFile and secretEnv`);
  });
  if (auth.jwt) {
    if (auth.jwt.issuer === VIEWER_TOKEN_ISSUER) {
      problems.push(`auth.jwt.issuer: '${VIEWER_TOKEN_ISSUER}' is the issuer of camrtc's own viewer tokens; use the identity provider's issuer`);
    }
    const given = [auth.jwt.jwksUrl, auth.jwt.secret, auth.jwt.secretFile, auth.jwt.secretEnv].filter((v) => v !== undefined).length;
    if (given !== 1) problems.push('auth.jwt: give exactly one of jwksUrl, secret, secretFile and secretEnv');
  }
  return problems;
}

/**
 * Reads each token key's and the JWT issuer's secretFile or secretEnv into its `secret` (loadConfig,
 * before the configuration is frozen), so the rest of the server only sees `secret`. Throws
 * ERR_CONFIG_INVALID naming the field, never the secret.
 */
export function resolveAuthSecrets(auth: AuthConfig, sources: SecretSources = processSecretSources): void {
  const holders: Array<{ owner: string; holder: { secret?: string; secretFile?: string; secretEnv?: string } }> = [
    ...auth.tokenKeys.map((key, i) => ({ owner: `auth.tokenKeys.${i} (id '${key.id}')`, holder: key })),
    ...(auth.jwt ? [{ owner: 'auth.jwt', holder: auth.jwt }] : []),
  ];
  for (const { owner, holder } of holders) {
    const secret = resolveHeldSecret(owner, 'key', holder, sources);
    if (secret === undefined) continue;
    if (secret.length < MIN_SECRET_CHARS) {
      throw new CamrtcError('ERR_CONFIG_INVALID', `${owner}: the secret is shorter than ${MIN_SECRET_CHARS} characters (make one with: openssl rand -base64 32)`);
    }
    holder.secret = secret;
  }
}
