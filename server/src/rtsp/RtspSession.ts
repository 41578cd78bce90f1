/**
 * One RTSP session with one camera: OPTIONS, DESCRIBE, SETUP of the selected tracks, PLAY, then
 * keepalives and receiver reports until close() (TEARDOWN). Emits each RTP packet in the tick it
 * arrives, including packets that come before the PLAY answer. The wire work per connection is in
 * RtspLink; this class owns the phases, the state, the timers and the UDP-to-TCP fallback.
 */
import { RtpReorderBuffer } from '../rtp/RtpReorderBuffer.js';
import { randomBytes } from 'node:crypto';
import { CamrtcError, RtspStatusError, toCamrtcError } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { parseSessionDescription, selectPlayableTracks } from '../sdp/SessionDescription.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { Credentials } from './auth.js';
import type { RtspResponse } from './message.js';
import { DEFAULT_SESSION_TIMEOUT_S } from './headers/Session.js';
import { parsePublic } from './headers/Public.js';
import { DEFAULT_READ_TIMEOUT_MS } from './RtspConnection.js';
import { RtspLink, type LinkSink, type LinkTransport, type TrackRoute } from './RtspLink.js';
import type { PlayOptions, RtspSessionEvents, RtspSessionOptions, RtspSessionState, RtspTransportMode } from './RtspSessionTypes.js';
import { sharedTransportMemory, type TransportMemory } from './TransportMemory.js';
import { parseRtspUrl, type RtspUrl } from './url.js';
import { locationCredentials, redirectTarget, resolveBaseUrl, sameOrigin, withheldCredentialsError, withheldFrom } from './baseUrl.js';
import { playHeaders } from './headers/Range.js';
import { looksLikeRtp } from '../rtp/RtpPacket.js';
import { udpRefused } from './TransportMemory.js';
import { BACKCHANNEL_SETUP_REFUSAL_MS, describeWithBackchannel, ONVIF_BACKCHANNEL, sharedBackchannelMemory } from './backchannel.js';

export type { PlayOptions, RtspSessionEvents, RtspSessionOptions, RtspSessionState, RtspTransportMode } from './RtspSessionTypes.js';

export const MAX_REDIRECTS = 3;
export const DEFAULT_AUTO_FALLBACK_MS = 3_000;
export const DEFAULT_RECEIVER_REPORT_INTERVAL_MS = 5_000;
export const DEFAULT_TEARDOWN_TIMEOUT_MS = 1_000;
/** Keepalives go this long before the session timeout. */
export const KEEPALIVE_MARGIN_S = 5;
const MIN_KEEPALIVE_MS = 1_000;
/** What PLAY asks for when no Range is given: from the start of a recording, "now" for a live camera. */
export const DEFAULT_PLAY_RANGE = 'npt=0.000-';

export class RtspSession extends TypedEmitter<RtspSessionEvents> implements LinkSink {
  private readonly options: RtspSessionOptions;
  private readonly log: Logger;
  private readonly name: string;
  private readonly readTimeoutMs: number;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private _state: RtspSessionState = 'idle';
  private link: RtspLink | undefined;
  /** The session's aggregate URL (base of the description): PLAY, PAUSE, keepalives, TEARDOWN. */
  private sessionUrl = '';
  private publicMethods: readonly string[] = [];
  private tracks: readonly Track[] = [];
  private described: readonly Track[] = [];
  private readonly memory: TransportMemory;
  /** Credential-free camera URL: the key of the transport memory. */
  private readonly memoryKey: string;
  private invalidPackets = 0;
  /**
   * Every link the session opened (redirects and the UDP-to-TCP fallback make a few, never more than
   * MAX_REDIRECTS + 2): their reporters count the loss, which outlives the link.
   */
  private readonly links: RtspLink[] = [];
  private timers: NodeJS.Timeout[] = [];
  private fallbackTimer: NodeJS.Timeout | undefined;
  private lastRtpAt = 0;
  private receivedRtp = false;
  /** The last DESCRIBE carried the backchannel's Require header and the camera took it. */
  private withBackchannel = false;
  private closing: Promise<void> | undefined;

  constructor(options: RtspSessionOptions) {
    super();
    this.options = { ...options };
    const url = parseRtspUrl(options.url);
    this.name = options.cameraName ?? (url instanceof CamrtcError ? 'camera' : url.host);
    const base = options.logger ?? silentLogger();
    // A Source's logger already names the camera; a second `camera` key would repeat it in every line.
    this.log = base.child('camera' in base.bindings() ? { module: 'rtsp' } : { module: 'rtsp', camera: this.name });
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.memory = options.transportMemory ?? sharedTransportMemory;
    this.memoryKey = url instanceof CamrtcError ? '' : url.href;
  }

  get state(): RtspSessionState {
    return this._state;
  }

  get closed(): boolean {
    return this._state === 'closed';
  }

  /** The transport in use ('udp', 'tcp' or 'multicast'), once set up. */
  get transport(): LinkTransport | undefined {
    return this.link?.transport;
  }

  /** The last DESCRIBE carried the backchannel's Require header and the camera took it. */
  get describedWithBackchannel(): boolean {
    return this.withBackchannel;
  }

  /** Every track of the camera's session description (metadata and backchannels included), once described. */
  get describedTracks(): readonly Track[] {
    return this.described;
  }

  /** Packets dropped because they were not RTP (truncated or corrupt interleaved frames, stray datagrams). */
  get invalidPacketCount(): number {
    return this.invalidPackets;
  }

  /** RTP packets never received (sequence gaps of each track), over the session's whole life. */
  get lostPacketCount(): number {
    let lost = 0;
    for (const link of this.links) for (const route of link.routes) lost += route.reporter.packetsLost;
    return lost;
  }

  /** Connects, describes, sets up and plays. Rejects (and closes the session) on any failure. */
  async start(): Promise<{ tracks: readonly Track[] }> {
    if (this._state !== 'idle') {
      throw new CamrtcError('ERR_RTSP_INVALID_STATE', `start() needs state idle, the session is ${this._state}`, { allowed: ['idle'], actual: this._state });
    }
    this.setState('starting');
    try {
      const mode: RtspTransportMode = this.options.transport ?? 'tcp';
      const remembered = mode === 'auto' ? this.memory.get(this.memoryKey) : undefined;
      if (mode === 'auto' && remembered === 'tcp') {
        this.log.debug('transport auto: TCP worked for this camera before');
        await this.establish('tcp');
      } else if (mode === 'auto') {
        try {
          await this.establish('udp');
        } catch (err) {
          if (this.closing || !udpRefused(err)) throw err;
          this.log.info({ err }, 'UDP refused by the camera; using TCP');
          this.memory.set(this.memoryKey, 'tcp');
          this.dropLink();
          await this.establish('tcp');
        }
      } else {
        await this.establish(mode);
      }
      this.checkOpen();
      this.setState('playing');
      this.startTimers();
      if (mode === 'auto' && this.transport !== 'tcp') this.armFallback();
      return { tracks: this.tracks };
    } catch (err) {
      const error = toCamrtcError(err);
      void this.shutdown(error);
      throw error;
    }
  }

  /** Sends PAUSE. Cameras that refuse it answer with an error status (RtspStatusError); the state stays playing. */
  async pause(): Promise<void> {
    const link = this.requireState('playing', 'pause()');
    await link.request('PAUSE', this.sessionUrl);
    this.checkOpen();
    this.setState('paused');
  }

  /**
   * Resumes after pause(). `range` (e.g. `npt=30.000-`) and `scale` are for recordings (NVR playback
   * URLs): they play from that position, at that speed.
   */
  async play(options: PlayOptions = {}): Promise<void> {
    const link = this.requireState('paused', 'play()');
    const headers: Record<string, string> = {};
    if (options.range !== undefined) headers.Range = options.range;
    if (options.scale !== undefined) headers.Scale = String(options.scale);
    await link.request('PLAY', this.sessionUrl, headers);
    this.checkOpen();
    this.lastRtpAt = performance.now();
    this.setState('playing');
  }

  /** TEARDOWN (short timeout), then closes sockets. Idempotent; resolves when everything is released. */
  close(): Promise<void> {
    return this.shutdown(undefined);
  }

  // ---- LinkSink: the packet path -------------------------------------------------------------

  onRtp(route: TrackRoute, packet: Buffer): void {
    if (!looksLikeRtp(packet)) {
      // A truncated or corrupt frame must not reach the depacketizers, nor count as media arriving.
      if (this.invalidPackets++ === 0) this.log.warn({ track: route.track.index, bytes: packet.length }, 'dropped a media packet that is not RTP');
      return;
    }
    if (!this.receivedRtp) {
      this.receivedRtp = true;
      if (this.fallbackTimer) clearTimeout(this.fallbackTimer);
      if (this.options.transport === 'auto') this.memory.set(this.memoryKey, route.udp ? (route.multicastGroup ? 'multicast' : 'udp') : 'tcp');
    }
    this.lastRtpAt = performance.now();
    route.reporter.onRtp(packet);
    if (!route.udp) {
      this.safeEmit('rtp', route.track.index, packet);
      return;
    }
    // UDP may reorder; TCP never does, so only UDP routes pay for the reorder stage.
    let reorder = this.reorderBuffers.get(route);
    if (!reorder) this.reorderBuffers.set(route, (reorder = new RtpReorderBuffer()));
    reorder.push(packet, (p) => this.safeEmit('rtp', route.track.index, p));
  }

  private readonly reorderBuffers = new WeakMap<TrackRoute, RtpReorderBuffer>();

  onRtcp(route: TrackRoute, packet: Buffer): void {
    route.reporter.onRtcp(packet, performance.now());
    this.safeEmit('rtcp', route.track.index, packet);
  }

  onClose(link: RtspLink, error?: CamrtcError): void {
    if (link !== this.link || this.closing) return;
    // During start() the pending request rejects and start() closes the session with that error.
    if (this._state === 'playing' || this._state === 'paused') {
      void this.shutdown(error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', `the connection to camera '${this.name}' was lost`));
    }
  }

  // ---- phases ----------------------------------------------------------------------------------

  private async establish(mode: LinkTransport): Promise<void> {
    const configured = this.parseUrl();
    let url = configured;
    try {
      let credentials = this.credentials(url);
      for (let redirects = 0; ; redirects++) {
        const link = await RtspLink.open(
          {
            url,
            credentials,
            cameraName: this.name,
            connectTimeoutMs: this.options.connectTimeoutMs,
            readTimeoutMs: this.options.readTimeoutMs,
            logger: this.log,
            tlsOptions: this.options.tlsInsecure ? { ...this.options.tlsOptions, rejectUnauthorized: false } : this.options.tlsOptions,
            udpBindAddress: this.options.udpBindAddress ?? '0.0.0.0',
            ssrc: this.ssrc,
            cname: `camrtc-${this.ssrc.toString(16)}`,
          },
          this,
        );
        if (this.closing) {
          link.close();
          this.checkOpen();
        }
        this.link = link;
        this.links.push(link);
        const redirect = await this.describe(link, url);
        if (redirect === undefined) break;
        if (redirects >= MAX_REDIRECTS) throw new CamrtcError('ERR_RTSP_REDIRECT', `camera '${this.name}' redirected more than ${MAX_REDIRECTS} times`);
        if (url.scheme === 'rtsps' && redirect.scheme !== 'rtsps') {
          throw new CamrtcError('ERR_RTSP_REDIRECT', `camera '${this.name}' redirected from rtsps to rtsp; refused`);
        }
        // The configured credentials go only to the scheme, host and port they were configured for;
        // elsewhere only what the Location itself carries (the redirecting camera already knew it).
        credentials = sameOrigin(redirect, configured) ? this.credentials(configured) : locationCredentials(redirect);
        this.log.info({ location: redirect.href, credentials: credentials !== undefined }, 'following RTSP redirect');
        this.dropLink();
        url = redirect;
      }
      const link = this.link!;
      for (let i = 0; i < this.tracks.length; i++) {
        await link.setup(this.tracks[i], i, mode);
        this.checkOpen();
      }
      if (mode !== 'tcp') this.sendReports();
      // A media described with its backchannel is live by nature; GStreamer's ONVIF server (and the
      // cameras built on it) fails the seek a Range asks for on it (503), so none is sent then.
      const range = this.options.range ?? (this.withBackchannel ? undefined : DEFAULT_PLAY_RANGE);
      await link.request('PLAY', this.sessionUrl, playHeaders(range, this.options.scale));
      this.checkOpen();
      this.lastRtpAt = performance.now();
      this.log.info({ transport: link.transport ?? mode, tracks: this.tracks.map((t) => `${t.kind} ${t.codec}`) }, 'RTSP session playing');
    } catch (err) {
      // Described with the backchannel, then refused: the next attempt goes without it for a while
      // (not for a UDP SETUP that transport 'auto' retries over TCP: that may be the UDP refused).
      const fallsBackToTcp = mode !== 'tcp' && this.options.transport === 'auto' && udpRefused(err);
      if (this.withBackchannel && err instanceof RtspStatusError && err.code !== 'ERR_RTSP_AUTH' && !fallsBackToTcp) {
        (this.options.backchannelMemory ?? sharedBackchannelMemory).remember(this.memoryKey, BACKCHANNEL_SETUP_REFUSAL_MS);
        this.log.info({ status: err.status }, 'the camera refused a session described with its backchannel: describing without it for a while');
      }
      // A redirect target that wants the credentials camrtc kept back would otherwise read as "wrong password".
      if (err instanceof RtspStatusError && err.status === 401 && withheldFrom(url, configured, this.credentials(configured))) throw withheldCredentialsError(this.name, url, configured);
      throw err;
    }
  }

  /** OPTIONS + DESCRIBE. Returns the redirect target, if the camera redirects. */
  private async describe(link: RtspLink, url: RtspUrl): Promise<RtspUrl | undefined> {
    try {
      const res = await link.request('OPTIONS', url.href);
      if (res.status >= 300) return redirectTarget(res.headers.get('Location'), this.name);
      const pub = res.headers.get('Public');
      const methods = pub === undefined ? [] : parsePublic(pub);
      this.publicMethods = methods instanceof CamrtcError ? [] : methods;
    } catch (err) {
      // OPTIONS is optional for many cameras: only authentication and transport failures matter.
      if (!(err instanceof RtspStatusError) || err.code === 'ERR_RTSP_AUTH') throw err;
      this.log.debug({ status: err.status }, 'camera refused OPTIONS; going on');
    }
    this.checkOpen();

    const res = await this.requestDescribe(link, url);
    this.checkOpen();
    if (res.status >= 300) return redirectTarget(res.headers.get('Location'), this.name);

    this.sessionUrl = resolveBaseUrl(res.headers.get('Content-Base'), res.headers.get('Content-Location'), url, (announced) =>
      this.log.warn({ announced }, "camera announced a base URL on another host (NAT?); keeping its path on the camera's address"),
    );
    const sdp = parseSessionDescription(res.body.toString('utf8'), this.sessionUrl);
    if (sdp instanceof CamrtcError) throw sdp;
    this.described = sdp.tracks;
    for (const r of sdp.rejected) this.log.warn({ track: r.index, code: r.error.code }, `media section left out: ${r.error.message}`);
    const selected = (this.options.selectTracks ?? selectPlayableTracks)(sdp.tracks);
    if (selected.length === 0) {
      const offered = sdp.tracks.map((t) => `${t.kind} ${t.codec}`).join(', ') || 'none';
      throw new CamrtcError('ERR_RTSP_NO_TRACKS', `camera '${this.name}' offers no track camrtc can play (it offers: ${offered})`, { offered });
    }
    this.tracks = selected;
    return undefined;
  }

  /** DESCRIBE, asking for the ONVIF backchannel when the options say so (rtsp/backchannel.ts). */
  private async requestDescribe(link: RtspLink, url: RtspUrl): Promise<RtspResponse> {
    const describe = (require: boolean): Promise<RtspResponse> =>
      link.request('DESCRIBE', url.href, { Accept: 'application/sdp', ...(require ? { Require: ONVIF_BACKCHANNEL } : {}) });
    if (!this.options.backchannel) return describe(false);
    const memory = this.options.backchannelMemory ?? sharedBackchannelMemory;
    const known = memory.refuses(this.memoryKey);
    const res = await describeWithBackchannel(describe, memory, this.memoryKey);
    this.withBackchannel = !memory.refuses(this.memoryKey);
    if (!known && !this.withBackchannel) this.log.info('the camera has no ONVIF audio backchannel (it refused the Require header): described without it');
    return res;
  }

  // ---- timers ----------------------------------------------------------------------------------

  private startTimers(): void {
    const link = this.link!;
    const timeoutS = link.sessionTimeoutS ?? DEFAULT_SESSION_TIMEOUT_S;
    const keepaliveMs = this.options.keepaliveIntervalMs ?? Math.max(MIN_KEEPALIVE_MS, (timeoutS - KEEPALIVE_MARGIN_S) * 1000);
    this.timers.push(setInterval(() => this.keepalive(), keepaliveMs));
    this.timers.push(setInterval(() => this.sendReports(), this.options.receiverReportIntervalMs ?? DEFAULT_RECEIVER_REPORT_INTERVAL_MS));
    this.timers.push(setInterval(() => this.checkStall(), Math.max(100, Math.floor(this.readTimeoutMs / 4))));
  }

  private keepalive(): void {
    const method = this.publicMethods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    this.link?.sendKeepalive(method, this.sessionUrl);
  }

  /**
   * Asks the camera for a keyframe on a track (RTCP PLI + FIR). Most IP cameras ignore it; the GOP
   * cache is what makes first frames fast. The caller rate-limits.
   */
  requestKeyframe(trackIndex: number): void {
    const link = this.link;
    if (!link || this._state !== 'playing') return;
    const route = link.routes.find((r) => r.track.index === trackIndex);
    const packet = route?.reporter.buildKeyframeRequest(performance.now());
    if (route && packet) link.sendRtcp(route, packet);
  }

  private sendReports(): void {
    const link = this.link;
    if (!link) return;
    const now = performance.now();
    for (const route of link.routes) link.sendRtcp(route, route.reporter.build(now));
  }

  private checkStall(): void {
    if (this._state !== 'playing' || this.closing) return;
    const silentMs = performance.now() - this.lastRtpAt;
    if (silentMs > this.readTimeoutMs) {
      void this.shutdown(new CamrtcError('ERR_RTSP_TIMEOUT', `no media from camera '${this.name}' for ${Math.round(silentMs / 1000)} s`, { silentMs: Math.round(silentMs) }));
    }
  }

  /** Transport 'auto': UDP packets may never arrive (NAT, firewall); switch to TCP then. */
  private armFallback(): void {
    if (this.receivedRtp) return;
    this.fallbackTimer = setTimeout(() => {
      this.fallbackTimer = undefined;
      if (this.receivedRtp || this.closing || this._state !== 'playing') return;
      this.log.warn({ afterMs: this.options.autoFallbackMs ?? DEFAULT_AUTO_FALLBACK_MS }, 'no UDP packet from the camera; switching to TCP');
      this.memory.set(this.memoryKey, 'tcp');
      const old = this.link;
      this.link = undefined;
      this.lastRtpAt = performance.now();
      void old?.teardown(this.sessionUrl, this.options.teardownTimeoutMs ?? DEFAULT_TEARDOWN_TIMEOUT_MS);
      this.establish('tcp').then(
        () => {
          this.lastRtpAt = performance.now();
        },
        (err: unknown) => void this.shutdown(toCamrtcError(err)),
      );
    }, this.options.autoFallbackMs ?? DEFAULT_AUTO_FALLBACK_MS);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private parseUrl(): RtspUrl {
    const url = parseRtspUrl(this.options.url);
    if (url instanceof CamrtcError) throw new CamrtcError(url.code, `camera '${this.name}': ${url.message}`);
    return url;
  }

  private credentials(url: RtspUrl): Credentials | undefined {
    const username = this.options.username ?? url.username;
    if (username === undefined) return undefined;
    return { username, password: this.options.password ?? url.password ?? '' };
  }

  private requireState(state: RtspSessionState, what: string): RtspLink {
    if (this._state !== state || !this.link || this.closing) {
      throw new CamrtcError('ERR_RTSP_INVALID_STATE', `${what} needs state ${state}, the session is ${this._state}`, { allowed: [state], actual: this._state });
    }
    return this.link;
  }

  private checkOpen(): void {
    if (this.closing) throw new CamrtcError('ERR_CLOSED', `the session with camera '${this.name}' was closed`);
  }

  private dropLink(): void {
    this.link?.close();
    this.link = undefined;
  }

  private setState(state: RtspSessionState): void {
    if (this._state === state) return;
    this._state = state;
    this.safeEmit('state', state);
  }

  private shutdown(error: CamrtcError | undefined): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      if (this.fallbackTimer) clearTimeout(this.fallbackTimer);
      this.setState('closed');
      if (error) this.log.warn({ err: error }, 'RTSP session closed');
      const link = this.link;
      this.link = undefined;
      if (link) await link.teardown(this.sessionUrl, this.options.teardownTimeoutMs ?? DEFAULT_TEARDOWN_TIMEOUT_MS);
      this.safeEmit('close', error);
    })();
    return this.closing;
  }
}
