/**
 * The composition root, shared by camrtc's own server (App.ts) and the library (lib/createCamrtc.ts):
 * every long-lived object camrtc is made of, built once from a Config, without a listening socket.
 * App adds the HTTP(S) server, TLS and the configuration file's watch; the library attaches the same
 * routes and signaling to another app's server. The peer settings are resolved here once, for every
 * maker of a Viewer.
 *
 * close() goes children first (fastify's order): signaling and WHEP (viewers' peer connections), then
 * the offer broker (spares and page offers), then the WebRTC ports they shared (IceMux), then cameras (RTSP TEARDOWN to every camera), then the
 * demo camera, the login sessions and throttle, and the metrics. The HTTP server a signaling server
 * is attached to is its owner's to close, after this.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';
import type { Config } from './config/Config.js';
import { DemoCamera } from './demo/DemoCamera.js';
import { H264ClipStream } from './demo/ClipStream.js';
import { ToneStream } from './demo/ToneStream.js';
import { KnownHosts } from './http/knownHosts.js';
import { WebRtcWarmUp } from './webrtc/WebRtcWarmUp.js';
import { IceMux } from './webrtc/ice/IceMux.js';
import type { Logger } from './log/logger.js';
import { CameraRegistry } from './media/CameraRegistry.js';
import type { UpstreamFactory } from './media/UpstreamFeed.js';
import { OfferBroker } from './session/OfferBroker.js';
import { peerSettings, SERVER_TURN_LABEL, type PeerSettings } from './session/PeerSettings.js';
import { TurnProbe } from './webrtc/TurnProbe.js';
import { turnRestOf } from './config/turnConfig.js';
import { SIGNALING_PATH, SignalingServer } from './signaling/SignalingServer.js';
import { WhepEndpoint } from './whep/WhepEndpoint.js';
import { createAccess, type AccessParts } from './auth/access.js';
import { principalLabel, type Principal } from './auth/Principal.js';
import { LoginSessions } from './auth/LoginSessions.js';
import type { UserDirectory } from './auth/UserDirectory.js';
import { LoginThrottle, type LoginThrottleOptions } from './auth/LoginThrottle.js';
import { createTokens } from './auth/Tokens.js';
import type { ViewerTokens } from './auth/ViewerTokens.js';
import { ServerMetrics } from './metrics/ServerMetrics.js';
import { ViewerDirectory } from './session/ViewerDirectory.js';
import { CameraControl, type ControlledFile } from './control/CameraControl.js';
import { cameraApi } from './http/cameraApi.js';
import { camrtcRoutes } from './http/camrtcRoutes.js';
import type { Cluster } from './cluster/Cluster.js';
import { advertisedHostName, clusterRouters } from './cluster/clusterWiring.js';
import { RtspSession } from './rtsp/RtspSession.js';
import { Snapshots } from './snapshot/Snapshots.js';
import type { PageOffer } from '../../shared/protocol.js';

export const DEMO_CLIP = fileURLToPath(new URL('../assets/demo.h264', import.meta.url));
export const WEB_ROOT = fileURLToPath(new URL('../../public/', import.meta.url));

export interface CoreOptions {
  logger: Logger;
  /** For tests: replace the RTSP client. */
  createSession?: UpstreamFactory;
  /** For tests: the failed-login throttle's thresholds (LoginThrottle's defaults otherwise). */
  loginThrottle?: LoginThrottleOptions;
  /** The configuration file control API changes are written to (App, started with --config). */
  configFile?: ControlledFile;
  /**
   * This node's part in a cluster (App, config.cluster; docs/cluster.md): it pulls each camera or
   * reads it from its owner, routes watches (redirects) and answers GET /api/cluster.
   */
  cluster?: Cluster;
}

/** Which of camrtc's optional routes to serve (the player script, camera list and WHEP always are). */
export interface RouteSelection {
  /** The control API under /api (admin). */
  controlApi?: boolean;
  /** POST /api/tokens (admin), when the configuration has viewer-token keys. */
  tokens?: boolean;
  /** GET /metrics. */
  metrics?: boolean;
  /** Each route checks the Host header and sets camrtc's headers itself (inside another app). */
  guarded?: boolean;
}

/** Browser logins: their sessions and the throttle on failed passwords (both hold a timer). */
export interface Logins {
  readonly sessions: LoginSessions;
  readonly throttle: LoginThrottle;
}

export class CamrtcCore {
  readonly #signaling = new Set<SignalingServer>();
  /** Camera snapshots (JPEG from the cached GOP through ffmpeg); no process runs until one is asked for. */
  readonly snapshots: Snapshots;
  #closing: Promise<void> | undefined;

  private constructor(
    readonly config: Readonly<Config>,
    readonly logger: Logger,
    readonly cameras: CameraRegistry,
    /** Cameras at run time: the control API, the configuration file reload and the library go through it. */
    readonly control: CameraControl,
    /** Every viewer session, whatever its transport. */
    readonly viewers: ViewerDirectory,
    readonly metrics: ServerMetrics,
    readonly access: AccessParts,
    readonly logins: Logins,
    /** The names the server answers to (Host header). */
    readonly hosts: KnownHosts,
    readonly peer: PeerSettings,
    readonly broker: OfferBroker,
    readonly whep: WhepEndpoint,
    readonly viewerTokens: ViewerTokens | undefined,
    /** The built-in demo camera, when served (tests inspect the RTSP requests it received). */
    readonly demoCamera: DemoCamera | undefined,
    private readonly warmUp: WebRtcWarmUp,
    /** Whether the TURN server gives the server's peers a relay (webrtc.turn). */
    private readonly turnProbe: TurnProbe | undefined,
    /** The WebRTC ports every viewer shares (undefined: `udpPort` and `tcpPort` both off). */
    readonly iceMux: IceMux | undefined,
    readonly cluster: Cluster | undefined,
    private readonly routers: ReturnType<typeof clusterRouters> | undefined,
  ) {
    this.snapshots = new Snapshots({ logger: logger.child({ module: 'snapshot' }) });
  }

  static async create(config: Readonly<Config>, options: CoreOptions): Promise<CamrtcCore> {
    const { logger } = options;
    const { cluster } = options;
    // A cluster node: each live camera is pulled by one node of the cluster (cluster/ClusterUpstream.ts);
    // recordings (one session per viewer) are always this node's own.
    let registry: CameraRegistry | undefined;
    const createSession: UpstreamFactory | undefined = cluster
      ? cluster.upstreamFactory(options.createSession ?? ((o) => new RtspSession(o)), (name: string): boolean => registry?.configOf(name)?.recording !== true)
      : options.createSession;
    const cameras = new CameraRegistry({ logger, createSession });
    registry = cameras;
    // TURN REST: a credential per viewer and for the server's peers; the secret stays in TurnRest.
    const turn = turnRestOf(config.webrtc.turn);
    let turnProbe: TurnProbe | undefined;
    // First the WebRTC ports: one already in use stops the start before a camera is opened.
    const { udpPort, tcpPort, announcedAddresses, announceInterfaces, iceHostAddresses } = config.webrtc;
    const iceMux = await IceMux.start({ udpPort, tcpPort, announcedAddresses, announceInterfaces, hostAddresses: iceHostAddresses, logger: logger.child({ module: 'webrtc' }) });
    const peer = peerSettings({
      iceServers: config.webrtc.iceServers,
      iceHostAddresses,
      turn,
      turnForServer: config.webrtc.turn?.forServer,
      turnUsable: () => turnProbe?.usable ?? true,
      iceTransportPolicy: config.webrtc.iceTransportPolicy,
      // Without the UDP port, werift's own sockets announce them (binding a socket each).
      network: iceMux?.udpPort !== undefined ? { mux: iceMux } : { mux: iceMux, additionalHostAddresses: announcedAddresses },
    });
    if (turn && config.webrtc.turn?.forServer !== false) {
      // A TURN server that refuses camrtc's credential would hold every server offer back for seconds.
      turnProbe = TurnProbe.start({ turn, label: SERVER_TURN_LABEL, network: peer.network, logger: logger.child({ module: 'webrtc' }) }).probe;
    }
    const broker = new OfferBroker({ peer, logger: logger.child({ module: 'session' }) });
    // Every viewer session, whatever its transport: the control API's viewer list and /metrics.
    const viewers = new ViewerDirectory();
    // Its own registry: several cores may run in one process (tests, a library user's app).
    const metrics = new ServerMetrics({ cameras, sessions: viewers });
    let usersOf: UserDirectory | undefined;
    const logins: Logins = {
      sessions: new LoginSessions({ users: { principal: (name) => usersOf?.principal(name) }, idleSeconds: config.auth?.sessionIdleSeconds }),
      throttle: new LoginThrottle(options.loginThrottle),
    };
    let demo: DemoCamera | undefined;
    try {
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
      const control = new CameraControl({
        registry: cameras,
        config,
        logger: logger.child({ module: 'control' }),
        builtIn: withDemo ? ['demo'] : [],
        ...(options.configFile ? { file: options.configFile } : {}),
      });
      const whep = new WhepEndpoint({ cameras, logger: logger.child({ module: 'whep' }), peer, authenticator: access.authenticator, viewers, ...(routers ? { router: routers.whep } : {}) });
      // In the background: the first viewer then finds werift's handshake code already compiled.
      const warmUp = WebRtcWarmUp.start(logger.child({ module: 'webrtc' }));
      return new CamrtcCore(config, logger, cameras, control, viewers, metrics, access, logins, hosts, peer, broker, whep, tokens.viewerTokens, demo, warmUp, turnProbe, iceMux, cluster, routers);
    } catch (err) {
      await turnProbe?.close();
      await broker.close().catch(() => undefined);
      await iceMux?.close().catch(() => undefined);
      await cameras.close().catch(() => undefined);
      await demo?.close().catch(() => undefined);
      logins.sessions.close();
      logins.throttle.close();
      metrics.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** camrtc's routes (relative paths: mount them where they should be served). */
  routes(webRoot: string, selection: RouteSelection = {}): Router {
    const { config, logger } = this;
    return camrtcRoutes({
      cameras: this.cameras,
      webRoot,
      logger: logger.child({ module: 'http' }),
      allowedOrigins: config.allowedOrigins,
      hosts: this.hosts,
      access: this.access,
      whep: this.whep,
      guarded: selection.guarded === true,
      snapshots: this.snapshots,
      ...(selection.tokens && this.viewerTokens ? { tokens: this.viewerTokens } : {}),
      ...(selection.metrics ? { metrics: this.metrics } : {}),
      ...(selection.controlApi ? { api: this.controlApi() } : {}),
    });
  }

  /** The control API router (http/cameraApi.ts), to mount at /api. */
  controlApi(): Router {
    return cameraApi({
      registry: this.cameras,
      control: this.control,
      viewers: this.viewers,
      authenticator: this.access.authenticator,
      allowedOrigins: this.config.allowedOrigins,
      logger: this.logger.child({ module: 'api' }),
      bitrateIn: (camera) => this.metrics.bitsPerSecond(camera),
      ...(this.cluster ? { cluster: this.cluster } : {}),
    });
  }

  /**
   * An offer to put in a camera page (OfferBroker.pageOffer), when one can be had, for `who`, who
   * passed the access decision.
   */
  async pageOffer(name: string, who: Principal): Promise<PageOffer | undefined> {
    const camera = this.cameras.get(name);
    const offer = camera ? await this.broker.pageOffer(camera) : undefined;
    // The page's early script answers before its socket is open: it needs its ICE servers now.
    return offer && { ...offer, ...this.peer.browserIce(principalLabel(who)) };
  }

  /** The WebSocket signaling endpoint on `server`'s upgrade event, at `path`; closed by close(). */
  attachSignaling(server: HttpServer | HttpsServer, path: string = SIGNALING_PATH): SignalingServer {
    const signaling = new SignalingServer({
      server,
      path,
      cameras: this.cameras,
      logger: this.logger.child({ module: 'signaling' }),
      peer: this.peer,
      broker: this.broker,
      // A cluster's pages follow redirects between nodes: every node's origin is allowed.
      allowedOrigins: this.cluster?.allowedOrigins ?? this.config.allowedOrigins,
      hosts: this.hosts,
      authenticator: this.access.authenticator,
      viewers: this.viewers,
      ...(this.routers ? { router: this.routers.signaling } : {}),
    });
    this.#signaling.add(signaling);
    return signaling;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const log = (what: string) => (err: unknown) => this.logger.error({ err }, `closing ${what} failed`);
      await this.warmUp.close();
      this.snapshots.close();
      await this.turnProbe?.close();
      await Promise.all([...this.#signaling].map((s) => s.close().catch(log('signaling'))));
      await this.whep.close().catch(log('WHEP sessions'));
      await this.broker.close().catch(log('spare viewers'));
      await this.iceMux?.close().catch(log('the WebRTC ports'));
      await this.cameras.close().catch(log('cameras'));
      await this.demoCamera?.close().catch(log('demo camera'));
      this.logins.sessions.close();
      this.logins.throttle.close();
      this.metrics.close();
    })();
    return this.#closing;
  }
}
