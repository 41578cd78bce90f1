/**
 * An RTSP session that talks to a camera: DESCRIBE, SETUP and PLAY with `Require:
 * www.onvif.org/ver20/backchannel` on every request (ONVIF Streaming 5.3), then RTP to the camera's
 * ONVIF audio backchannel (its a=sendonly audio track) until close() (TEARDOWN). A session of its own,
 * apart from the one that receives the camera's media: it lives only while someone talks (doorbells
 * lose their call button while a backchannel is set up), and a camera that has to refuse it (one
 * backchannel at a time) never costs viewers their picture.
 *
 * Every described track is set up, as in the ONVIF specification's example session, not only the
 * backchannel: GStreamer's ONVIF server (and the cameras built on it) stops a media whose other
 * streams are not set up ("not-linked"), silently, after answering PLAY. What they carry is dropped
 * here, so the session is always interleaved (TCP): no UDP ports for media nobody reads. That costs
 * the camera's stream once more on the network while someone talks. Nothing is watched for stalls:
 * keepalives hold the session, and a dropped connection ends it (`close` event with the error).
 */
import { randomBytes } from 'node:crypto';
import { CamrtcError, RtspStatusError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { parseSessionDescription } from '../sdp/SessionDescription.js';
import { isBackchannel } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { ONVIF_BACKCHANNEL } from './backchannel.js';
import { resolveBaseUrl } from './baseUrl.js';
import { DEFAULT_SESSION_TIMEOUT_S } from './headers/Session.js';
import { parsePublic } from './headers/Public.js';
import { RtspLink, type LinkSink, type TrackRoute } from './RtspLink.js';
import { KEEPALIVE_MARGIN_S, DEFAULT_TEARDOWN_TIMEOUT_MS } from './RtspSession.js';
import { parseRtspUrl } from './url.js';

export interface BackchannelSessionOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly cameraName: string;
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
  readonly tlsInsecure?: boolean;
  readonly logger: Logger;
  /** Overrides the keepalive period (default: session timeout minus 5 s). */
  readonly keepaliveIntervalMs?: number;
}

export type BackchannelSessionEvents = {
  /** Once. With an error when the connection dropped or start() failed. */
  close: [error?: CamrtcError];
};

export class BackchannelSession extends TypedEmitter<BackchannelSessionEvents> implements LinkSink {
  readonly #options: BackchannelSessionOptions;
  readonly #log: Logger;
  #link: RtspLink | undefined;
  #route: TrackRoute | undefined;
  #track: Track | undefined;
  #sessionUrl = '';
  #keepalive: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: BackchannelSessionOptions) {
    super();
    this.#options = options;
    this.#log = options.logger.child({ module: 'backchannel' });
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }
  /** The camera's backchannel track as this session set it up (its codec is what the camera wants). */
  get track(): Track | undefined {
    return this.#track;
  }

  /** Connects, sets up the backchannel, plays. Rejects (and closes) on any failure. */
  async start(): Promise<Track> {
    const url = parseRtspUrl(this.#options.url);
    if (url instanceof CamrtcError) throw new CamrtcError(url.code, `camera '${this.#options.cameraName}': ${url.message}`);
    const require = { Require: ONVIF_BACKCHANNEL };
    try {
      const ssrc = randomBytes(4).readUInt32BE(0);
      const link = await RtspLink.open(
        {
          url,
          credentials: this.#credentials(url),
          cameraName: this.#options.cameraName,
          connectTimeoutMs: this.#options.connectTimeoutMs,
          readTimeoutMs: this.#options.readTimeoutMs,
          logger: this.#log,
          tlsOptions: this.#options.tlsInsecure ? { rejectUnauthorized: false } : undefined,
          udpBindAddress: '0.0.0.0',
          ssrc,
          cname: `camrtc-${ssrc.toString(16)}`,
        },
        this,
      );
      this.#link = link;
      if (this.closed) throw new CamrtcError('ERR_CLOSED', 'the backchannel session was closed');
      const options = await link.request('OPTIONS', url.href, require).catch((err: unknown) => {
        if (err instanceof RtspStatusError && err.code === 'ERR_RTSP_AUTH') throw err;
        return undefined;
      });
      const described = await link.request('DESCRIBE', url.href, { ...require, Accept: 'application/sdp' });
      if (described.status >= 300) throw new CamrtcError('ERR_RTSP_REDIRECT', `camera '${this.#options.cameraName}' redirected its backchannel: not followed`);
      this.#sessionUrl = resolveBaseUrl(described.headers.get('Content-Base'), described.headers.get('Content-Location'), url, () => undefined);
      const sdp = parseSessionDescription(described.body.toString('utf8'), this.#sessionUrl);
      if (sdp instanceof CamrtcError) throw sdp;
      const track = sdp.tracks.find((t) => t.kind === 'audio' && isBackchannel(t));
      if (!track) throw new CamrtcError('ERR_TALK_UNAVAILABLE', `camera '${this.#options.cameraName}' offers no audio backchannel`);
      this.#track = track;
      this.#checkOpen();
      for (const [i, t] of sdp.tracks.entries()) {
        const route = await link.setup(t, i, 'tcp', require);
        if (t === track) this.#route = route;
        this.#checkOpen();
      }
      await link.request('PLAY', this.#sessionUrl, require);
      this.#checkOpen();
      const publicHeader = options?.headers.get('Public');
      const methods = publicHeader === undefined ? [] : parsePublic(publicHeader);
      const method = Array.isArray(methods) && methods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
      const timeoutS = link.sessionTimeoutS ?? DEFAULT_SESSION_TIMEOUT_S;
      const every = this.#options.keepaliveIntervalMs ?? Math.max(1_000, (timeoutS - KEEPALIVE_MARGIN_S) * 1000);
      this.#keepalive = setInterval(() => this.#link?.sendKeepalive(method, this.#sessionUrl), every);
      this.#log.info({ codec: track.codec, clockRate: track.clockRate }, 'backchannel open: talking to the camera');
      return track;
    } catch (err) {
      const error = toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST');
      void this.#shutdown(error);
      throw error;
    }
  }

  /** One RTP packet for the camera's speaker, in the backchannel's payload type. Never waits. */
  send(packet: Buffer): void {
    const link = this.#link;
    if (!link || !this.#route || this.closed) return;
    link.sendRtp(this.#route, packet);
  }

  /** TEARDOWN (short timeout), then closes. Idempotent. */
  close(): Promise<void> {
    return this.#shutdown(undefined);
  }

  // ---- LinkSink: nothing is expected back but the camera's RTCP ----

  onRtp(): void {}
  onRtcp(): void {}
  onClose(link: RtspLink, error?: CamrtcError): void {
    if (link !== this.#link || this.closed) return;
    void this.#shutdown(error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', `the backchannel connection to camera '${this.#options.cameraName}' was lost`));
  }

  #credentials(url: { username?: string; password?: string }): { username: string; password: string } | undefined {
    const username = this.#options.username ?? url.username;
    if (username === undefined) return undefined;
    return { username, password: this.#options.password ?? url.password ?? '' };
  }

  #checkOpen(): void {
    if (this.closed) throw new CamrtcError('ERR_CLOSED', 'the backchannel session was closed');
  }

  #shutdown(error: CamrtcError | undefined): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      clearInterval(this.#keepalive);
      const link = this.#link;
      this.#link = undefined;
      if (error && error.code !== 'ERR_CLOSED') this.#log.warn({ code: error.code }, `backchannel closed: ${error.message}`);
      if (link) await link.teardown(this.#sessionUrl, DEFAULT_TEARDOWN_TIMEOUT_MS);
      this.safeEmit('close', error);
    })();
    return this.#closing;
  }
}
