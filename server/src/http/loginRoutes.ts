/**
 * Browser logins for the built-in pages: GET /login (the form), POST /login (checks the password,
 * sets the session cookie, goes back to the page the visitor came from), POST /logout (ends the
 * session on the server and in the browser), and GET /api/session (who the page is shown to, so it
 * can offer a logout button).
 *
 * The cookie is HttpOnly (no page script reads it), SameSite=Strict (no other site's page sends it)
 * and Secure when the server runs TLS. SameSite does nothing for a login form posted from another
 * site (login CSRF: the visitor is logged in as the attacker) or for a forced logout, so both POSTs
 * are refused when their Origin is another origin. The pages that carry these forms are served with
 * `Referrer-Policy: same-origin`: under `no-referrer` a browser sends `Origin: null` with a form POST.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log/logger.js';
import type { Authenticator } from '../auth/Authenticator.js';
import { SESSION_COOKIE, sessionCookie } from '../auth/Authenticator.js';
import type { LoginSessions } from '../auth/LoginSessions.js';
import { retryAfterSeconds } from '../auth/LoginThrottle.js';
import type { Principal } from '../auth/Principal.js';
import type { UserDirectory } from '../auth/UserDirectory.js';
import { isCamrtcError, toCamrtcError } from '../errors.js';
import { requestPrincipal } from './requestCredentials.js';
import { LOGIN_FAILED_MESSAGE, LOGIN_PATH, LOGOUT_PATH, renderLoginPage, safeNextPath } from './loginPage.js';

export const SESSION_API_PATH = '/api/session';

export interface LoginRoutesOptions {
  /** The configured users (their passwords are checked, and failures throttled, here). */
  users: UserDirectory;
  sessions: LoginSessions;
  /** Who a request is (GET /api/session). */
  authenticator: Authenticator;
  logger: Logger;
  /** The server runs TLS: the cookie gets `Secure`. */
  secure?: boolean;
}

/** The session answer of GET /api/session. Never a secret: names and permissions only. */
export type SessionInfo =
  | { user: string; permissions: Principal['permissions'] }
  | { anonymous: true; permissions: Principal['permissions']; login: boolean }
  | { token: true; permissions: Principal['permissions'] };

/**
 * The login page has no script and no frames; its form may only post to this server. frame-ancestors
 * 'none': a login form inside another site's frame is the setting of a clickjacking attack.
 */
const LOGIN_PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Form bodies are two short fields and a path: anything much larger is not our form. */
const FORM_LIMIT = '8kb';

export function loginRouter(options: LoginRoutesOptions): Router {
  const { users, sessions, authenticator, logger } = options;
  const secure = options.secure ? '; Secure' : '';
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 10 });

  const sessionCookieHeader = (id: string): string =>
    `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${sessions.cookieMaxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
  const clearedCookieHeader = `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure}`;

  const sendPage = (res: Response, status: number, html: string): void => {
    res.status(status);
    res.setHeader('Content-Security-Policy', LOGIN_PAGE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    // So the form's POST carries this page's origin (see the module comment).
    res.setHeader('Referrer-Policy', 'same-origin');
    res.type('html').send(html);
  };

  /**
   * A POST from another site's page is refused: the Origin header (every browser sends one with a
   * form POST) must be this server's own. A request without Origin is not from a browser's form.
   */
  const sameOrigin = (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.get('Origin');
    if (origin === undefined || isOwnOrigin(origin, req.get('Host'))) return next();
    logger.info({ origin: origin.slice(0, 100), path: req.path }, 'refused a login form posted from another origin');
    res.status(403).setHeader('X-Camrtc-Error', 'ERR_FORBIDDEN');
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/plain').send(`a form from ${origin.slice(0, 100)} may not log in or out of this camrtc server: use its own login page`);
  };

  router.get(LOGIN_PATH, (req, res) => {
    if (users.size === 0) {
      sendPage(res, 404, renderLoginPage({ next: '/', error: 'This server has no user logins configured (auth.users).' }));
      return;
    }
    sendPage(res, 200, renderLoginPage({ next: safeNextPath(req.query.next) }));
  });

  router.post(LOGIN_PATH, sameOrigin, form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNextPath(body.next);
    const name = typeof body.user === 'string' ? body.user : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const address = req.socket.remoteAddress;
    let principal: Principal | undefined;
    try {
      principal = await users.login(name, password, address);
    } catch (err) {
      const error = toCamrtcError(err);
      if (error.code !== 'ERR_AUTH_THROTTLED') {
        logger.error({ err: error }, 'login failed with an error');
        sendPage(res, 500, renderLoginPage({ next, error: 'The login could not be checked (server error). Try again.' }));
        return;
      }
      res.setHeader('Retry-After', String(retryAfterSeconds(error) ?? 60));
      res.setHeader('X-Camrtc-Error', error.code);
      sendPage(res, 429, renderLoginPage({ next, error: sentence(error.message) }));
      return;
    }
    if (!principal?.name) {
      // The name typed is not logged: people type their password into the wrong field.
      logger.info({ address }, 'failed login');
      res.setHeader('X-Camrtc-Error', 'ERR_AUTH_INVALID');
      sendPage(res, 401, renderLoginPage({ next, error: LOGIN_FAILED_MESSAGE }));
      return;
    }
    // A new id at each login: a session id known before the login (set by someone else) is worth nothing.
    const previous = sessionCookie(req.headers.cookie);
    if (previous) sessions.logout(previous);
    res.setHeader('Set-Cookie', sessionCookieHeader(sessions.create(principal.name)));
    res.setHeader('Cache-Control', 'no-store');
    logger.info({ user: principal.name, address }, 'user logged in');
    res.redirect(303, next);
  });

  router.post(LOGOUT_PATH, sameOrigin, (req, res) => {
    const id = sessionCookie(req.headers.cookie);
    if (id && sessions.logout(id)) logger.info({ address: req.socket.remoteAddress }, 'user logged out');
    res.setHeader('Set-Cookie', clearedCookieHeader);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, LOGIN_PATH);
  });

  router.get(SESSION_API_PATH, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const { principal, refusal } = await requestPrincipal(authenticator, req, res);
    if (refusal) {
      res.status(refusal.status).setHeader('X-Camrtc-Error', refusal.code);
      res.json({ code: refusal.code, message: refusal.message });
      return;
    }
    res.json(sessionInfo(principal, users.size > 0));
  });

  // A body that is not our form (too large, undecodable): the form again, not a stack trace.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (req.path !== LOGIN_PATH || isCamrtcError(err)) return next(err);
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) return next(err);
    sendPage(res, status, renderLoginPage({ next: '/', error: 'The login form could not be read. Try again.' }));
  });

  return router;
}

export function sessionInfo(principal: Principal, loginAvailable: boolean): SessionInfo {
  if (principal.kind === 'user' && principal.name) return { user: principal.name, permissions: principal.permissions };
  if (principal.kind === 'token') return { token: true, permissions: principal.permissions };
  return { anonymous: true, permissions: principal.permissions, login: loginAvailable };
}

/** Whether a browser's Origin header is this server's own (same host and port as the request's Host). */
export function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}

function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return text.endsWith('.') ? text : `${text}.`;
}
