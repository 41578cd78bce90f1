/**
 * One browser watching one camera: a werift RTCPeerConnection with a send-only transceiver per
 * forwarded track. The server makes the offer (so the browser answers with our exact H.264 entry).
 * Frames arrive from the camera's Source in its packet tick; the Viewer gates them at a keyframe and
 * writes them with its own SSRC, sequence numbers and timestamps (RtpTimeline), so a camera reconnect
 * is invisible to the browser apart from the gap in time.
 */
import { randomBytes } from 'node:crypto';
import { MediaStream, MediaStreamTrack, RTCDtlsTransport, RTCPeerConnection, RtpHeader, RtpPacket, type RTCRtpSender } from 'werift';
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { FrameSink } from '../media/CameraSource.js';
import type { MediaFrame } from '../media/MediaFrame.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { IceCandidate } from '../../../shared/protocol.js';
import { ntpFromUnixMs } from '../rtp/ntp.js';
import { planCodecs } from './codecs.js';
import { peerConfig, type IceServer, type ViewerNetworkOptions } from './peerConfig.js';
import { RtpTimeline } from './RtpTimeline.js';
import { RtpWriter } from './RtpWriter.js';
import { isMdnsCandidate } from './remoteCandidate.js';
import { actAsDtlsClient, connectAtNomination, parseCertificateOnce, releaseHandshakeMemory, senderReportClock, senderReports, srtpOutput, useNativeX25519, withoutDefaultStun } from './werift/index.js';

// werift makes one DTLS certificate per process, lazily, inside the first viewer's createOffer
// (~35 ms, more while the machine is busy): make it while the server starts instead.
RTCDtlsTransport.SetupCertificate().catch(() => undefined);

export type ViewerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export type ViewerEvents = {
  state: [ViewerState];
  /** The browser lost its picture (RTCP PLI): ask the Source for a keyframe. */
  pli: [];
  /** A local ICE candidate, when the offer was made with `trickle` (null: gathering finished). */
  candidate: [IceCandidate | null];
  close: [];
};

export interface ViewerOptions {
  /** Session id, for logs. */
  id: string;
  /** The camera's forwarded tracks; the Viewer carries the first playable video and audio. */
  tracks: readonly Track[];
  /** STUN/TURN servers. Default none: werift would otherwise use a public STUN server. */
  iceServers?: readonly IceServer[];
  network?: ViewerNetworkOptions;
  /** The browser can decode H.265. Default false: H.265 tracks are not carried. */
  h265?: boolean;
  /**
   * Called when the Viewer needs a keyframe to start or resume (connected, play(), PLI, camera
   * restart); usually CameraSource.requestKeyframe. When it returns the camera's cached GOP
   * (keyframe first), the Viewer sends it at once with compressed timestamps, so the browser shows
   * the live picture without waiting for the camera's next keyframe.
   */
  requestKeyframe?: () => readonly MediaFrame[] | void;
  logger: Logger;
}

export interface ViewerStats {
  framesSent: number;
  packetsSent: number;
  /** Frames dropped while waiting for a keyframe. */
  framesSkipped: number;
  /** Frames that failed to go out (werift threw or rejected). */
  sendErrors: number;
  /** Cached GOPs sent (connect, play, PLI) and the frames they held. */
  replays: number;
  framesReplayed: number;
  /** PLIs from the browser (answered from the GOP cache, at most one per PLI_REPLAY_INTERVAL_MS). */
  pliReceived: number;
  /** Packets sent again for the browser's NACKs. */
  retransmitted: number;
  /**
   * Who writes the RTP: 'camrtc' (RtpWriter, AES-128-GCM), 'werift' (its RTCRtpSender: another SRTP
   * profile was negotiated), or 'none' before the connection is up.
   */
  rtpPath: 'camrtc' | 'werift' | 'none';
}

/** A browser sends PLIs in bursts while its picture is broken; one GOP replay per this interval is enough. */
export const PLI_REPLAY_INTERVAL_MS = 1_000;

/**
 * A replayed GOP's keyframe goes out at once; the rest of the GOP this much later. Sent together,
 * the browser depacketizes and decodes the whole GOP while the first picture waits to be shown:
 * on the benchmark machine the keyframe alone took connected → first frame from ~65 ms to ~30 ms.
 * One frame interval at 30 fps: the catch-up to live is not noticeably later.
 */
export const REPLAY_REST_DELAY_MS = 30;
/** Frames of a GOP's rest sent per event-loop turn (see Viewer#drainBacklog). */
export const REPLAY_FRAMES_PER_TICK = 8;

/** At most one log line per interval about failed sends: a broken viewer must not flood the log. */
const ERROR_LOG_INTERVAL_MS = 10_000;

interface OutboundTrack {
  readonly trackIndex: number;
  readonly kind: 'video' | 'audio';
  readonly payloadType: number;
  readonly sender: RTCRtpSender;
  readonly timeline: RtpTimeline;
  waitingForKeyframe: boolean;
  /** Upstream generation of the last frame forwarded (-1: none yet). */
  generation: number;
  /** The last frame sent: a replay may already have carried the frame being delivered. */
  lastFrame: MediaFrame | undefined;
  /**
   * The rest of a replayed GOP, still to send, then the live frames that came meanwhile (no
   * timestamp yet: they are rebased when sent). Undefined when nothing waits.
   */
  backlog: { frames: MediaFrame[]; timestamps: (number | undefined)[]; timer: NodeJS.Timeout | NodeJS.Immediate } | undefined;
  /**
   * camrtc's own RTP path, bound once DTLS is up with AES-128-GCM; undefined: werift's sender
   * (another SRTP profile, or a werift whose internals changed).
   */
  writer: RtpWriter | undefined;
  reports: ((ntp: bigint, rtpTimestamp: number, packets: number, octets: number) => void) | undefined;
  /** werift's path: puts the wall clock in werift's sender report after each send (see werift/senderReports). */
  reportClock: ((ntp: bigint) => void) | undefined;
}

export class Viewer extends TypedEmitter<ViewerEvents> implements FrameSink {
  readonly id: string;
  /** The camera tracks this viewer carries (video first). */
  readonly tracks: readonly Track[];
  readonly #pc: RTCPeerConnection;
  /** Indexed by Track.index: the packet path does one array lookup per frame. */
  readonly #outbound: (OutboundTrack | undefined)[] = [];
  readonly #outboundList: OutboundTrack[] = [];
  readonly #requestKeyframe: (() => void) | undefined;
  readonly #logger: Logger;
  readonly #stats: Omit<ViewerStats, 'retransmitted' | 'rtpPath'> = { framesSent: 0, packetsSent: 0, framesSkipped: 0, sendErrors: 0, replays: 0, framesReplayed: 0, pliReceived: 0 };
  #rtpPath: ViewerStats['rtpPath'] = 'none';
  #lastPliReplayAt = -Infinity;
  #state: ViewerState = 'new';
  #connected = false;
  #paused = false;
  #closePromise: Promise<void> | undefined;
  #trickle = false;
  #lastErrorLog = -Infinity;
  #errorsSinceLog = 0;
  /** Settles the promise below: the remote description was applied (or failed, or the viewer closed). */
  #remoteDescriptionSettled!: () => void;
  /**
   * Remote candidates wait for this. werift keeps a candidate given before the remote description
   * is applied and, when it applies the description, resolves every kept one before it starts ICE:
   * a Chromium mDNS candidate that came with the answer (both are often in one read of the socket)
   * held ICE, and the page's first frame, for werift's 10 s mDNS timeout (issue 13, bug 1).
   */
  readonly #remoteDescription = new Promise<void>((resolve) => (this.#remoteDescriptionSettled = resolve));
  readonly #onSendError = (err: unknown): void => this.#sendFailed(err);

  constructor(options: ViewerOptions) {
    super();
    this.id = options.id;
    this.#logger = options.logger;
    this.#requestKeyframe = options.requestKeyframe;
    const plan = planCodecs(options.tracks, { h265: options.h265 });
    if (plan.choices.length === 0) {
      const codecs = options.tracks.map((t) => t.codec).join(', ') || 'none';
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', `the camera sends no codec this viewer can play (${codecs})`, {
        codecs: options.tracks.map((t) => t.codec),
      });
    }
    this.tracks = plan.choices.map((c) => c.track);
    useNativeX25519(this.#logger);
    parseCertificateOnce(this.#logger);
    this.#pc = new RTCPeerConnection(peerConfig(plan.choices, options.iceServers ?? [], options.network ?? {}));
    // One stream id for both tracks so the browser keeps audio and video in sync.
    const stream = new MediaStream({ id: `camrtc-${options.id}` });
    for (const choice of plan.choices) {
      const transceiver = this.#pc.addTransceiver(new MediaStreamTrack({ kind: choice.kind }), {
        direction: 'sendonly',
        streams: [stream],
      });
      const out: OutboundTrack = {
        trackIndex: choice.track.index,
        kind: choice.kind,
        payloadType: choice.codec.payloadType,
        sender: transceiver.sender,
        timeline: new RtpTimeline(choice.track.clockRate, randomBytes(2).readUInt16BE(0), randomBytes(4).readUInt32BE(0)),
        waitingForKeyframe: choice.kind === 'video',
        generation: -1,
        lastFrame: undefined,
        backlog: undefined,
        writer: undefined,
        reports: undefined,
        reportClock: undefined,
      };
      this.#outbound[choice.track.index] = out;
      this.#outboundList.push(out);
      if (choice.kind === 'video') {
        transceiver.sender.onPictureLossIndication.subscribe(() => this.#onPli());
        // werift answers NACKs from its own cache, which camrtc's RtpWriter bypasses.
        transceiver.sender.onGenericNack.subscribe((nack) => {
          const writer = out.writer;
          if (writer) for (const sequence of nack.lost) writer.retransmit(sequence);
        });
      }
    }
    this.#pc.connectionStateChange.subscribe((state) => this.#onConnectionState(state));
    this.#pc.onIceCandidate.subscribe((candidate) => {
      if (!this.#trickle || this.closed) return;
      const c = candidate?.toJSON();
      this.safeEmit('candidate', c?.candidate ? { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : null);
    });
  }

  get state(): ViewerState {
    return this.#state;
  }
  get closed(): boolean {
    return this.#closePromise !== undefined;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get stats(): Readonly<ViewerStats> {
    let retransmitted = 0;
    for (const out of this.#outboundList) retransmitted += out.writer?.retransmitted ?? 0;
    return { ...this.#stats, retransmitted, rtpPath: this.#rtpPath };
  }
  /** SSRC of the outbound stream for a camera track (stable for the viewer's life), for stats. */
  ssrcOf(trackIndex: number): number | undefined {
    return this.#outbound[trackIndex]?.sender.ssrc;
  }

  /**
   * Creates the offer and waits for ICE gathering, so the SDP carries every candidate. With `trickle`,
   * returns the offer before gathering and emits each candidate as a 'candidate' event instead.
   */
  async createOffer(options: { trickle?: boolean } = {}): Promise<string> {
    this.#assertOpen();
    try {
      actAsDtlsClient(this.#pc, this.#logger);
      withoutDefaultStun(this.#pc, this.#logger);
      connectAtNomination(this.#pc, this.#logger);
      const offer = await this.#pc.createOffer();
      if (options.trickle) {
        this.#trickle = true;
        // Candidates gathered by setLocalDescription follow as events, after the caller sent this SDP.
        queueMicrotask(() => {
          this.#pc.setLocalDescription(offer).catch((err: unknown) => {
            this.#logger.debug({ err, viewer: this.id }, 'setLocalDescription failed');
            if (!this.closed) this.#setState('failed');
          });
        });
        return offer.sdp;
      }
      await this.#pc.setLocalDescription(offer);
      const sdp = this.#pc.localDescription?.sdp;
      if (!sdp) throw new Error('no local description after setLocalDescription');
      this.#assertOpen();
      return sdp;
    } catch (err) {
      throw this.#webrtcError('could not create the offer', err);
    }
  }

  /**
   * The client made the offer (WHEP, or a `watch` with an offer): answers it, ICE gathering done, so
   * the answer carries every candidate. werift keeps the first remote codec with a matching mime type,
   * so the caller restricts the offer to the wanted H.264 entry first (signaling/offerCodecs.ts).
   */
  async acceptOffer(sdp: string): Promise<string> {
    this.#assertOpen();
    let answerSdp: string | undefined;
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp }).finally(this.#remoteDescriptionSettled);
      withoutDefaultStun(this.#pc, this.#logger);
      connectAtNomination(this.#pc, this.#logger);
      const answer = await this.#pc.createAnswer();
      await this.#pc.setLocalDescription(answer);
      answerSdp = this.#pc.localDescription?.sdp;
    } catch (err) {
      throw this.#webrtcError('the offer was not accepted', err);
    }
    this.#assertOpen();
    if (!answerSdp) throw new CamrtcError('ERR_WEBRTC', 'no local description after answering');
    const accepted = this.#pc.getTransceivers().filter((t) => !t.stopped && !t.rejected && t.mid != null);
    if (accepted.length === 0) {
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', 'the offer accepts none of the camera codecs');
    }
    return answerSdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    this.#assertOpen();
    try {
      await this.#pc.setRemoteDescription({ type: 'answer', sdp }).finally(this.#remoteDescriptionSettled);
    } catch (err) {
      throw this.#webrtcError('the browser answer was not accepted', err);
    }
    const accepted = this.#pc.getTransceivers().filter((t) => !t.stopped && !t.rejected);
    if (accepted.length === 0) {
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', 'the browser accepted none of the camera codecs');
    }
  }

  /**
   * A remote candidate trickled by the browser; null or an empty candidate ends the list. Applied
   * once the remote description is (see #remoteDescription); mDNS candidates are not used (see
   * isMdnsCandidate).
   */
  async addIceCandidate(candidate: IceCandidate | null): Promise<void> {
    this.#assertOpen();
    await this.#remoteDescription;
    this.#assertOpen();
    try {
      if (candidate === null || candidate.candidate === '') {
        await this.#pc.addIceCandidate(null);
        return;
      }
      if (isMdnsCandidate(candidate.candidate)) {
        this.#logger.debug({ viewer: this.id }, 'ignoring an mDNS candidate: the browser\'s checks bring its address');
        return;
      }
      await this.#pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
        usernameFragment: candidate.usernameFragment ?? undefined,
      });
    } catch (err) {
      throw this.#webrtcError('the ICE candidate was not accepted', err);
    }
  }

  /**
   * FrameSink: called in the camera's packet tick for every viewer, so it never throws and never
   * waits. Frames before the connection is up, while paused, or before the first keyframe are dropped.
   */
  onFrame(frame: MediaFrame): void {
    if (!this.#connected || this.#paused) return;
    const out = this.#outbound[frame.trackIndex];
    if (out === undefined || frame.payloads.length === 0 || frame === out.lastFrame) return;
    if (out.backlog) {
      // Behind the replay, in order; a frame the replay already carries is not queued twice.
      if (!out.backlog.frames.includes(frame)) {
        out.backlog.frames.push(frame);
        out.backlog.timestamps.push(undefined);
      }
      return;
    }
    this.#forward(out, frame);
  }

  /** A live frame: gated on keyframes after a camera restart, then sent. Never throws. */
  #forward(out: OutboundTrack, frame: MediaFrame): void {
    try {
      if (
        out.kind === 'video' &&
        out.generation !== -1 &&
        out.generation !== frame.generation &&
        !frame.keyframe &&
        !out.waitingForKeyframe
      ) {
        // The camera restarted: its new session may use other parameter sets, and the decoder has no
        // reference for the P-frames that could come first. Start again at a keyframe.
        out.waitingForKeyframe = true;
        this.#askKeyframe();
        // The cached GOP of the new session may have carried this very frame.
        if (frame === out.lastFrame) return;
      }
      if (out.waitingForKeyframe) {
        if (!frame.keyframe) {
          this.#stats.framesSkipped++;
          return;
        }
        out.waitingForKeyframe = false;
      }
      this.#send(out, frame, out.timeline.rebase(frame.timestamp, frame.generation, frame.receivedAt));
    } catch (err) {
      this.#sendFailed(err);
    }
  }

  /** Writes one frame with this viewer's SSRC, sequence numbers and `timestamp`. */
  #send(out: OutboundTrack, frame: MediaFrame, timestamp: number): void {
    out.generation = frame.generation;
    out.lastFrame = frame;
    const last = frame.payloads.length - 1;
    // Video: end of the access unit. Audio: no talkspurts here, so never set.
    const video = out.kind === 'video';
    const writer = out.writer;
    if (writer) {
      for (let i = 0; i <= last; i++) writer.write(out.timeline.nextSequence(), timestamp, video && i === last, frame.payloads[i]);
      out.reports?.(ntpFromUnixMs(performance.timeOrigin + performance.now()), timestamp, writer.packets, writer.octets);
    } else {
      for (let i = 0; i <= last; i++) {
        const header = new RtpHeader({
          payloadType: out.payloadType,
          sequenceNumber: out.timeline.nextSequence(),
          timestamp,
          marker: video && i === last,
          ssrc: out.sender.ssrc,
        });
        out.sender.sendRtp(new RtpPacket(header, frame.payloads[i])).catch(this.#onSendError);
      }
      // werift has just paired this timestamp with its own, whole-second NTP time.
      out.reportClock?.(ntpFromUnixMs(performance.timeOrigin + performance.now()));
    }
    this.#stats.framesSent++;
    this.#stats.packetsSent += frame.payloads.length;
  }

  /**
   * Sends a cached GOP: the keyframe now, the rest after REPLAY_REST_DELAY_MS (live frames that come
   * meanwhile queue behind it). Returns false when it cannot be used (not a GOP of a track this
   * viewer carries), and the viewer keeps waiting for the next keyframe.
   */
  #replay(frames: readonly MediaFrame[]): boolean {
    const first = frames[0];
    if (!first?.keyframe || first.kind !== 'video') return false;
    const out = this.#outbound[first.trackIndex];
    if (!out || out.kind !== 'video' || frames.some((f) => f.trackIndex !== first.trackIndex || f.generation !== first.generation)) return false;
    const timestamps = out.timeline.replay(frames);
    this.#cancelBacklog(out);
    this.#send(out, first, timestamps[0]);
    if (frames.length > 1) {
      const backlog = { frames: frames.slice(1), timestamps: timestamps.slice(1), timer: setTimeout(() => this.#drainBacklog(out, backlog), REPLAY_REST_DELAY_MS) };
      out.backlog = backlog;
    }
    out.waitingForKeyframe = false;
    this.#stats.replays++;
    this.#stats.framesReplayed += frames.length;
    return true;
  }

  /**
   * Sends the backlog REPLAY_FRAMES_PER_TICK frames at a time, yielding between slices so a new
   * viewer's replay never holds up the packets of the others (a 2 s GOP at 2 Mbit/s is ~400 packets).
   */
  #drainBacklog(out: OutboundTrack, backlog: NonNullable<OutboundTrack['backlog']>): void {
    if (out.backlog !== backlog) return;
    if (!this.#connected || this.#paused) {
      // Resuming restarts at a keyframe (and replays) anyway.
      out.backlog = undefined;
      return;
    }
    const count = Math.min(REPLAY_FRAMES_PER_TICK, backlog.frames.length);
    const frames = backlog.frames.splice(0, count);
    const timestamps = backlog.timestamps.splice(0, count);
    try {
      for (let i = 0; i < count; i++) {
        const timestamp = timestamps[i];
        if (timestamp === undefined) this.#forward(out, frames[i]);
        else this.#send(out, frames[i], timestamp);
        // A live frame from a restarted camera started another replay: this one is over.
        if (out.backlog !== backlog) return;
      }
    } catch (err) {
      this.#sendFailed(err);
    }
    if (backlog.frames.length === 0) out.backlog = undefined;
    else backlog.timer = setImmediate(() => this.#drainBacklog(out, backlog));
  }

  #cancelBacklog(out: OutboundTrack): void {
    const backlog = out.backlog;
    if (!backlog) return;
    out.backlog = undefined;
    clearTimeout(backlog.timer as NodeJS.Timeout);
    clearImmediate(backlog.timer as NodeJS.Immediate);
  }

  /** Stops forwarding to this viewer only; the peer connection stays up. */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes forwarding at the next keyframe (and asks for one). */
  play(): void {
    if (!this.#paused || this.closed) return;
    this.#paused = false;
    this.#restartAtKeyframe();
  }

  /** Idempotent; resolves when werift has released the sockets. */
  close(): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    this.#connected = false;
    this.#setState('closed');
    this.#remoteDescriptionSettled();
    for (const out of this.#outboundList) {
      this.#cancelBacklog(out);
      out.writer?.close();
    }
    this.#closePromise = this.#pc.close().catch((err: unknown) => {
      this.#logger.debug({ err, viewer: this.id }, 'peer connection close failed');
    });
    this.safeEmit('close');
    return this.#closePromise;
  }

  #onConnectionState(state: RTCPeerConnection['connectionState']): void {
    if (this.closed) return;
    switch (state) {
      case 'connected':
        this.#bindWriters();
        this.#connected = true;
        this.#setState('connected');
        this.#restartAtKeyframe();
        releaseHandshakeMemory(this.#pc, this.#logger);
        break;
      case 'connecting':
      case 'new':
        this.#connected = false;
        this.#setState(state);
        break;
      case 'disconnected':
      case 'failed':
        this.#connected = false;
        this.#setState(state);
        break;
      case 'closed':
        this.#connected = false;
        break;
    }
  }

  /** Once DTLS is up: camrtc writes RTP itself when the session allows it (see werift/srtpOutput). */
  #bindWriters(): void {
    if (this.#outboundList.some((o) => o.writer)) return;
    let output: ReturnType<typeof srtpOutput>;
    try {
      output = srtpOutput(this.#pc, this.#logger);
    } catch (err) {
      // Runs inside werift's state change: an exception there would fail the connection.
      this.#logger.warn({ err, viewer: this.id }, 'camrtc RTP writer unavailable; RTP goes through werift');
      output = undefined;
    }
    if (!output) {
      this.#rtpPath = 'werift';
      for (const out of this.#outboundList) out.reportClock = senderReportClock(out.sender, this.#logger);
      this.#logger.debug({ viewer: this.id }, 'RTP goes through werift (SRTP profile is not AES-128-GCM)');
      return;
    }
    this.#rtpPath = 'camrtc';
    for (const out of this.#outboundList) {
      out.writer = new RtpWriter({
        ssrc: out.sender.ssrc,
        // The browser may have accepted one of the alternative entries (another payload type).
        payloadType: out.sender.codec?.payloadType ?? out.payloadType,
        protector: output.protector,
        output: output.send,
        history: out.kind === 'video',
      });
      out.reports = senderReports(out.sender, this.#logger);
    }
  }

  /** The browser's decoder needs a keyframe to (re)start: gate video until one comes, and ask for it. */
  #restartAtKeyframe(): void {
    for (const out of this.#outboundList) {
      if (out.kind === 'video') out.waitingForKeyframe = true;
    }
    if (this.#outboundList.some((o) => o.kind === 'video')) this.#askKeyframe();
  }

  #askKeyframe(): void {
    if (!this.#requestKeyframe) return;
    try {
      const gop: readonly MediaFrame[] | void = this.#requestKeyframe();
      if (Array.isArray(gop) && gop.length > 0 && this.#connected && !this.#paused) this.#replay(gop);
    } catch (err) {
      this.#logger.warn({ err, viewer: this.id }, 'keyframe request failed');
    }
  }

  /**
   * The browser lost its picture. Answered from the camera's GOP cache (through requestKeyframe),
   * at most once per PLI_REPLAY_INTERVAL_MS; the `pli` event still tells the owner.
   */
  #onPli(): void {
    if (this.closed) return;
    this.#stats.pliReceived++;
    const now = performance.now();
    if (this.#connected && !this.#paused && now - this.#lastPliReplayAt >= PLI_REPLAY_INTERVAL_MS) {
      this.#lastPliReplayAt = now;
      this.#restartAtKeyframe();
    }
    this.safeEmit('pli');
  }

  #setState(state: ViewerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#logger.debug({ viewer: this.id, state }, 'viewer state');
    this.safeEmit('state', state);
  }

  #sendFailed(err: unknown): void {
    this.#stats.sendErrors++;
    this.#errorsSinceLog++;
    const now = performance.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#logger.warn({ err, viewer: this.id, errors: this.#errorsSinceLog }, 'sending RTP to the viewer failed');
    this.#errorsSinceLog = 0;
  }

  #assertOpen(): void {
    if (this.closed) throw new CamrtcError('ERR_CLOSED', 'the viewer is closed');
  }

  #webrtcError(what: string, err: unknown): CamrtcError {
    if (err instanceof CamrtcError) return err;
    const cause = toCamrtcError(err, 'ERR_WEBRTC');
    return new CamrtcError('ERR_WEBRTC', `${what}: ${cause.message}`, {}, { cause: err });
  }
}
