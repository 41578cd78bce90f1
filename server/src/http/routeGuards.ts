/**
 * What every camrtc route shares, whether the routes run in camrtc's own server (HttpServer.ts) or
 * inside another app's (the library, camrtcRoutes.ts): the host check against DNS rebinding, the
 * security headers, CORS for allowed origins, the request's principal and the shape of a refusal.
 * camrtc's own server applies the host check and the headers to every request; inside another app
 * they apply to camrtc's routes only, so the host app's other routes, 404s and headers stay its own.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Authenticator } from '../auth/Authenticator.js';
import type { Principal } from '../auth/Principal.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { type KnownHosts, unknownHostMessage } from './knownHosts.js';
import { originAllowed } from './origin.js';
import { refusalPage } from './refusalPage.js';
import { requestPrincipal } from './requestCredentials.js';

/** A refused request: its status, code and the sentence the user reads. */
export interface Refusal {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** Response headers a cross-origin WHEP client must be able to read (RFC 9725 uses all of them). */
const WHEP_EXPOSED_HEADERS = 'Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After, X-Camrtc-Error';

/**
 * Pages only load their own scripts and styles and talk to their own server; `scriptSources` adds the
 * hashes of a page's inline scripts (the camera page). `blob:` for media is what a MediaStream in a
 * video element may need in older browsers; inline styles for the player's shadow root and the
 * camera page's inlined stylesheet.
 */
export function contentSecurityPolicy(scriptSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    ["script-src 'self'", ...scriptSources].join(' '),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export type RefusalFormat = 'json' | 'text' | 'page';

export function refuse(res: Response, decision: Refusal, as: RefusalFormat): void {
  res.status(decision.status).setHeader('X-Camrtc-Error', decision.code);
  res.setHeader('Cache-Control', 'no-store');
  if (as === 'json') res.json({ code: decision.code, message: decision.message });
  else if (as === 'text') res.type('text/plain').send(decision.message);
  else {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.type('html').send(refusalPage(decision.message, decision.code));
  }
}

/**
 * The request's principal, or undefined after answering 401 for proof that is not valid (a wrong
 * password, an expired token): that is an error to show, not a reason to fall back to anonymous.
 */
export function principalOf(authenticator: Authenticator) {
  return async (req: Request, res: Response, as: RefusalFormat): Promise<Principal | undefined> => {
    const { principal, refusal } = await requestPrincipal(authenticator, req, res);
    if (refusal) refuse(res, refusal, as);
    return principal;
  };
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with a form POST, and
  // the login and logout forms are accepted only with this server's own origin (loginRoutes.ts).
  res.setHeader('Referrer-Policy', 'same-origin');
  // No Cross-Origin-Opener-Policy: a COOP page opened in a new tab makes Chromium swap to a new
  // renderer process after the response arrived, which cost the camera page's first frame ~80 ms
  // (bench, 2 cores). Site Isolation already keeps other sites out of the page's process;
  // frame-ancestors (CSP) stops framing.
  next();
};

/**
 * A request for a name the server is not known by (DNS rebinding) gets nothing, not even a page.
 * 421 Misdirected Request: the request reached a server that does not serve that name.
 */
export function hostCheck(hosts: KnownHosts, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (hosts.allows(req.get('Host'))) return next();
    logger.info({ host: req.get('Host')?.slice(0, 100) }, 'refused a request for an unknown host name');
    res.status(421).type('text/plain').setHeader('X-Camrtc-Error', 'ERR_HOST_UNKNOWN');
    res.send(unknownHostMessage(req.get('Host')));
  };
}

/**
 * CORS for the routes an embedding page on an allowed origin calls from the browser. A request from
 * any other origin is refused outright, not only hidden from its script: it could start a camera.
 */
export function cors(methods: string, allowedOrigins: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.get('Origin');
    res.vary('Origin');
    if (origin === undefined) return next();
    if (!originAllowed(origin, req.get('Host'), allowedOrigins)) {
      res.status(403).type('text/plain').send(`origin ${origin} may not use this camrtc server (see --allow-origin)`);
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', WHEP_EXPOSED_HEADERS);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', methods);
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, If-Match, Authorization');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    next();
  };
}

/** The last handler of camrtc's routes: a failure is logged and answered without its details. */
export function errorAnswer(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) logger.error({ err }, 'http request failed');
    if (res.headersSent) return;
    res.status(status).type('text/plain').send(status >= 500 ? 'internal error' : 'bad request');
  };
}
