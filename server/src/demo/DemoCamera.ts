/**
 * camrtc's built-in demo camera: the RTSP server (rtsp/server/) with one mount, the demo's clip and
 * tone (RtpStreamSource), and optional credentials. Every client gets the same packets (same SSRC,
 * sequence numbers and timestamps), from the next packet after its PLAY, over TCP interleaved or UDP,
 * like an IP camera. The misbehaving test cameras are in test/helpers/faultyCamera.ts.
 */
import { CamrtcError } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { RtspServer } from '../rtsp/server/RtspServer.js';
import { authHook, ServerAuth, type ServerAuthOptions } from '../rtsp/server/ServerAuth.js';
import type { RtpStreamSource } from './RtpStreamSource.js';

/** `requests` keeps the most recent entries only, so a long-running demo does not grow without bound. */
export const MAX_REQUEST_LOG = 10_000;
export const DEMO_REALM = 'camrtc-demo';

export interface DemoCameraOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Path of the stream, default '/demo'. */
  path?: string;
  /** One RTSP track each, in this order (trackID=0, 1, ...). The camera starts and closes them. */
  streams: RtpStreamSource[];
  /** Require these credentials for every method except OPTIONS (realm DEMO_REALM unless given). */
  auth?: ServerAuthOptions;
  logger?: Logger;
  /** Seconds; default the server's (60). */
  sessionTimeoutS?: number;
}

export class DemoCamera {
  /** Every request received (method and URI), oldest first: for test assertions. */
  readonly requests: { method: string; uri: string }[] = [];
  /** Keyframe requests (RTCP PLI/FIR) received from clients. */
  keyframeRequests = 0;
  readonly server: RtspServer;

  private readonly path: string;
  private readonly streams: readonly RtpStreamSource[];
  private readonly log: Logger;
  private listenUrl: string | undefined;

  constructor(options: DemoCameraOptions) {
    if (options.streams.length === 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'the demo camera needs at least one stream');
    this.path = options.path ?? '/demo';
    this.streams = [...options.streams];
    const log = (this.log = (options.logger ?? silentLogger()).child({ module: 'demo-camera' }));
    this.server = new RtspServer({
      host: options.host,
      port: options.port,
      logger: log,
      serverName: 'camrtc-demo',
      sessionTimeoutS: options.sessionTimeoutS,
      hooks: options.auth ? [authHook(new ServerAuth({ realm: DEMO_REALM, ...options.auth }))] : [],
    });
    this.server.on('request', (req) => {
      this.requests.push({ method: req.method, uri: req.uri });
      if (this.requests.length > MAX_REQUEST_LOG) this.requests.splice(0, this.requests.length - MAX_REQUEST_LOG);
      log.debug({ method: req.method, uri: req.uri }, 'demo camera request');
    });
    this.server.on('keyframeRequest', () => this.keyframeRequests++);
  }

  get closed(): boolean {
    return this.server.closed;
  }

  /** rtsp://host:port/path once listening. */
  get url(): string | undefined {
    return this.listenUrl;
  }

  /** Number of connected RTSP clients. */
  get clientCount(): number {
    return this.server.connectionCount;
  }

  async listen(): Promise<{ port: number; url: string }> {
    const { port } = await this.server.listen();
    await this.server.mount(this.path, { tracks: this.streams, sessionName: 'camrtc demo camera' });
    for (const s of this.streams) s.start();
    this.listenUrl = this.server.urlOf(this.path);
    this.log.info({ url: this.listenUrl }, 'demo camera listening');
    return { port, url: this.listenUrl };
  }

  /** Destroys every client connection at once, like a camera that reboots. The camera keeps listening. */
  dropConnections(): void {
    this.server.dropConnections();
  }

  /** Stops listening, disconnects every client, closes the streams. Idempotent. */
  async close(): Promise<void> {
    await this.server.close();
    for (const s of this.streams) s.close();
  }
}
