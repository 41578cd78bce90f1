/**
 * camrtc inside another Node app: the same composition as camrtc's own server (CamrtcCore), attached
 * to the app's HTTP server instead of one of its own. It serves only its own routes (player script,
 * camera list, WHEP, signaling; the control API and /metrics when asked) under the mount path, each
 * with its host, origin and access checks; every other request, the app's 404s, error pages and
 * headers stay the app's.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import express from 'express';
import { CamrtcCore, WEB_ROOT } from '../CamrtcCore.js';
import { CamrtcError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera } from '../media/Camera.js';
import type { CameraStatus } from '../media/CameraState.js';
import { SIGNALING_PATH } from '../signaling/SignalingServer.js';
import type { SessionEntry } from '../session/ViewerDirectory.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { WHEP_PATH } from '../whep/WhepEndpoint.js';
import { CAMERA_LIST_PATH, PLAYER_FILES } from '../http/camrtcRoutes.js';
import { parseOptions } from './options.js';
import type {
  AttachOptions,
  CameraChanges,
  CameraInput,
  CameraSummary,
  Camrtc,
  CamrtcEvents,
  CamrtcHandler,
  CamrtcOptions,
  CamrtcPaths,
  ViewerEvent,
  ViewerSummary,
} from './CamrtcTypes.js';

type AnyServer = HttpServer | HttpsServer;
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Starts camrtc for an app: validates the options (ERR_CONFIG_INVALID naming the field), creates the
 * cameras (a camera with `preload` connects now, the others on their first viewer). Attach it to the
 * app's server with `attach(server)`.
 */
export async function createCamrtc(options: CamrtcOptions = {}): Promise<Camrtc> {
  const { logger: given, ...rest } = options;
  const { config, prefix, controlApi, metrics } = parseOptions(rest);
  const logger = given ?? createLogger({ level: config.logLevel });
  const core = await CamrtcCore.create(config, { logger: logger.child({ lib: 'camrtc' }) });
  return new EmbeddedCamrtc(core, prefix, { controlApi, metrics });
}

class EmbeddedCamrtc extends TypedEmitter<CamrtcEvents & { listenererror: [string, unknown] }> implements Camrtc {
  readonly mountPath: string;
  readonly paths: CamrtcPaths;
  readonly handler: CamrtcHandler;
  readonly #core: CamrtcCore;
  readonly #prefix: string;
  /** Undoes each attach(): the request listeners put back as they were. */
  readonly #detach: (() => void)[] = [];
  readonly #attached = new WeakSet<AnyServer>();
  #closing: Promise<void> | undefined;

  constructor(core: CamrtcCore, prefix: string, routes: { controlApi: boolean; metrics: boolean }) {
    super();
    this.#core = core;
    this.#prefix = prefix;
    this.mountPath = prefix || '/';
    this.paths = Object.freeze({
      player: `${prefix}${PLAYER_FILES[0]}`,
      signaling: `${prefix}${SIGNALING_PATH}`,
      whep: `${prefix}${WHEP_PATH}`,
      cameras: `${prefix}${CAMERA_LIST_PATH}`,
      server: prefix || '/',
    });
    // An app of its own for camrtc's routes: its settings and error handling never touch the host app's.
    const inner = express();
    inner.disable('x-powered-by');
    inner.set('etag', 'strong');
    inner.use(prefix || '/', core.routes(WEB_ROOT, { guarded: true, controlApi: routes.controlApi, tokens: routes.controlApi, metrics: routes.metrics }));
    this.handler = (req, res, next) => {
      // express gives req and res its own prototypes while it handles them; the host app's come back
      // before the request goes on (as express does for an app mounted in another).
      const reqProto = Object.getPrototypeOf(req) as object;
      const resProto = Object.getPrototypeOf(res) as object;
      const pass = (err?: unknown): void => {
        Object.setPrototypeOf(req, reqProto);
        Object.setPrototypeOf(res, resProto);
        if (next) return next(err);
        if (!res.headersSent) res.writeHead(err ? 500 : 404, { 'Content-Type': 'text/plain' });
        res.end(err ? 'internal error' : 'not found');
      };
      if (!this.#mine(req.url) || this.closed) return pass();
      (inner as unknown as (q: IncomingMessage, s: ServerResponse, n: (err?: unknown) => void) => void)(req, res, pass);
    };

    for (const camera of core.cameras.all()) this.#watchCamera(camera);
    core.cameras.on('added', (camera) => this.#watchCamera(camera, true));
    // The library serves no RTSP restream: its directory holds WebRTC sessions only.
    core.viewers.on('added', (entry) => {
      if (entry.transport !== 'rtsp') this.safeEmit('viewerJoined', viewerEvent(entry));
    });
    core.viewers.on('ended', (entry) => {
      if (entry.transport !== 'rtsp') this.safeEmit('viewerLeft', { ...viewerEvent(entry), durationSeconds: Math.round((Date.now() - entry.startedAt) / 100) / 10 });
    });
    this.on('listenererror', (event, err) => core.logger.error({ err, event }, 'a camrtc event listener threw'));
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  attach(server: AnyServer, options: AttachOptions = {}): void {
    if (this.closed) throw new CamrtcError('ERR_CLOSED', 'camrtc is closed');
    // Twice would answer each upgrade twice.
    if (this.#attached.has(server)) throw new CamrtcError('ERR_CONFIG_INVALID', 'camrtc is already attached to this server');
    this.#attached.add(server);
    // Closed with the core.
    this.#core.attachSignaling(server, this.paths.signaling);
    if (options.http === false) return;
    // The engine.io way: one request listener that takes camrtc's paths and hands every other request
    // to the listeners the server had, in their order.
    const own = server.listeners('request') as RequestListener[];
    const forward: RequestListener = (req, res) => {
      if (own.length === 0) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      for (const listener of own) listener.call(server, req, res);
    };
    const listener: RequestListener = (req, res) => this.handler(req, res, (err) => {
      if (err === undefined) return forward(req, res);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
    });
    server.removeAllListeners('request');
    server.on('request', listener);
    this.#detach.push(() => {
      server.off('request', listener);
      for (const l of own) server.on('request', l);
    });
  }

  listCameras(): CameraSummary[] {
    return this.#core.cameras.list().map((info) => this.#summary(info.name)!);
  }

  async addCamera(camera: CameraInput): Promise<CameraSummary> {
    await this.#core.control.add(camera);
    return this.#existing(camera.name);
  }

  async updateCamera(name: string, changes: CameraChanges): Promise<CameraSummary> {
    await this.#core.control.patch(name, changes);
    return this.#existing(name);
  }

  async removeCamera(name: string): Promise<void> {
    await this.#core.control.remove(name);
  }

  async listViewers(camera?: string): Promise<ViewerSummary[]> {
    const viewers = this.#core.viewers;
    const all = camera === undefined ? [...this.#core.cameras.list()].flatMap((c) => viewers.forCamera(c.name)) : viewers.forCamera(camera);
    const entries = all.filter((e): e is SessionEntry => e.transport !== 'rtsp');
    return Promise.all(
      entries.map(async (entry) => {
        const { id: _id, transport: _t, address: _a, startedAt: _s, ...rest } = await viewers.describe(entry);
        return { ...viewerEvent(entry), ...rest };
      }),
    );
  }

  async disconnectViewer(id: string): Promise<boolean> {
    const entry = this.#core.viewers.get(id);
    if (!entry || this.#core.viewers.closed(entry)) return false;
    await this.#core.viewers.disconnect(entry);
    return true;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // The core first: the signaling sockets close while the server still carries them.
      await this.#core.close();
      for (const undo of this.#detach.splice(0)) undo();
    })();
    return this.#closing;
  }

  #mine(url: string | undefined): boolean {
    if (!this.#prefix) return true;
    const path = (url ?? '').split('?')[0];
    return path === this.#prefix || path.startsWith(`${this.#prefix}/`);
  }

  #summary(name: string): CameraSummary | undefined {
    const camera = this.#core.cameras.get(name);
    if (!camera) return undefined;
    return { ...camera.info(), viewers: this.#core.viewers.count(name), recording: camera.seekable };
  }

  #existing(name: string): CameraSummary {
    const summary = this.#summary(name);
    if (!summary) throw new CamrtcError('ERR_CAMERA_UNKNOWN', `no camera named '${name.slice(0, 64)}'`);
    return summary;
  }

  /** Its state changes as events; a camera added at run time first tells the state it starts in. */
  #watchCamera(camera: Camera, announce = false): void {
    const tell = (status: CameraStatus): void => {
      this.safeEmit('cameraState', {
        camera: camera.name,
        state: status.state,
        ...(status.error ? { error: { code: status.error.code, message: redactText(status.error.message) } } : {}),
      });
    };
    camera.on('status', tell);
    if (announce) tell(camera.status);
  }
}

function viewerEvent(entry: SessionEntry): ViewerEvent {
  return {
    id: entry.id,
    camera: entry.camera,
    transport: entry.transport,
    address: entry.address ?? null,
    startedAt: new Date(entry.startedAt).toISOString(),
  };
}
