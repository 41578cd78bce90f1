/**
 * camrtc's own HTTP server: the pages (camera grid, one camera, how to embed, login), the bundled
 * browser code, a health check, the 404 page, and the routes it shares with the library
 * (camrtcRoutes.ts: the player script, the camera list, WHEP, tokens, metrics, the control API).
 * Signaling runs on the same server (SignalingServer attaches to its 'upgrade' event).
 */
import { join } from 'node:path';
import express, { type Express, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log/logger.js';
import type { CameraDirectory } from '../media/Camera.js';
import type { WhepEndpoint } from '../whep/WhepEndpoint.js';
import { KnownHosts } from './knownHosts.js';
import type { PageOffer } from '../../../shared/protocol.js';
import type { AccessParts } from '../auth/access.js';
import { createAccess } from '../auth/access.js';
import { watchAction } from '../auth/AccessPolicy.js';
import type { Principal } from '../auth/Principal.js';
import type { ServerMetrics } from '../metrics/ServerMetrics.js';
import type { ViewerTokens } from '../auth/ViewerTokens.js';
import { inlineScriptSources, loadCameraPageAssets, renderCameraPage, type CameraPageAssets } from './cameraPage.js';
import { sessionCookie } from '../auth/Authenticator.js';
import type { LoginSessions } from '../auth/LoginSessions.js';
import { LOGIN_PATH } from './loginPage.js';
import { loginRouter } from './loginRoutes.js';
import { camrtcRoutes } from './camrtcRoutes.js';
import type { Snapshots } from '../snapshot/Snapshots.js';
import {
  CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  errorAnswer,
  hostCheck,
  principalOf as principalOfRequest,
  refuse,
  securityHeaders,
} from './routeGuards.js';

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
  /** Camera snapshots (GET /api/cameras/NAME/snapshot.jpg), when given. */
  snapshots?: Snapshots;
}

/** Where a page sends a visitor who has to log in first. */
export { LOGIN_PATH };

const CAMERA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function createHttpApp(options: HttpAppOptions): Express {
  const { cameras, webRoot, logger } = options;
  const allowedOrigins = options.allowedOrigins ?? [];
  const hosts = options.hosts ?? new KnownHosts();
  const access = options.access ?? createAccess(undefined);
  const { policy, authenticator } = access;
  const app = express();

  const principalOf = principalOfRequest(authenticator);
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

  // Every request, whatever its path: this server is camrtc's alone (inside another app, camrtcRoutes.ts
  // guards its own routes only).
  app.use(securityHeaders);
  app.use(hostCheck(hosts, logger));

  if (options.login) {
    app.use(loginRouter({ users: access.users, sessions: options.login.sessions, secure: options.secure, authenticator, logger }));
  }

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });

  // The routes the library shares (player script, camera list, WHEP, tokens, metrics, control API).
  app.use(
    camrtcRoutes({
      cameras,
      webRoot,
      logger,
      allowedOrigins,
      hosts,
      access,
      ...(options.whep ? { whep: options.whep } : {}),
      ...(options.tokens ? { tokens: options.tokens } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.api ? { api: options.api } : {}),
      ...(options.snapshots ? { snapshots: options.snapshots } : {}),
    }),
  );

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

  app.use(express.static(webRoot, { index: false, dotfiles: 'ignore', fallthrough: true, maxAge: 0 }));

  app.use('/api', (_req, res) => {
    res.status(404).json({ message: 'no such API route' });
  });
  app.use((_req, res) => notFoundPage(res));

  app.use(errorAnswer(logger));

  return app;
}
