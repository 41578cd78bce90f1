/**
 * A test camera: the RTSP server (server/src/rtsp/server/) serving RtpStreamSources at one path,
 * with the options of real cameras the built-in demo does not need (rtsps, multicast, a session
 * timeout), faults (cameraFaults.ts) and reboots: stop() and start() again on the same port, with
 * the same streams or the same ones in another order (a camera whose tracks come back reordered).
 * It logs every request it receives, for assertions on what a client sent.
 */
import { CamrtcError } from '../../server/src/errors.js';
import { silentLogger, type Logger } from '../../server/src/log/logger.js';
import type { RtpStreamSource } from '../../server/src/demo/RtpStreamSource.js';
import { RtspServer } from '../../server/src/rtsp/server/RtspServer.js';
import { authHook, ServerAuth, type ServerAuthOptions } from '../../server/src/rtsp/server/ServerAuth.js';
import type { MulticastOptions } from '../../server/src/rtsp/server/ServerTransport.js';
import { methodFaultHook, packetFaultHook, transportFaultHook, unauthorizedHook, type CameraFaults } from './cameraFaults.js';

export type { CameraFaults } from './cameraFaults.js';

export interface FaultyCameraOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port); kept across restarts. */
  port?: number;
  /** Default '/demo'. */
  path?: string;
  /** One track each, in this order. The camera starts them on first listen and closes them in close(). */
  streams: RtpStreamSource[];
  auth?: ServerAuthOptions;
  /** Read on every request and packet: a test may change it while clients are connected. */
  faults?: CameraFaults;
  sessionTimeoutS?: number;
  tls?: { key: string | Buffer; cert: string | Buffer };
  multicast?: MulticastOptions;
  logger?: Logger;
}

export class FaultyCamera {
  /** Every request received (method and URI), across restarts, oldest first. */
  readonly requests: { method: string; uri: string }[] = [];
  /** Keyframe requests (RTCP PLI/FIR) received. */
  keyframeRequests = 0;
  readonly faults: CameraFaults;
  readonly path: string;

  private streams: RtpStreamSource[];
  private readonly auth: ServerAuth | undefined;
  private server: RtspServer | undefined;
  private portValue: number;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: FaultyCameraOptions) {
    if (options.streams.length === 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'a test camera needs at least one stream');
    this.streams = [...options.streams];
    this.faults = options.faults ?? {};
    this.path = options.path ?? '/demo';
    this.portValue = options.port ?? 0;
    this.auth = options.auth ? new ServerAuth({ realm: 'camrtc-demo', ...options.auth }) : undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The port, once listening (the same after a restart). */
  get port(): number {
    return this.portValue;
  }

  /** rtsp://host:port/path (rtsps:// with TLS) once listening. */
  get url(): string | undefined {
    return this.server?.origin === undefined ? undefined : this.server.urlOf(this.path);
  }

  get clientCount(): number {
    return this.server?.connectionCount ?? 0;
  }

  /** The running server (undefined while stopped). */
  get rtspServer(): RtspServer | undefined {
    return this.server;
  }

  /** Same as start(): the first time, on `port` or any free port. */
  listen(): Promise<{ port: number; url: string }> {
    return this.start();
  }

  /**
   * Starts serving, on the port of the previous run if any. `streams` changes the tracks (their
   * order: trackID=0 is the first); the streams given are started and closed by the camera too.
   */
  async start(options: { streams?: RtpStreamSource[] } = {}): Promise<{ port: number; url: string }> {
    if (this.isClosed) throw new CamrtcError('ERR_CLOSED', 'the test camera is closed');
    if (this.server) throw new CamrtcError('ERR_INTERNAL', 'the test camera is already running');
    if (options.streams) {
      if (options.streams.length === 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'a test camera needs at least one stream');
      this.streams = [...options.streams];
    }
    const o = this.options;
    const faults = this.faults;
    const server = new RtspServer({
      host: o.host,
      port: this.portValue,
      tls: o.tls,
      logger: (o.logger ?? silentLogger()).child({ module: 'test-camera' }),
      serverName: 'camrtc-demo',
      sessionTimeoutS: o.sessionTimeoutS,
      hooks: [
        transportFaultHook(faults),
        unauthorizedHook(faults, this.auth),
        ...(this.auth ? [authHook(this.auth)] : []),
        methodFaultHook(faults, this.path),
      ],
      packetHooks: [packetFaultHook(faults)],
    });
    server.on('request', (req) => this.requests.push({ method: req.method, uri: req.uri }));
    server.on('keyframeRequest', () => this.keyframeRequests++);
    this.server = server;
    try {
      const { port } = await server.listen();
      await server.mount(this.path, { tracks: this.streams, sessionName: 'camrtc test camera' }, { multicast: o.multicast });
      this.portValue = port;
    } catch (err) {
      this.server = undefined;
      await server.close();
      throw err;
    }
    for (const s of this.streams) s.start();
    return { port: this.portValue, url: this.url! };
  }

  /** Goes away like a camera that is switched off: connections dropped, port closed. The streams keep their timelines. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** stop() then start(): a reboot, optionally with the tracks in another order. */
  async restart(options: { streams?: RtpStreamSource[] } = {}): Promise<{ port: number; url: string }> {
    await this.stop();
    return this.start(options);
  }

  /** Destroys every client connection at once; the camera keeps listening. */
  dropConnections(): void {
    this.server?.dropConnections();
  }

  /** Stops and closes every stream it was given. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.isClosed = true;
      await this.stop();
      for (const s of [...this.options.streams, ...this.streams]) s.close();
    })();
    return this.closing;
  }
}
