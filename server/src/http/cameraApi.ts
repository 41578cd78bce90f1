/**
 * The control API under /api (docs: README "Control API", the OpenAPI document at
 * /api/openapi.json): one camera's state, adding, changing and removing cameras at run time, and
 * their viewers. The camera list (GET /api/cameras) stays in HttpServer.ts with its filtering.
 *
 * Every route needs the `admin` permission from the one access decision (without an auth section:
 * loopback only). Requests that change something are refused when a page of another origin sends
 * them (Origin not this server's and not in allowedOrigins) and must be application/json, which a
 * cross-site form cannot send without a CORS preflight. Bodies are checked by zod: a mistake is a
 * 4xx naming the field, never a 500, and no answer ever carries a password.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Authenticator } from '../auth/Authenticator.js';
import type { Principal } from '../auth/Principal.js';
import { CamrtcError, toCamrtcError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera } from '../media/Camera.js';
import type { CameraRegistry } from '../media/CameraRegistry.js';
import type { CameraControl, ChangeResult } from '../control/CameraControl.js';
import { parseRtspUrl } from '../rtsp/url.js';
import type { ViewerDirectory } from '../session/ViewerDirectory.js';
import type { CameraConfig } from '../config/Config.js';
import { originAllowed } from './origin.js';
import { requestPrincipal } from './requestCredentials.js';
import { openApiDocument } from './openapi.js';

export interface CameraApiOptions {
  registry: CameraRegistry;
  control: CameraControl;
  viewers: ViewerDirectory;
  authenticator: Authenticator;
  allowedOrigins?: readonly string[];
  logger: Logger;
  /** A camera's bits per second in (ServerMetrics samples the feeds' byte counters). */
  bitrateIn: (camera: Camera) => number;
  /** GET /api/cluster, when this node is part of a cluster (cluster/Cluster.ts describe()). */
  cluster?: { describe(cameras: readonly string[]): Promise<unknown> };
}

/** JSON bodies are a camera's settings: a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;
const CAMERA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const VIEWER_ID = /^[a-f0-9]{16}$/;
const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The camera settings an answer shows: the URL without credentials, and whether there is a password. */
export interface PublicCameraConfig {
  url: string;
  /** The sub stream's URL, without credentials. */
  substream?: string;
  username?: string;
  hasPassword: boolean;
  passwordFile?: string;
  passwordEnv?: string;
  transport: string;
  preload: boolean;
  idleTimeoutMs: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  tlsInsecure?: boolean;
  recording: boolean;
  /** false: the camera is never asked for its audio backchannel (two-way audio off). */
  talk?: boolean;
  transcode?: 'h264' | 'auto';
}

/** A camera URL as answers show it: without credentials. */
function withoutCredentials(url: string): string {
  const parsed = parseRtspUrl(url);
  return parsed instanceof CamrtcError ? redactText(url).replace(/\/\/[^/]*@/, '//') : parsed.href;
}

export function publicCameraConfig(camera: CameraConfig): PublicCameraConfig {
  const parsed = parseRtspUrl(camera.url);
  const url = withoutCredentials(camera.url);
  const username = camera.username ?? (parsed instanceof CamrtcError ? undefined : parsed.username);
  const urlPassword = parsed instanceof CamrtcError ? /\/\/[^/]*:[^/]*@/.test(camera.url) : parsed.password !== undefined;
  return {
    url,
    ...(camera.substream !== undefined ? { substream: withoutCredentials(camera.substream) } : {}),
    ...(username !== undefined ? { username } : {}),
    hasPassword: camera.password !== undefined || urlPassword,
    ...(camera.passwordFile !== undefined ? { passwordFile: camera.passwordFile } : {}),
    ...(camera.passwordEnv !== undefined ? { passwordEnv: camera.passwordEnv } : {}),
    transport: camera.transport,
    preload: camera.preload,
    idleTimeoutMs: camera.idleTimeoutMs,
    ...(camera.connectTimeoutMs !== undefined ? { connectTimeoutMs: camera.connectTimeoutMs } : {}),
    ...(camera.readTimeoutMs !== undefined ? { readTimeoutMs: camera.readTimeoutMs } : {}),
    ...(camera.tlsInsecure !== undefined ? { tlsInsecure: camera.tlsInsecure } : {}),
    recording: camera.recording === true,
    ...(camera.talk !== undefined ? { talk: camera.talk } : {}),
    ...(camera.transcode !== undefined ? { transcode: camera.transcode } : {}),
  };
}

/** HTTP status of an error a route ends with. */
function statusOf(error: CamrtcError): number {
  const given = error.details.status;
  if (typeof given === 'number') return given;
  const byCode: Partial<Record<ErrorCode, number>> = {
    ERR_REQUEST_INVALID: 400,
    ERR_CAMERA_UNKNOWN: 404,
    ERR_VIEWER_UNKNOWN: 404,
    ERR_CAMERA_EXISTS: 409,
    ERR_CONFIG_INVALID: 409,
    ERR_CLOSED: 503,
    ERR_CLUSTER_OFF: 404,
    ERR_CLUSTER_UNAVAILABLE: 503,
  };
  return byCode[error.code] ?? 500;
}

function fail(res: Response, status: number, code: ErrorCode, message: string, fields?: readonly string[]): void {
  if (res.headersSent) return;
  res.status(status).setHeader('X-Camrtc-Error', code);
  res.setHeader('Cache-Control', 'no-store');
  res.json({ code, message, ...(fields?.length ? { fields } : {}) });
}

/** The control API routes, to mount at /api (after GET /api/cameras). */
export function cameraApi(options: CameraApiOptions): Router {
  const { registry, control, viewers, authenticator, logger } = options;
  const policy = authenticator.policy;
  const allowedOrigins = options.allowedOrigins ?? [];
  const router = express.Router();
  const json = express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: true });

  /**
   * Checks the request before anything about a camera is read: origin (changes only), proof, the
   * admin decision (for the camera in the path, when there is one), then a change's Content-Type
   * and JSON body. Answers and returns undefined when refused.
   */
  const admit = async (req: Request, res: Response, camera: string | undefined): Promise<Principal | undefined> => {
    const origin = req.get('Origin');
    if (CHANGING.has(req.method) && !originAllowed(origin, req.get('Host'), allowedOrigins)) {
      logger.info({ origin: origin?.slice(0, 100) }, 'control API: refused a change sent by a page of another origin');
      fail(res, 403, 'ERR_FORBIDDEN', `origin ${origin?.slice(0, 100)} may not change this camrtc server (see --allow-origin)`);
      return undefined;
    }
    const { principal, refusal } = await requestPrincipal(authenticator, req, res);
    if (refusal) {
      fail(res, refusal.status, refusal.code, refusal.message);
      return undefined;
    }
    const decision = policy.decide(principal, 'admin', camera !== undefined && CAMERA_NAME.test(camera) ? camera : undefined, { origin });
    if (!decision.allowed) {
      if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="camrtc", charset="UTF-8"');
      fail(res, decision.status, decision.code, decision.message);
      return undefined;
    }
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      if (!req.is('application/json')) {
        fail(res, 415, 'ERR_REQUEST_INVALID', `send the camera as JSON with Content-Type: application/json`);
        return undefined;
      }
      const parsed = await new Promise<unknown>((resolve) => json(req, res, (err?: unknown) => resolve(err)));
      if (parsed !== undefined) {
        const type = (parsed as { type?: string }).type;
        if (type === 'entity.too.large') fail(res, 413, 'ERR_LIMIT', `the body is larger than ${MAX_BODY_BYTES} bytes`);
        else fail(res, 400, 'ERR_REQUEST_INVALID', 'the body is not valid JSON (an object of camera settings)');
        return undefined;
      }
      if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
        fail(res, 400, 'ERR_REQUEST_INVALID', 'the body must be a JSON object of camera settings');
        return undefined;
      }
    }
    return principal;
  };

  /** Runs a route; a CamrtcError becomes its JSON answer, anything else a logged 500. */
  const route = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response): void => {
    handler(req, res).catch((err: unknown) => {
      const error = toCamrtcError(err);
      const status = statusOf(error);
      if (status >= 500) logger.error({ err, code: error.code }, 'control API request failed');
      const fields = Array.isArray(error.details.fields) ? (error.details.fields as string[]) : undefined;
      fail(res, status, error.code, status >= 500 && error.code === 'ERR_INTERNAL' ? 'internal error' : redactText(error.message), fields);
    });
  };

  const unknownCamera = (name: string): CamrtcError => new CamrtcError('ERR_CAMERA_UNKNOWN', `no camera named '${name.slice(0, 64)}'`);

  const describe = (name: string) => {
    const camera = registry.get(name);
    if (!camera) throw unknownCamera(name);
    const info = camera.info();
    const config = registry.configOf(name);
    return {
      ...info,
      ...(info.error ? { error: { code: info.error.code, message: redactText(info.error.message) } } : {}),
      lastError: control.lastError(name) ?? null,
      bitrateIn: options.bitrateIn(camera),
      viewers: viewers.count(name),
      recording: camera.seekable,
      ...(config ? { config: publicCameraConfig(config) } : {}),
    };
  };

  const changed = (req: Request, res: Response, status: number, name: string, result: ChangeResult): void => {
    res.status(status).setHeader('Cache-Control', 'no-store');
    // baseUrl: /api, or under the library's mount path (/cams/api).
    if (status === 201) res.setHeader('Location', `${req.baseUrl}/cameras/${encodeURIComponent(name)}`);
    res.json({ ...describe(name), persisted: result.persisted });
  };

  router.get('/cluster', route(async (req, res) => {
    if (!(await admit(req, res, undefined))) return;
    if (!options.cluster) throw new CamrtcError('ERR_CLUSTER_OFF', 'this server is not part of a cluster (see docs/cluster.md)');
    const info = await options.cluster.describe(registry.all().filter((c) => !c.seekable).map((c) => c.name));
    res.setHeader('Cache-Control', 'no-store');
    res.json(info);
  }));

  router.get('/openapi.json', route(async (req, res) => {
    if (!(await admit(req, res, undefined))) return;
    res.setHeader('Cache-Control', 'no-cache');
    res.json(openApiDocument());
  }));

  // CORS preflight for allowed origins (HttpServer's cors() has answered or refused the origin).
  const preflight = (methods: string) => (req: Request, res: Response, next: NextFunction): void => {
    if (req.get('Origin') === undefined) return next();
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
    res.status(204).end();
  };
  router.options('/cameras', preflight('GET, POST, OPTIONS'));
  router.options('/cameras/:name', preflight('GET, PUT, PATCH, DELETE, OPTIONS'));
  router.options('/cameras/:name/viewers', preflight('GET, OPTIONS'));
  router.options('/cameras/:name/viewers/:id', preflight('DELETE, OPTIONS'));

  router.post('/cameras', route(async (req, res) => {
    const who = await admit(req, res, undefined);
    if (!who) return;
    const name = (req.body as { name?: unknown }).name;
    // The admin decision again, for the camera named in the body (an admin of some cameras only).
    if (typeof name === 'string' && CAMERA_NAME.test(name)) {
      const decision = policy.decide(who, 'admin', name, { origin: req.get('Origin') });
      if (!decision.allowed) return fail(res, decision.status, decision.code, decision.message);
    }
    const result = await control.add(req.body);
    logger.info({ camera: name, persisted: result.persisted }, 'control API: camera added');
    changed(req, res, 201, String(name), result);
  }));

  router.get('/cameras/:name', route(async (req, res) => {
    const name = String(req.params.name);
    if (!(await admit(req, res, name))) return;
    res.setHeader('Cache-Control', 'no-store');
    res.json(describe(name));
  }));

  router.put('/cameras/:name', route(async (req, res) => {
    const name = String(req.params.name);
    if (!(await admit(req, res, name))) return;
    if (!registry.get(name)) throw unknownCamera(name);
    const result = await control.replace(name, req.body);
    logger.info({ camera: name, persisted: result.persisted }, 'control API: camera replaced');
    changed(req, res, 200, name, result);
  }));

  router.patch('/cameras/:name', route(async (req, res) => {
    const name = String(req.params.name);
    if (!(await admit(req, res, name))) return;
    if (!registry.get(name)) throw unknownCamera(name);
    const result = await control.patch(name, req.body);
    logger.info({ camera: name, persisted: result.persisted }, 'control API: camera changed');
    changed(req, res, 200, name, result);
  }));

  router.delete('/cameras/:name', route(async (req, res) => {
    const name = String(req.params.name);
    if (!(await admit(req, res, name))) return;
    if (!registry.get(name)) throw unknownCamera(name);
    const result = await control.remove(name);
    logger.info({ camera: name, persisted: result.persisted }, 'control API: camera removed');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ name, removed: true, persisted: result.persisted });
  }));

  router.get('/cameras/:name/viewers', route(async (req, res) => {
    const name = String(req.params.name);
    if (!(await admit(req, res, name))) return;
    if (!registry.get(name)) throw unknownCamera(name);
    const list = await Promise.all(viewers.forCamera(name).map((v) => viewers.describe(v)));
    res.setHeader('Cache-Control', 'no-store');
    res.json(list);
  }));

  router.delete('/cameras/:name/viewers/:id', route(async (req, res) => {
    const name = String(req.params.name);
    const id = String(req.params.id);
    if (!(await admit(req, res, name))) return;
    if (!registry.get(name)) throw unknownCamera(name);
    const entry = VIEWER_ID.test(id) ? viewers.get(id) : undefined;
    if (!entry || entry.camera !== name || viewers.closed(entry)) {
      throw new CamrtcError('ERR_VIEWER_UNKNOWN', `camera '${name}' has no viewer '${id.slice(0, 32)}'`);
    }
    await viewers.disconnect(entry);
    logger.info({ camera: name, viewer: id, transport: entry.transport }, 'control API: viewer disconnected');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ id, disconnected: true });
  }));

  return router;
}
