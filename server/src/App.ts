/**
 * The composition root: builds every long-lived object from a Config and closes them in reverse
 * order (fastify's "children first"): signaling, WHEP and the RTSP restream (viewers), then the offer
 * broker (spares and page offers), then cameras (RTSP TEARDOWN to every camera), then the HTTP server,
 * then the demo camera, then the TLS certificate's file watch, the login sessions and the login
 * throttle. The configuration file's watch (hot reload) closes first, so no reload starts while the
 * rest goes. The peer settings are resolved here once, for every maker of a Viewer.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Config } from './config/Config.js';
import { CamrtcError } from './errors.js';
import { DemoCamera } from './demo/DemoCamera.js';
import { H264ClipStream } from './demo/ClipStream.js';
import { ToneStream } from './demo/ToneStream.js';
import { createHttpApp } from './http/HttpServer.js';
import { KnownHosts } from './http/knownHosts.js';
import { TlsCertificate } from './http/TlsCertificate.js';
import { WebRtcWarmUp } from './webrtc/WebRtcWarmUp.js';
import type { Logger } from './log/logger.js';
import { CameraRegistry } from './media/CameraRegistry.js';
import type { UpstreamFactory } from './media/UpstreamFeed.js';
import { OfferBroker } from './session/OfferBroker.js';
import { peerSettings, SERVER_TURN_LABEL } from './session/PeerSettings.js';
import { TurnProbe } from './webrtc/TurnProbe.js';
import { turnRestOf } from './config/turnConfig.js';
import { SignalingServer } from './signaling/SignalingServer.js';
import { WhepEndpoint } from './whep/WhepEndpoint.js';
import { createAccess } from './auth/access.js';
import { principalLabel } from './auth/Principal.js';
import { LoginSessions } from './auth/LoginSessions.js';
import type { UserDirectory } from './auth/UserDirectory.js';
import { LoginThrottle, type LoginThrottleOptions } from './auth/LoginThrottle.js';
import { createTokens } from './auth/Tokens.js';
import { ServerMetrics } from './metrics/ServerMetrics.js';
import { ViewerDirectory } from './session/ViewerDirectory.js';
import { CameraControl } from './control/CameraControl.js';
import { ConfigFileEditor } from './config/ConfigFileEditor.js';
import { ConfigWatcher } from './config/ConfigWatcher.js';
import { cameraApi } from './http/cameraApi.js';
import { Restream } from './restream/Restream.js';
import { rtspPortOf } from './config/Config.js';
import { Cluster } from './cluster/Cluster.js';
import { advertisedHostName, clusterRouters, defaultAdvertise } from './cluster/clusterWiring.js';
import { RtspSession } from './rtsp/RtspSession.js';

export const DEMO_CLIP = fileURLToPath(new URL('../assets/demo.h264', import.meta.url));
export const WEB_ROOT = fileURLToPath(new URL('../../public/', import.meta.url));

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

/** Browser logins: their sessions and the throttle on failed passwords (both hold a timer). */
interface Logins {
  readonly sessions: LoginSessions;
  readonly throttle: LoginThrottle;
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
    readonly config: Readonly<Config>,
    readonly cameras: CameraRegistry,
    private readonly http: Server,
    private readonly signaling: SignalingServer,
    private readonly whep: WhepEndpoint,
    private readonly broker: OfferBroker,
    private readonly demo: DemoCamera | undefined,
    private readonly logger: Logger,
    private readonly warmUp: WebRtcWarmUp,
    private readonly certificate: TlsCertificate | undefined,
    private readonly logins: Logins,
    private readonly metrics: ServerMetrics,
    /** Cameras at run time: the control API and the configuration file reload go through it. */
    readonly control: CameraControl,
    /** Every viewer session (control API). */
    readonly viewers: ViewerDirectory,
    /** The configuration file's watch, when started with one. */
    readonly configWatcher: ConfigWatcher | undefined,
    /** Whether the TURN server gives the server's peers a relay (webrtc.turn). */
    private readonly turnProbe: TurnProbe | undefined,
    /** The RTSP restream of the cameras, unless turned off. */
    readonly restream: Restream | undefined,
    /** This node's part in a cluster (config.cluster, docs/cluster.md). */
    readonly cluster: Cluster | undefined,
  ) {}

  static async start(config: Readonly<Config>, options: AppOptions): Promise<App> {
    const { logger } = options;
    // A cluster node: each live camera is pulled by one node of the cluster (cluster/ClusterUpstream.ts).
    const cluster = config.cluster
      ? new Cluster({ config: config.cluster, logger, viewers: () => viewers.size, allowedOrigins: config.allowedOrigins })
      : undefined;
    const createSession: UpstreamFactory | undefined = cluster
      ? cluster.upstreamFactory(options.createSession ?? ((o) => new RtspSession(o)), (name: string): boolean => cameras.configOf(name)?.recording !== true)
      : options.createSession;
    const cameras: CameraRegistry = new CameraRegistry({ logger, createSession });
    // TURN REST: a credential per viewer and for the server's peers; the secret stays in TurnRest.
    const turn = turnRestOf(config.webrtc.turn);
    let turnProbe: TurnProbe | undefined;
    const peer = peerSettings({
      iceServers: config.webrtc.iceServers,
      iceHostAddresses: config.webrtc.iceHostAddresses,
      turn,
      turnForServer: config.webrtc.turn?.forServer,
      turnUsable: () => turnProbe?.usable ?? true,
      iceTransportPolicy: config.webrtc.iceTransportPolicy,
    });
    if (turn && config.webrtc.turn?.forServer !== false) {
      // A TURN server that refuses camrtc's credential would hold every server offer back for seconds.
      turnProbe = TurnProbe.start({ turn, label: SERVER_TURN_LABEL, network: peer.network, logger: logger.child({ module: 'webrtc' }) }).probe;
    }
    const broker = new OfferBroker({ peer, logger: logger.child({ module: 'session' }) });
    // Every viewer session, whatever its transport: the control API's viewer list and /metrics.
    const viewers = new ViewerDirectory();
    // Its own registry: several Apps may run in one process (tests, a library user's app).
    const metrics = new ServerMetrics({ cameras, sessions: viewers });
    let demo: DemoCamera | undefined;
    let http: Server | undefined;
    let signaling: SignalingServer | undefined;
    let whep: WhepEndpoint | undefined;
    let usersOf: UserDirectory | undefined;
    const logins: Logins = {
      sessions: new LoginSessions({ users: { principal: (name) => usersOf?.principal(name) }, idleSeconds: config.auth?.sessionIdleSeconds }),
      throttle: new LoginThrottle(options.loginThrottle),
    };
    let certificate: TlsCertificate | undefined;
    let watcher: ConfigWatcher | undefined;
    let restream: Restream | undefined;
    try {
      // First: unreadable or mismatched files stop the start before a camera or a socket is opened.
      if (config.tls) certificate = TlsCertificate.load(config.tls, { logger: logger.child({ module: 'tls' }) });
      const withDemo = config.demo ?? config.cameras.length === 0;
      if (withDemo) {
        demo = new DemoCamera({
          host: '127.0.0.1',
          port: 0,
          path: '/demo',
          streams: [new H264ClipStream({ file: DEMO_CLIP, fps: 25 }), new ToneStream({ codec: 'PCMA' })],
          logger,
        });
        const { url } = await demo.listen();
        cameras.add({ name: 'demo', url, transport: 'tcp', preload: false, idleTimeoutMs: 10_000 });
      }
      for (const camera of config.cameras) cameras.add(camera);

      const hosts = new KnownHosts({ publicNames: [...config.publicNames, ...advertisedHostName(config.cluster)], bindHost: config.host });
      const routers = cluster && clusterRouters(cluster);
      // One access decision for every entry point: pages, /api, /ws, /whep, /metrics. A login session names its
      // user; the user's permissions are looked up at each use (a removed user's session ends).
      // Viewer tokens and an identity provider's JWTs: one verifier; the viewer tokens also mint.
      const tokens = createTokens(config.auth, logger.child({ module: 'auth' }));
      const access = createAccess(config.auth, { gate: logins.throttle, sessions: logins.sessions, tokens });
      usersOf = access.users;
      const file = options.configFile;
      const control = new CameraControl({
        registry: cameras,
        config,
        logger: logger.child({ module: 'control' }),
        builtIn: withDemo ? ['demo'] : [],
        ...(file ? { file: { editor: new ConfigFileEditor(file.path), text: file.text, load: (text: string) => file.load(text) } } : {}),
      });
      whep = new WhepEndpoint({
        cameras,
        logger: logger.child({ module: 'whep' }),
        peer,
        authenticator: access.authenticator,
        viewers,
        ...(routers ? { router: routers.whep } : {}),
      });
      const app = createHttpApp({
        cameras,
        webRoot: WEB_ROOT,
        logger: logger.child({ module: 'http' }),
        allowedOrigins: config.allowedOrigins,
        hosts,
        access,
        login: { sessions: logins.sessions },
        tokens: tokens.viewerTokens,
        whep,
        metrics,
        secure: certificate !== undefined,
        api: cameraApi({
          registry: cameras,
          control,
          viewers,
          authenticator: access.authenticator,
          allowedOrigins: config.allowedOrigins,
          logger: logger.child({ module: 'api' }),
          bitrateIn: (camera) => metrics.bitsPerSecond(camera),
          ...(cluster ? { cluster } : {}),
        }),
        pageOffer: async (name, who) => {
          const camera = cameras.get(name);
          const offer = camera ? await broker.pageOffer(camera) : undefined;
          // The page's early script answers before its socket is open: it needs its ICE servers now.
          return offer && { ...offer, ...peer.browserIce(principalLabel(who)) };
        },
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
      signaling = new SignalingServer({
        server: http,
        cameras,
        logger: logger.child({ module: 'signaling' }),
        peer,
        broker,
        // A cluster's pages follow redirects between nodes: every node's origin is allowed.
        allowedOrigins: cluster?.allowedOrigins ?? config.allowedOrigins,
        hosts,
        authenticator: access.authenticator,
        viewers,
        ...(routers ? { router: routers.signaling } : {}),
      });
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
          cameras,
          authenticator: access.authenticator,
          host: config.host,
          port: rtspPortOf(config),
          logger,
          ...(cluster ? { peers: cluster.restreamPeers } : {}),
        });
      }
      if (cluster) {
        await cluster.start(defaultAdvertise({ host: config.host, port: (http.address() as AddressInfo).port, secure: certificate !== undefined, rtspPort: restream?.port }));
      }
      // In the background: the first viewer then finds werift's handshake code already compiled.
      const warmUp = WebRtcWarmUp.start(logger.child({ module: 'webrtc' }));
      if (file) {
        watcher = new ConfigWatcher({
          path: file.path,
          onChange: () => control.reload(),
          logger: logger.child({ module: 'config' }),
          ...(file.debounceMs !== undefined ? { debounceMs: file.debounceMs } : {}),
          ...(file.pollMs !== undefined ? { pollMs: file.pollMs } : {}),
        });
      }
      return new App(config, cameras, http, signaling, whep, broker, demo, logger, warmUp, certificate, logins, metrics, control, viewers, watcher, turnProbe, restream, cluster);
    } catch (err) {
      watcher?.close();
      await cluster?.close();
      await turnProbe?.close();
      await restream?.close().catch(() => undefined);
      await signaling?.close().catch(() => undefined);
      await whep?.close().catch(() => undefined);
      await broker.close().catch(() => undefined);
      await cameras.close().catch(() => undefined);
      if (http?.listening) await new Promise((r) => http!.close(r));
      await demo?.close().catch(() => undefined);
      certificate?.close();
      logins.sessions.close();
      logins.throttle.close();
      metrics.close();
      throw err;
    }
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

  /** The built-in demo camera, when served (tests inspect the RTSP requests it received). */
  get demoCamera(): DemoCamera | undefined {
    return this.demo;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this._closed = true;
      this.configWatcher?.close();
      await this.warmUp.close();
      await this.turnProbe?.close();
      // A cluster node first tells its viewers to move (they reconnect to other nodes at once).
      await this.cluster?.drain(this.viewers).catch((err: unknown) => this.logger.error({ err }, 'draining the cluster node failed'));
      await this.signaling.close().catch((err: unknown) => this.logger.error({ err }, 'closing signaling failed'));
      await this.whep.close().catch((err: unknown) => this.logger.error({ err }, 'closing WHEP sessions failed'));
      await this.restream?.close().catch((err: unknown) => this.logger.error({ err }, 'closing the RTSP restream failed'));
      await this.broker.close().catch((err: unknown) => this.logger.error({ err }, 'closing spare viewers failed'));
      await this.cameras.close().catch((err: unknown) => this.logger.error({ err }, 'closing cameras failed'));
      // After the cameras' TEARDOWN released their leases: the node leaves the registry.
      await this.cluster?.close().catch((err: unknown) => this.logger.error({ err }, 'leaving the cluster failed'));
      this.http.closeAllConnections?.();
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
      await this.demo?.close().catch((err: unknown) => this.logger.error({ err }, 'closing demo camera failed'));
      this.certificate?.close();
      this.logins.sessions.close();
      this.logins.throttle.close();
      this.metrics.close();
    })();
    return this.closing;
  }
}
