/**
 * The routes a page embedding the player, or an app, uses: the player script, the camera list, WHEP,
 * and when given the control API, viewer tokens and /metrics. camrtc's own server (HttpServer.ts)
 * serves them beside its pages; the library (server/src/lib/) mounts them in another app, under a
 * path prefix when asked. Paths here are relative to where the router is mounted.
 *
 * `guarded`: inside another app, each of these routes checks the Host header and sets camrtc's
 * security headers itself (routeGuards.ts); a request for any other path passes to the host app
 * untouched. camrtc's own server guards every request before any route, so it leaves this off.
 */
import { join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { AccessParts } from '../auth/access.js';
import { createAccess } from '../auth/access.js';
import type { ViewerTokens } from '../auth/ViewerTokens.js';
import type { Logger } from '../log/logger.js';
import type { CameraDirectory } from '../media/Camera.js';
import type { ServerMetrics } from '../metrics/ServerMetrics.js';
import { publicCameraInfo } from '../signaling/ClientConnection.js';
import { WHEP_PATH, type WhepEndpoint } from '../whep/WhepEndpoint.js';
import { KnownHosts } from './knownHosts.js';
import { cors, errorAnswer, hostCheck, principalOf, refuse, securityHeaders } from './routeGuards.js';
import { TOKENS_PATH, tokenRoutes } from './tokenRoutes.js';
import type { Snapshots } from '../snapshot/Snapshots.js';
import { SNAPSHOT_PATH, snapshotRoute } from './snapshotRoute.js';

/** The player module and its source map: everything a page needs besides the signaling socket. */
export const PLAYER_FILES = ['/camrtc-player.js', '/camrtc-player.js.map'] as const;
export const CAMERA_LIST_PATH = '/api/cameras';
export const METRICS_PATH = '/metrics';
/** The control API's own paths under /api (GET /api/cameras is the camera list, above). */
const CONTROL_API_PATHS = ['/api/openapi.json'];

export interface CamrtcRoutesOptions {
  cameras: CameraDirectory;
  /** Folder with the built bundles (dist/public). */
  webRoot: string;
  logger: Logger;
  /** Other origins whose pages may embed the player (CORS on WHEP and the camera list). */
  allowedOrigins?: readonly string[];
  /** The names the server answers to (Host header). Default: the built-in ones only (knownHosts.ts). */
  hosts?: KnownHosts;
  /** Who may do what. Default: open, as without an auth section. */
  access?: AccessParts;
  /** WHEP sessions, served at /whep/NAME when given. */
  whep?: WhepEndpoint;
  /** Mints viewer tokens at POST /api/tokens (admins only) when given. */
  tokens?: ViewerTokens;
  /** Served at GET /metrics (Prometheus) to principals with the `metrics` permission, when given. */
  metrics?: ServerMetrics;
  /** The control API (http/cameraApi.ts), mounted at /api after the camera list, when given. */
  api?: Router;
  /** Each route checks the host and sets the security headers itself (mounted in another app). */
  guarded?: boolean;
  /** Served at GET /api/cameras/NAME/snapshot.jpg (the `view` permission) when given. */
  snapshots?: Snapshots;
}

export function camrtcRoutes(options: CamrtcRoutesOptions): Router {
  const { cameras, webRoot, logger } = options;
  const allowedOrigins = options.allowedOrigins ?? [];
  const access = options.access ?? createAccess(undefined);
  const { policy, authenticator } = access;
  const who = principalOf(authenticator);
  const router = express.Router();

  if (options.guarded) {
    const own = [
      CAMERA_LIST_PATH,
      ...PLAYER_FILES,
      ...(options.whep ? [WHEP_PATH] : []),
      ...(options.tokens ? [TOKENS_PATH] : []),
      ...(options.metrics ? [METRICS_PATH] : []),
      ...(options.api ? CONTROL_API_PATHS : []),
    ];
    router.use(own, hostCheck(options.hosts ?? new KnownHosts(), logger), securityHeaders);
  }

  router.use(CAMERA_LIST_PATH, cors('GET, OPTIONS', allowedOrigins));
  router.get(CAMERA_LIST_PATH, async (req, res) => {
    const principal = await who(req, res, 'json');
    if (!principal) return;
    res.setHeader('Cache-Control', 'no-store');
    const visible = policy.visibleCameras(cameras, principal, { origin: req.get('Origin') });
    // Nothing visible to a client that proved nothing: say a login would help (an app can tell it
    // apart from a server with no cameras).
    if (visible.length === 0 && principal.kind === 'anonymous' && policy.enabled) {
      return refuse(res, { status: 401, code: 'ERR_AUTH_REQUIRED', message: 'log in to list the cameras' }, 'json');
    }
    res.json(visible.map(publicCameraInfo));
  });

  // Under the camera list's path: the host check, headers and CORS above apply to it too.
  if (options.snapshots) router.get(SNAPSHOT_PATH, snapshotRoute({ cameras, snapshots: options.snapshots, policy, who, logger }));

  if (options.tokens) router.use(TOKENS_PATH, tokenRoutes({ authenticator, tokens: options.tokens, logger }));
  // Prometheus scrapes with Basic or Bearer; without an auth section only loopback clients may
  // (AccessPolicy): the metrics name every camera and tell who watches when.
  const metrics = options.metrics;
  if (metrics) {
    router.get(METRICS_PATH, async (req, res, next) => {
      const principal = await who(req, res, 'text');
      if (!principal) return;
      const decision = policy.decide(principal, 'metrics');
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

  if (options.whep) router.use(WHEP_PATH, cors('POST, PATCH, DELETE, OPTIONS', allowedOrigins), options.whep.router());

  // The player module may be loaded by pages on other origins (<script type="module" src=...>), which
  // needs CORS; it is public code, nothing else is shared.
  const playerFile = (file: string) => (_req: Request, res: Response): void => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.sendFile(join(webRoot, file), (err) => {
      if (err && !res.headersSent) res.status(404).type('text/plain').send('not built: run npm run build');
    });
  };
  for (const file of PLAYER_FILES) router.get(file, playerFile(file));

  if (options.api) router.use('/api', options.api);
  router.use(errorAnswer(logger));
  return router;
}
