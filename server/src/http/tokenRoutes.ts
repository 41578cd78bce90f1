/**
 * POST /api/tokens: mints a scoped viewer token (ViewerTokens.ts) for a web app's backend, which
 * hands it to its visitors' `<camrtc-player token=...>`.
 *
 *   POST /api/tokens   Content-Type: application/json   Authorization: Basic ... (an admin)
 *   { "cameras": ["front"], "ttl": "1h", "origin": "https://shop.example", "action": "view", "subject": "visitor-42" }
 *   -> 200 { "token": "eyJ...", "expiresAt": "2026-12-06T01:00:00.000Z" }
 *
 * Only for a principal allowed `admin`, and only for cameras it may administer: a token never grants
 * more than its minter may (admin on `*` is needed for a `*` or other glob that is not its own).
 * Without an auth section, admin is open to loopback clients only (AccessPolicy). Requests from a
 * page of another origin are refused (no CORS here), and only JSON bodies are read, so a hostile page
 * cannot make a visitor's browser mint tokens. The token is in the answer only, never in a log.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Authenticator } from '../auth/Authenticator.js';
import { globMatches, type Action } from '../auth/permissions.js';
import { principalLabel, type Principal } from '../auth/Principal.js';
import { TokenRequestSchema, type ViewerTokens } from '../auth/ViewerTokens.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { originAllowed } from './origin.js';
import { requestPrincipal } from './requestCredentials.js';

export const TOKENS_PATH = '/api/tokens';
/** A token request is a few hundred bytes; 100 camera globs of 64 characters fit in this. */
const MAX_BODY_BYTES = 16 * 1024;

export interface TokenRoutesOptions {
  authenticator: Authenticator;
  tokens: ViewerTokens;
  logger: Logger;
}

/** Whether a glob the minter administers covers `glob` (conservatively: a wildcard needs `*` or itself). */
export function globCovers(outer: string, glob: string): boolean {
  if (outer === '*' || outer === glob) return true;
  if (/[*?]/.test(glob)) return false;
  return globMatches(outer, glob);
}

/** The first requested camera glob the minter may not administer, if any. */
export function beyondMinter(minter: Principal, cameras: readonly string[]): string | undefined {
  const own = minter.permissions.admin ?? [];
  return cameras.find((glob) => !own.some((outer) => globCovers(outer, glob)));
}

export function tokenRoutes(options: TokenRoutesOptions): Router {
  const { authenticator, tokens, logger } = options;
  const policy = authenticator.policy;
  const router = express.Router();

  const refuse = (res: Response, status: number, code: ErrorCode, message: string): void => {
    res.status(status).setHeader('X-Camrtc-Error', code);
    res.setHeader('Cache-Control', 'no-store');
    if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="camrtc", charset="UTF-8"');
    res.json({ code, message });
  };

  // Proof and permission first: a client that may not mint learns nothing from how its body is read.
  router.post('/', async (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('Origin');
    if (origin !== undefined && !originAllowed(origin, req.get('Host'))) {
      return refuse(res, 403, 'ERR_FORBIDDEN', `pages of ${origin.slice(0, 100)} may not mint tokens: ask your own backend to`);
    }
    const { principal, refusal } = await requestPrincipal(authenticator, req, res);
    if (refusal) return refuse(res, refusal.status, refusal.code, refusal.message);
    const decision = policy.decide(principal, 'admin', undefined, { origin });
    if (!decision.allowed) return refuse(res, decision.status, decision.code, decision.message);
    if (!req.is('application/json')) return refuse(res, 415, 'ERR_REQUEST_INVALID', 'POST a JSON body with Content-Type: application/json');
    res.locals.minter = principal;
    next();
  });
  router.post('/', express.json({ limit: MAX_BODY_BYTES, strict: true }), async (req: Request, res: Response) => {
    const minter = res.locals.minter as Principal;
    const parsed = TokenRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? issue.path.join('.') : 'body';
      return refuse(res, 400, 'ERR_REQUEST_INVALID', `${field}: ${issue?.message ?? 'invalid'}`);
    }
    const request = parsed.data;
    const beyond = beyondMinter(minter, request.cameras);
    if (beyond !== undefined) {
      return refuse(res, 403, 'ERR_FORBIDDEN', `not allowed to mint a token for '${beyond}': a token cannot grant more than its minter may administer`);
    }
    const minted = await tokens.mint(request);
    logger.info(
      {
        by: principalLabel(minter),
        cameras: request.cameras,
        action: request.action satisfies Action,
        ttlSeconds: request.ttl,
        origin: request.origin,
        subject: request.subject,
        key: tokens.signingKeyId,
      },
      'minted a viewer token',
    );
    res.setHeader('Cache-Control', 'no-store');
    res.json({ token: minted.token, expiresAt: new Date(minted.expiresAt).toISOString() });
  });
  // The body parser's refusals (not JSON, too large) in the same shape as the others.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: unknown })?.type;
    if (type === 'entity.parse.failed') return refuse(res, 400, 'ERR_REQUEST_INVALID', 'body: not valid JSON');
    if (type === 'entity.too.large') return refuse(res, 413, 'ERR_LIMIT', `body: larger than ${MAX_BODY_BYTES} bytes`);
    if (typeof (err as { status?: unknown })?.status === 'number' && (err as { status: number }).status < 500) {
      return refuse(res, 400, 'ERR_REQUEST_INVALID', 'body: cannot be read');
    }
    next(err);
  });
  return router;
}
