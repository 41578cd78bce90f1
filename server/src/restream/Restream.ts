/**
 * The RTSP restream (README "RTSP restream"): every live camera at rtsp://HOST:PORT/NAME, for NVRs,
 * Frigate, VLC and ffmpeg, from the one upstream session the browsers share (invariant 1). It is an
 * RtspServer (server/src/rtsp/server/) whose mounts are RestreamMounts, made when a client first asks
 * for a camera (so cameras added at run time are served at once) and dropped when the camera is
 * removed, changed (its clients' sessions end: they set up again on the new camera) or comes back
 * with other tracks. Access is the web side's (restreamAccess.ts). Recordings are not restreamed:
 * each of their viewers has its own camera session anyway, so an RTSP client gains nothing over
 * asking the NVR itself (404). Each client session is a viewer in the App's ViewerDirectory
 * (RestreamViewer: the control API lists and disconnects it, /metrics counts it).
 */
import { CamrtcError } from '../errors.js';
import type { Authenticator } from '../auth/Authenticator.js';
import type { Logger } from '../log/logger.js';
import type { Camera } from '../media/Camera.js';
import { RtspServer } from '../rtsp/server/RtspServer.js';
import type { RequestHook } from '../rtsp/server/ServerHooks.js';
import { restreamAccessHook, cameraOfPath, type RestreamPeers } from './restreamAccess.js';
import { RestreamMount } from './RestreamMount.js';
import { RestreamViewer } from './RestreamViewer.js';
import type { ServerSession } from '../rtsp/server/ServerSession.js';
import type { ViewerDirectory } from '../session/ViewerDirectory.js';

/** A client address holding more RTSP connections than this is refused more (a NAT of many NVRs stays far below). */
export const MAX_CONNECTIONS_PER_ADDRESS = 32;

export interface RestreamOptions {
  /** The cameras by name (the App's CameraRegistry). */
  readonly cameras: { get(name: string): Camera | undefined };
  readonly authenticator: Authenticator;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly logger: Logger;
  /** Seconds; default the RTSP server's (60). */
  readonly sessionTimeoutS?: number;
  /** Default MAX_CONNECTIONS_PER_ADDRESS. */
  readonly maxConnectionsPerAddress?: number;
  /** Cluster peers that relay this node's cameras (docs/cluster.md). */
  readonly peers?: RestreamPeers;
  /** For tests: DESCRIBE's wait for a camera (RestreamMount.PREPARE_TIMEOUT_MS). */
  readonly prepareTimeoutMs?: number;
  /** For tests: RestreamMount.SENDER_REPORT_INTERVAL_MS. */
  readonly senderReportIntervalMs?: number;
  /** Where client sessions are listed as viewers (transport `rtsp`); none: not listed. */
  readonly viewers?: ViewerDirectory;
}

export class Restream {
  readonly server: RtspServer;
  readonly #options: RestreamOptions;
  readonly #log: Logger;
  readonly #mounts = new Map<string, RestreamMount>();
  readonly #perAddress = new Map<string, number>();
  readonly #viewers = new WeakMap<ServerSession, RestreamViewer>();
  #closed = false;

  private constructor(options: RestreamOptions) {
    this.#options = options;
    this.#log = options.logger.child({ module: 'restream' });
    this.server = new RtspServer({
      host: options.host,
      port: options.port,
      logger: this.#log,
      serverName: 'camrtc',
      ...(options.sessionTimeoutS !== undefined ? { sessionTimeoutS: options.sessionTimeoutS } : {}),
      // Access first (the decision comes before the camera's existence), then the camera's mount.
      hooks: [restreamAccessHook({ authenticator: options.authenticator, logger: this.#log, ...(options.peers ? { peers: options.peers } : {}) }), this.#mountHook],
    });
    this.server.on('session', (session) => {
      if (!(session.mount instanceof RestreamMount)) return;
      session.mount.attach(session);
      if (session.closed || !options.viewers) return;
      const viewer = new RestreamViewer(session, session.mount.camera.name);
      this.#viewers.set(session, viewer);
      options.viewers.addClient(viewer, 'rtsp', session.connection.remoteAddress);
    });
    this.server.on('rtcp', (session, index, packet) => this.#viewers.get(session)?.onRtcp(index, packet, performance.timeOrigin + performance.now()));
    this.server.on('connection', (conn) => {
      const address = conn.remoteAddress;
      const count = (this.#perAddress.get(address) ?? 0) + 1;
      this.#perAddress.set(address, count);
      conn.on('close', () => {
        const left = (this.#perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.#perAddress.set(address, left);
        else this.#perAddress.delete(address);
      });
      if (count > (options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS)) {
        this.#log.warn({ remote: address }, 'rtsp restream: too many connections from one address, refusing more');
        conn.close('flood');
      }
    });
  }

  /** Listens on the configured port. Throws ERR_CONFIG_INVALID when it is taken. */
  static async start(options: RestreamOptions): Promise<Restream> {
    const restream = new Restream(options);
    try {
      await restream.server.listen();
    } catch (err) {
      await restream.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new CamrtcError(
          'ERR_CONFIG_INVALID',
          `RTSP port ${options.port} on ${options.host} is already in use (another RTSP server, MediaMTX or go2rtc?); choose another with --rtsp-port or turn the restream off with --no-rtsp`,
        );
      }
      if (code === 'EADDRNOTAVAIL') throw new CamrtcError('ERR_CONFIG_INVALID', `cannot bind the RTSP restream to ${options.host}: this machine has no such address (see --host)`);
      throw err;
    }
    restream.#log.info({ url: restream.urlPattern }, `rtsp restream listening: ${restream.urlPattern}`);
    return restream;
  }

  get port(): number | undefined {
    return this.server.port;
  }

  /** rtsp://HOST:PORT/NAME, for logs and the README. */
  get urlPattern(): string {
    return `${this.server.origin ?? 'rtsp://'}/NAME`;
  }

  /** RTSP client sessions of camera `name` (tests, diagnostics). */
  sessionCount(name: string): number {
    return this.#mounts.get(name)?.sessionCount ?? 0;
  }

  /** Ends every RTSP session and connection, releases the cameras. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const mount of this.#mounts.values()) mount.close();
    this.#mounts.clear();
    await this.server.close();
  }

  /** Serves camera NAME's mount before the server looks for it (a camera added at run time, or changed). */
  readonly #mountHook: RequestHook = async (req, ctx) => {
    if (req.method !== 'DESCRIBE' && req.method !== 'SETUP') return undefined;
    const name = cameraOfPath(ctx.path);
    if (name === undefined || this.#closed) return undefined;
    const camera = this.#options.cameras.get(name);
    const current = this.#mounts.get(name);
    if (current && current.camera === camera && !current.closed) return undefined;
    if (current) this.#unmount(name, current);
    // The registry holds no closed camera (it forgets one before closing it).
    if (camera && !camera.seekable) await this.#mount(name, camera);
    return undefined;
  };

  async #mount(name: string, camera: Camera): Promise<void> {
    const mount = new RestreamMount({
      camera,
      logger: this.#log,
      ended: (m) => this.#unmount(name, m),
      ...(this.#options.prepareTimeoutMs !== undefined ? { prepareTimeoutMs: this.#options.prepareTimeoutMs } : {}),
      ...(this.#options.senderReportIntervalMs !== undefined ? { senderReportIntervalMs: this.#options.senderReportIntervalMs } : {}),
    });
    this.#mounts.set(name, mount);
    await this.server.mount(`/${name}`, mount);
  }

  #unmount(name: string, mount: RestreamMount): void {
    if (this.#mounts.get(name) !== mount) return;
    this.#mounts.delete(name);
    const path = `/${name}`;
    const connections = new Set([...this.server.sessions].filter((s) => s.mountPath === path).map((s) => s.connection));
    this.server.unmount(path);
    mount.close();
    // Their connections end too, so players learn at once that they must set up again (over UDP they would hear nothing).
    for (const conn of connections) if (conn.sessionIds.size === 0) conn.end();
  }
}
