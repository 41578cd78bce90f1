/**
 * camrtc's own server: the composition (CamrtcCore, shared with the library) plus what a server of
 * its own needs: the HTTP(S) server with the pages (HttpServer.ts), TLS and its certificate's file
 * watch, and the configuration file's watch (hot reload). Closes in reverse order: the file watch
 * first (no reload starts while the rest goes), then the core (signaling and WHEP, the offer broker,
 * cameras with RTSP TEARDOWN, the demo camera, logins, metrics), then the HTTP server, then the
 * certificate's watch.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/Config.js';
import { CamrtcError } from './errors.js';
import type { DemoCamera } from './demo/DemoCamera.js';
import { createHttpApp } from './http/HttpServer.js';
import { TlsCertificate } from './http/TlsCertificate.js';
import type { Logger } from './log/logger.js';
import type { CameraRegistry } from './media/CameraRegistry.js';
import type { UpstreamFactory } from './media/UpstreamFeed.js';
import type { LoginThrottleOptions } from './auth/LoginThrottle.js';
import type { ViewerDirectory } from './session/ViewerDirectory.js';
import type { CameraControl } from './control/CameraControl.js';
import { ConfigFileEditor } from './config/ConfigFileEditor.js';
import { ConfigWatcher } from './config/ConfigWatcher.js';
import { CamrtcCore, DEMO_CLIP, WEB_ROOT } from './CamrtcCore.js';
import { Restream } from './restream/Restream.js';
import type { IceMux } from './webrtc/ice/IceMux.js';
import { rtspPortOf } from './config/Config.js';
import { Cluster } from './cluster/Cluster.js';
import { defaultAdvertise } from './cluster/clusterWiring.js';

export { DEMO_CLIP, WEB_ROOT };

export interface AppOptions {
  logger: Logger;
  /** For tests: replace the RTSP client. */
  createSession?: UpstreamFactory;
  /** For tests: the failed-login throttle's thresholds (LoginThrottle's defaults otherwise). */
  loginThrottle?: LoginThrottleOptions;
  /**
   * The configuration file the server was started with (--config): control API changes are written
   * to it, and editing it applies its cameras without a restart.
   */
  configFile?: ConfigFileSource;
}

export interface ConfigFileSource {
  readonly path: string;
  /** Its text at start (the configuration was made from it). */
  readonly text: string;
  /** The whole configuration from a text of the file, command-line flags applied as at start. */
  load(text: string): Readonly<Config>;
  /** For tests: the watch's debounce and poll interval. */
  debounceMs?: number;
  pollMs?: number;
}

export class App {
  private _closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly core: CamrtcCore,
    private readonly http: Server,
    private readonly certificate: TlsCertificate | undefined,
    /** The configuration file's watch, when started with one. */
    readonly configWatcher: ConfigWatcher | undefined,
    /** The RTSP restream of the cameras, unless turned off (a port of its own: the library has none). */
    readonly restream: Restream | undefined,
    /** This node's part in a cluster (config.cluster, docs/cluster.md). */
    readonly cluster: Cluster | undefined,
  ) {}

  static async start(config: Readonly<Config>, options: AppOptions): Promise<App> {
    const { logger } = options;
    let certificate: TlsCertificate | undefined;
    let core: CamrtcCore | undefined;
    let http: Server | undefined;
    let watcher: ConfigWatcher | undefined;
    let restream: Restream | undefined;
    // A cluster node: each live camera is pulled by one node of the cluster (cluster/ClusterUpstream.ts).
    const cluster = config.cluster
      ? new Cluster({ config: config.cluster, logger, viewers: () => core?.viewers.size ?? 0, allowedOrigins: config.allowedOrigins })
      : undefined;
    try {
      // First: unreadable or mismatched files stop the start before a camera or a socket is opened.
      if (config.tls) certificate = TlsCertificate.load(config.tls, { logger: logger.child({ module: 'tls' }) });
      const file = options.configFile;
      const built = await CamrtcCore.create(config, {
        logger,
        ...(options.createSession ? { createSession: options.createSession } : {}),
        ...(options.loginThrottle ? { loginThrottle: options.loginThrottle } : {}),
        ...(cluster ? { cluster } : {}),
        ...(file ? { configFile: { editor: new ConfigFileEditor(file.path), text: file.text, load: (text: string) => file.load(text) } } : {}),
      });
      core = built;
      const app = createHttpApp({
        cameras: built.cameras,
        webRoot: WEB_ROOT,
        logger: logger.child({ module: 'http' }),
        allowedOrigins: config.allowedOrigins,
        hosts: built.hosts,
        access: built.access,
        login: { sessions: built.logins.sessions },
        ...(built.viewerTokens ? { tokens: built.viewerTokens } : {}),
        whep: built.whep,
        metrics: built.metrics,
        secure: certificate !== undefined,
        api: built.controlApi(),
        pageOffer: (name, who) => built.pageOffer(name, who),
        snapshots: built.snapshots,
      });
      if (certificate) {
        // HTTPS and WSS on the one port; a renewed pair reaches new connections, open ones keep theirs.
        const tls = certificate;
        const https: HttpsServer = createHttpsServer({ ...tls.pair }, app);
        tls.on('reloaded', () => https.setSecureContext({ ...tls.pair }));
        http = https;
      } else {
        http = createServer(app);
      }
      built.attachSignaling(http);
      await new Promise<void>((resolve, reject) => {
        http!.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            err.code === 'EADDRINUSE'
              ? new CamrtcError('ERR_CONFIG_INVALID', `port ${config.port} on ${config.host} is already in use (is camrtc already running?); choose another with --port`)
              : err.code === 'EADDRNOTAVAIL'
                ? new CamrtcError('ERR_CONFIG_INVALID', `cannot bind ${config.host}: this machine has no such address (see --host)`)
                : err,
          ),
        );
        http!.listen(config.port, config.host, () => {
          http!.off('error', reject);
          resolve();
        });
      });
      if (config.rtsp.enabled) {
        restream = await Restream.start({
          cameras: built.cameras,
          authenticator: built.access.authenticator,
          host: config.host,
          port: rtspPortOf(config),
          logger,
          viewers: built.viewers,
          ...(cluster ? { peers: cluster.restreamPeers } : {}),
        });
      }
      if (cluster) {
        await cluster.start(defaultAdvertise({ host: config.host, port: (http.address() as AddressInfo).port, secure: certificate !== undefined, rtspPort: restream?.port }));
      }
      if (file) {
        watcher = new ConfigWatcher({
          path: file.path,
          onChange: () => built.control.reload(),
          logger: logger.child({ module: 'config' }),
          ...(file.debounceMs !== undefined ? { debounceMs: file.debounceMs } : {}),
          ...(file.pollMs !== undefined ? { pollMs: file.pollMs } : {}),
        });
      }
      return new App(built, http, certificate, watcher, restream, cluster);
    } catch (err) {
      watcher?.close();
      await cluster?.close().catch(() => undefined);
      await restream?.close().catch(() => undefined);
      await core?.close().catch(() => undefined);
      if (http?.listening) await new Promise((r) => http!.close(r));
      certificate?.close();
      throw err;
    }
  }

  get config(): Readonly<Config> {
    return this.core.config;
  }

  get cameras(): CameraRegistry {
    return this.core.cameras;
  }

  /** Cameras at run time: the control API and the configuration file reload go through it. */
  get control(): CameraControl {
    return this.core.control;
  }

  /** Every viewer session (control API). */
  get viewers(): ViewerDirectory {
    return this.core.viewers;
  }

  /** The HTTP port actually bound (differs from config.port when that was 0). */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.config.host === '0.0.0.0' || this.config.host === '::' ? 'localhost' : this.config.host;
    return `${this.secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** Served over TLS (HTTPS and WSS). */
  get secure(): boolean {
    return this.certificate !== undefined;
  }

  get closed(): boolean {
    return this._closed;
  }

  /** rtsp://HOST:PORT/NAME of the restream (the host as for `url`), undefined when it is off. */
  get rtspUrl(): string | undefined {
    const port = this.restream?.port;
    if (port === undefined) return undefined;
    const host = this.config.host === '0.0.0.0' || this.config.host === '::' ? 'localhost' : this.config.host;
    return `rtsp://${host.includes(':') ? `[${host}]` : host}:${port}/NAME`;
  }

  /** The WebRTC ports every viewer shares (undefined: `udpPort` and `tcpPort` both off). */
  get iceMux(): IceMux | undefined {
    return this.core.iceMux;
  }

  /** The built-in demo camera, when served (tests inspect the RTSP requests it received). */
  get demoCamera(): DemoCamera | undefined {
    return this.core.demoCamera;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this._closed = true;
      this.configWatcher?.close();
      // A cluster node first tells its viewers to move (they reconnect to other nodes at once).
      await this.cluster?.drain(this.viewers).catch((err: unknown) => this.core.logger.error({ err }, 'draining the cluster node failed'));
      // Its clients are viewers: they go before the cameras they hold (children first).
      await this.restream?.close().catch((err: unknown) => this.core.logger.error({ err }, 'closing the RTSP restream failed'));
      await this.core.close();
      // After the cameras' TEARDOWN released their leases: the node leaves the registry.
      await this.cluster?.close().catch((err: unknown) => this.core.logger.error({ err }, 'leaving the cluster failed'));
      this.http.closeAllConnections?.();
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.certificate?.close();
    })();
    return this.closing;
  }
}
