/**
 * The HTTP side: the pages (camera grid, one camera, how to embed), the bundled browser code, a health
 * check, the camera list and WHEP. Signaling runs on the same server (SignalingServer attaches to its
 * 'upgrade' event).
 */
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log/logger.js';
import type { CameraDirectory } from '../media/Camera.js';
import { publicCameraInfo } from '../signaling/ClientConnection.js';
import { WHEP_PATH, type WhepEndpoint } from '../whep/WhepEndpoint.js';
import { originAllowed } from './origin.js';
import { KnownHosts, unknownHostMessage } from './knownHosts.js';
import type { PageOffer } from '../../../shared/protocol.js';
import type { AccessParts } from '../auth/access.js';
import { createAccess } from '../auth/access.js';
import { watchAction } from '../auth/AccessPolicy.js';
import type { Principal } from '../auth/Principal.js';
import type { ErrorCode } from '../errors.js';
import { requestPrincipal } from './requestCredentials.js';
import type { ServerMetrics } from '../metrics/ServerMetrics.js';
import { refusalPage } from './refusalPage.js';
import { TOKENS_PATH, tokenRoutes } from './tokenRoutes.js';
import type { ViewerTokens } from '../auth/ViewerTokens.js';
import { inlineScriptSources, loadCameraPageAssets, renderCameraPage, type CameraPageAssets } from './cameraPage.js';
import { sessionCookie } from '../auth/Authenticator.js';
import type { LoginSessions } from '../auth/LoginSessions.js';
import { LOGIN_PATH } from './loginPage.js';
import { loginRouter } from './loginRoutes.js';

export interface HttpAppOptions {
  cameras: CameraDirectory;
  /** Folder with the built pages and bundles (dist/public). */
  webRoot: string;
  logger: Logger;
  /** Other origins whose pages may embed the player (CORS on WHEP and the camera list). */
  allowedOrigins?: readonly string[];
  /** WHEP sessions, served at /whep/NAME when given. */
  whep?: WhepEndpoint;
  /**
   * An offer to put in the camera page (OfferBroker.pageOffer), when one can be had, for `who`, who
   * passed the access decision (the offer carries their ICE configuration: a TURN credential).
   */
  pageOffer?: (camera: string, who: Principal) => Promise<PageOffer | undefined>;
  /** The names the server answers to (Host header). Default: the built-in ones only (knownHosts.ts). */
  hosts?: KnownHosts;
  /** Who may do what (App builds it from the config's auth section). Default: open, as without one. */
  access?: AccessParts;
  /** Mints viewer tokens at POST /api/tokens (admins only) when given. */
  tokens?: ViewerTokens;
  /** Served at GET /metrics (Prometheus) to principals with the `metrics` permission, when given. */
  metrics?: ServerMetrics;
  /**
   * Served over TLS: cookies get the Secure attribute. In `app.locals.secure`; per request,
   * `req.secure` says the same (express reads the socket's `encrypted`).
   */
  secure?: boolean;
  /** Browser logins (/login, /logout, /api/session), when given; the cookie is Secure when `secure` is. */
  login?: { sessions: LoginSessions };
  /** The control API (http/cameraApi.ts), mounted at /api after the camera list. */
  api?: Router;
}

/** A refused request: its status, code and the sentence the user reads. */
interface Refusal {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** Where a page sends a visitor who has to log in first. */
export { LOGIN_PATH };

/** Response headers a cross-origin WHEP client must be able to read (RFC 9725 uses all of them). */
const WHEP_EXPOSED_HEADERS = 'Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After, X-Camrtc-Error';

const CAMERA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Pages only load their own scripts and styles and talk to their own server; `scriptSources` adds the
 * hashes of a page's inline scripts (the camera page). `blob:` for media is what a MediaStream in a
 * video element may need in older browsers; inline styles for the player's shadow root and the
 * camera page's inlined stylesheet.
 */
function contentSecurityPolicy(scriptSources: readonly string[] = []): string {
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
const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export function createHttpApp(options: HttpAppOptions): Express {
  const { cameras, webRoot, logger } = options;
  const allowedOrigins = options.allowedOrigins ?? [];
  const hosts = options.hosts ?? new KnownHosts();
  const access = options.access ?? createAccess(undefined);
  const { policy, authenticator } = access;
  const app = express();

  /**
   * The request's principal, or undefined after answering 401 for proof that is not valid (a wrong
   * password, an expired token): that is an error to show, not a reason to fall back to anonymous.
   */
  const principalOf = async (req: Request, res: Response, as: 'json' | 'text' | 'page'): Promise<Principal | undefined> => {
    const { principal, refusal } = await requestPrincipal(authenticator, req, res);
    if (refusal) refuse(res, refusal, as);
    return principal;
  };
  const refuse = (res: Response, decision: Refusal, as: 'json' | 'text' | 'page'): void => {
    res.status(decision.status).setHeader('X-Camrtc-Error', decision.code);
    res.setHeader('Cache-Control', 'no-store');
    if (as === 'json') res.json({ code: decision.code, message: decision.message });
    else if (as === 'text') res.type('text/plain').send(decision.message);
    else {
      res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      res.type('html').send(refusalPage(decision.message, decision.code));
    }
  };
  /** The camera names the principal may watch or play back, for lists (grid, /api/cameras, `list`). */
  const visibleTo = (who: Principal, origin: string | undefined) => policy.visibleCameras(cameras, who, { origin });
  /** A visitor who proved nothing and may see nothing goes to the login page, then back here. */
  const mustLogIn = (who: Principal, req: Request): boolean =>
    policy.enabled && who.kind === 'anonymous' && visibleTo(who, req.get('Origin')).length === 0 && req.method === 'GET';
  const toLogin = (req: Request, res: Response): void => {
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, `${LOGIN_PATH}?next=${encodeURIComponent(req.originalUrl)}`);
  };
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  app.locals.secure = options.secure === true;

  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with a form POST, and
    // the login and logout forms are accepted only with this server's own origin (loginRoutes.ts).
    res.setHeader('Referrer-Policy', 'same-origin');
    // No Cross-Origin-Opener-Policy: a COOP page opened in a new tab makes Chromium swap to a new
    // renderer process after the response arrived, which cost the camera page's first frame ~80 ms
    // (bench, 2 cores). Site Isolation already keeps other sites out of the page's process;
    // frame-ancestors (CSP) stops framing.
    next();
  });

  // Before any route: a request for a name the server is not known by (DNS rebinding) gets nothing, not
  // even a page. 421 Misdirected Request: the request reached a server that does not serve that name.
  app.use((req, res, next) => {
    if (hosts.allows(req.get('Host'))) return next();
    logger.info({ host: req.get('Host')?.slice(0, 100) }, 'refused a request for an unknown host name');
    res.status(421).type('text/plain').setHeader('X-Camrtc-Error', 'ERR_HOST_UNKNOWN');
    res.send(unknownHostMessage(req.get('Host')));
  });

  if (options.login) {
    app.use(loginRouter({ users: access.users, sessions: options.login.sessions, secure: options.secure, authenticator, logger }));
  }

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });

  /**
   * CORS for the routes an embedding page on an allowed origin calls from the browser. A request from
   * any other origin is refused outright, not only hidden from its script: it could start a camera.
   */
  const cors = (methods: string) => (req: Request, res: Response, next: NextFunction): void => {
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

  app.use('/api/cameras', cors('GET, OPTIONS'));
  app.get('/api/cameras', async (req, res) => {
    const who = await principalOf(req, res, 'json');
    if (!who) return;
    res.setHeader('Cache-Control', 'no-store');
    const visible = visibleTo(who, req.get('Origin'));
    // Nothing visible to a client that proved nothing: say a login would help (an app can tell it
    // apart from a server with no cameras).
    if (visible.length === 0 && who.kind === 'anonymous' && policy.enabled) {
      return refuse(res, { status: 401, code: 'ERR_AUTH_REQUIRED', message: 'log in to list the cameras' }, 'json');
    }
    res.json(visible.map(publicCameraInfo));
  });

  if (options.tokens) app.use(TOKENS_PATH, tokenRoutes({ authenticator, tokens: options.tokens, logger }));
  // Prometheus scrapes with Basic or Bearer; without an auth section only loopback clients may
  // (AccessPolicy): the metrics name every camera and tell who watches when.
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (req, res, next) => {
      const who = await principalOf(req, res, 'text');
      if (!who) return;
      const decision = policy.decide(who, 'metrics');
      if (!decision.allowed) {
        if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="camrtc", charset="UTF-8"');
        return refuse(res, decision, 'text');
      }
      try {
        const text = await metrics.scrape();
        res.setHeader('Cache-Control', 'no-store');
        res.type(metrics.contentType).send(text);
      } catch (err) {
        next(err);
      }
    });
  }

  const page = (file: string, status = 200) => (res: Response): void => {
    res.status(status);
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(webRoot, file), (err) => {
      if (err && !res.headersSent) res.status(500).type('text/plain').send('page not available');
    });
  };
  const indexPage = page('index.html');
  // Read on first use, once: the built files do not change while the server runs.
  let cameraAssets: { assets: CameraPageAssets; csp: string } | undefined;
  const cameraPage = async (req: Request, res: Response, camera: string, who: Principal): Promise<void> => {
    try {
      if (!cameraAssets) {
        const assets = loadCameraPageAssets(webRoot);
        cameraAssets = { assets, csp: contentSecurityPolicy(inlineScriptSources(assets)) };
      }
      const { assets, csp } = cameraAssets;
      // Only for a page that is about to be shown: a HEAD request or a speculative prefetch would
      // hold a viewer for nobody.
      const prefetch = /prefetch|prerender/i.test(`${req.get('Sec-Purpose') ?? ''} ${req.get('Purpose') ?? ''}`);
      const offer = req.method === 'GET' && !prefetch ? await options.pageOffer?.(camera, who) : undefined;
      res.setHeader('Content-Security-Policy', csp);
      // A page with an offer is good for one load: never stored, so never shown again from a cache.
      res.setHeader('Cache-Control', offer ? 'no-store' : 'no-cache');
      // A browser login gets its logout button (a Basic or token client has no session to end).
      const user = who.kind === 'user' && sessionCookie(req.headers.cookie) !== undefined ? who.name : undefined;
      res.type('html').send(renderCameraPage(camera, assets, offer, { user }));
    } catch (err) {
      logger.error({ err }, 'camera page not available');
      res.status(500).type('text/plain').send('page not available');
    }
  };
  const embedPage = page('embed.html');
  const notFoundPage = page('404.html', 404);

  app.get('/', async (req, res) => {
    const who = await principalOf(req, res, 'page');
    if (!who) return;
    if (mustLogIn(who, req)) return toLogin(req, res);
    indexPage(res);
  });
  app.get('/embed', (_req, res) => embedPage(res));
  if (options.whep) app.use(WHEP_PATH, cors('POST, PATCH, DELETE, OPTIONS'), options.whep.router());
  app.get('/camera/:name', async (req, res) => {
    const name = req.params.name;
    if (!CAMERA_NAME.test(name)) return notFoundPage(res);
    const who = await principalOf(req, res, 'page');
    if (!who) return;
    const camera = cameras.get(name);
    // Decided before the camera's existence shows: a visitor who may not watch it learns nothing of it.
    const decision = policy.decide(who, camera ? watchAction(camera) : 'view', name, { origin: req.get('Origin') });
    if (!decision.allowed) {
      if (decision.code === 'ERR_AUTH_REQUIRED' && req.method === 'GET') return toLogin(req, res);
      return refuse(res, decision, 'page');
    }
    if (camera === undefined) notFoundPage(res);
    else void cameraPage(req, res, name, who);
  });

  // The player module may be loaded by pages on other origins (<script type="module" src=...>), which
  // needs CORS; it is public code, nothing else is shared.
  app.get('/camrtc-player.js', (_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  app.use(express.static(webRoot, { index: false, dotfiles: 'ignore', fallthrough: true, maxAge: 0 }));

  if (options.api) app.use('/api', options.api);
  app.use('/api', (_req, res) => {
    res.status(404).json({ message: 'no such API route' });
  });
  app.use((_req, res) => notFoundPage(res));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) logger.error({ err }, 'http request failed');
    if (res.headersSent) return;
    res.status(status).type('text/plain').send(status >= 500 ? 'internal error' : 'bad request');
  });

  return app;
}
