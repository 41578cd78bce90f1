/**
 * One browser watching one camera: a werift RTCPeerConnection with a send-only transceiver per
 * forwarded track. The server makes the offer (so the browser answers with our exact H.264 entry).
 * Frames arrive from the camera's Source in its packet tick and go to the track's OutboundTrack
 * (keyframe gate, GOP replay, timestamps on the viewer's own timeline, so a camera reconnect is
 * invisible to the browser apart from the gap in time), which writes them through the RtpOutput
 * chosen once when the connection came up.
 */
import { MediaStream, MediaStreamTrack, RTCDtlsTransport, RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { CameraLease, FrameSink } from '../media/Camera.js';
import type { MediaFrame } from '../media/MediaFrame.js';
import type { Track } from '../sdp/Track.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { IceCandidate } from '../../../shared/protocol.js';
import { planCodecs, talkCodecParameters } from './codecs.js';
import { browserTalkCodec, type BrowserTalkCodec } from '../talk/talkPlan.js';
import { mimeCodec, receiveTalk } from './talkReceiver.js';
import { peerConfig } from './peerConfig.js';
import { OutboundTrack, type OutboundCounters, type OutboundTrackHooks } from './OutboundTrack.js';
import { chooseRtpOutputs } from './RtpOutput.js';
import { candidateProblem, isMdnsCandidate } from './remoteCandidate.js';
import { routeFrames } from './frameRoute.js';
import {
  actAsDtlsClient,
  connectAtNomination,
  parseCertificateOnce,
  releaseHandshakeMemory,
  senderFeedback,
  useIceMux,
  useNativeX25519,
  withoutDefaultStun,
  type SenderFeedback,
} from './werift/index.js';
import type { ViewerEvents, ViewerNetworkStats, ViewerOptions, ViewerState, ViewerStats } from './ViewerTypes.js';
import type { IceMux, IceMuxSession } from './ice/IceMux.js';

export type { ViewerEvents, ViewerNetworkStats, ViewerOptions, ViewerState, ViewerStats } from './ViewerTypes.js';
export { REPLAY_FRAME_INTERVAL_MS, REPLAY_FRAMES_PER_TICK, REPLAY_REST_DELAY_MS } from './OutboundTrack.js';

// werift makes one DTLS certificate per process, lazily, inside the first viewer's createOffer
// (~35 ms, more while the machine is busy): make it while the server starts instead.
RTCDtlsTransport.SetupCertificate().catch(() => undefined);

/** A browser sends PLIs in bursts while its picture is broken; one GOP replay per this interval is enough. */
export const PLI_REPLAY_INTERVAL_MS = 1_000;

/**
 * A picture frame sent less than this long after its last packet arrived from the camera is live: the
 * viewer's "time to a live picture" ends there (a replayed GOP's first frames are older). Measured on
 * the server's clock, which follows the camera's up to the network's jitter.
 */
export const LIVE_PICTURE_MAX_AGE_MS = 150;

/** At most one log line per interval about failed sends: a broken viewer must not flood the log. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/** A switch to another stream of the camera, waiting for that stream's keyframe (switchSource). */
interface PendingSwitch {
  readonly lease: CameraLease;
  /** The outbound track of each of the new stream's tracks, by Track.index. */
  readonly route: (OutboundTrack | undefined)[];
  readonly sink: FrameSink;
  readonly done: (switched: boolean) => void;
}

export class Viewer extends TypedEmitter<ViewerEvents> implements FrameSink {
  readonly id: string;
  /** The camera tracks this viewer carries (video first). */
  readonly tracks: readonly Track[];
  readonly #pc: RTCPeerConnection;
  /** Indexed by Track.index: the packet path does one array lookup per frame. */
  readonly #outbound: (OutboundTrack | undefined)[] = [];
  readonly #outboundList: OutboundTrack[] = [];
  /** Where the frames of the stream the viewer is on go, by Track.index (#outbound until a switch). */
  #route: (OutboundTrack | undefined)[] = this.#outbound;
  #pending: PendingSwitch | undefined;
  #requestKeyframe: (() => readonly MediaFrame[] | void) | undefined;
  #lease: CameraLease | undefined;
  readonly #logger: Logger;
  readonly #counters: OutboundCounters = { framesSent: 0, packetsSent: 0, bytesSent: 0, framesSkipped: 0, replays: 0, framesReplayed: 0 };
  #sendErrors = 0;
  #pliReceived = 0;
  /** werift's counts of each sender's NACKs (read with the stats). */
  readonly #feedback: SenderFeedback[] = [];
  /** performance.now() when the first picture frame went out, and the first live one (0: not yet). */
  #firstFrameAt = 0;
  #livePictureAt = 0;
  /** What the tracks ask of the viewer (one object for all of them). */
  readonly #hooks: OutboundTrackHooks = {
    counters: this.#counters,
    live: () => this.#connected && !this.#paused,
    askKeyframe: () => this.#askKeyframe(),
    sendFailed: (err) => this.#sendFailed(err),
    pictureSent: (frame) => this.#pictureSent(frame),
  };
  #lastPliReplayAt = -Infinity;
  /** Two-way audio: what the browser sends, and where it goes (talk/TalkSeat.ts). */
  readonly #talkCodec: BrowserTalkCodec | undefined;
  #talkSink: ((payload: Buffer) => void) | undefined;
  #state: ViewerState = 'new';
  #connected = false;
  #paused = false;
  #closePromise: Promise<void> | undefined;
  #trickle = false;
  #lastErrorLog = -Infinity;
  #errorsSinceLog = 0;
  readonly #mux: IceMux | undefined;
  /** Its registrations on the shared WebRTC ports (closed with the viewer). */
  #muxSessions: IceMuxSession[] = [];
  /** Settles the promise below: the remote description was applied (or failed, or the viewer closed). */
  #remoteDescriptionSettled!: () => void;
  /**
   * Remote candidates wait for this. werift keeps a candidate given before the remote description
   * is applied and, when it applies the description, resolves every kept one before it starts ICE:
   * a Chromium mDNS candidate that came with the answer (both are often in one read of the socket)
   * held ICE, and the page's first frame, for werift's 10 s mDNS timeout (issue 13, bug 1).
   */
  readonly #remoteDescription = new Promise<void>((resolve) => (this.#remoteDescriptionSettled = resolve));

  constructor(options: ViewerOptions) {
    super();
    this.id = options.id;
    this.#logger = options.logger;
    this.#requestKeyframe = options.requestKeyframe;
    this.#mux = options.network?.mux;
    const plan = planCodecs(options.tracks, { h265: options.h265, ...(options.h264ProfileLevelId ? { h264ProfileLevelId: options.h264ProfileLevelId } : {}) });
    if (plan.choices.length === 0) {
      const codecs = options.tracks.map((t) => t.codec).join(', ') || 'none';
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', `the camera sends no codec this viewer can play (${codecs})`, {
        codecs: options.tracks.map((t) => t.codec),
      });
    }
    this.tracks = plan.choices.map((c) => c.track);
    useNativeX25519(this.#logger);
    parseCertificateOnce(this.#logger);
    const audioChoice = plan.choices.find((c) => c.kind === 'audio');
    this.#talkCodec = options.talk ? browserTalkCodec(audioChoice && mimeCodec(audioChoice.codec.mimeType), options.talk) : undefined;
    const talkOnly = this.#talkCodec && !audioChoice ? talkCodecParameters(this.#talkCodec) : undefined;
    this.#pc = new RTCPeerConnection(peerConfig(plan.choices, options.iceServers ?? [], options.network ?? {}, talkOnly));
    // One stream id for both tracks so the browser keeps audio and video in sync.
    const stream = new MediaStream({ id: `camrtc-${options.id}` });
    // The picture is the video; a camera without video is watched for its sound.
    const pictureKind = plan.choices.some((c) => c.kind === 'video') ? 'video' : 'audio';
    for (const choice of plan.choices) {
      const talks = choice.kind === 'audio' && this.#talkCodec !== undefined;
      const transceiver = this.#pc.addTransceiver(new MediaStreamTrack({ kind: choice.kind }), {
        direction: talks ? 'sendrecv' : 'sendonly',
        streams: [stream],
      });
      if (talks) this.#receiveTalk(transceiver);
      const out = new OutboundTrack({
        trackIndex: choice.track.index,
        kind: choice.kind,
        payloadType: choice.codec.payloadType,
        clockRate: choice.track.clockRate,
        sender: transceiver.sender,
        hooks: this.#hooks,
        picture: choice.kind === pictureKind,
      });
      this.#feedback.push(senderFeedback(transceiver.sender, this.#logger));
      this.#outbound[choice.track.index] = out;
      this.#outboundList.push(out);
      if (choice.kind === 'video') {
        transceiver.sender.onPictureLossIndication.subscribe(() => this.#onPli());
        // werift answers NACKs from its own cache, which camrtc's RtpWriter bypasses.
        transceiver.sender.onGenericNack.subscribe((nack) => out.output?.retransmit(nack.lost));
      }
    }
    // A camera with a backchannel but no audio a browser plays: an audio section for talk alone.
    if (talkOnly) this.#receiveTalk(this.#pc.addTransceiver('audio', { direction: 'recvonly' }));
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
    let nacksReceived = 0;
    for (const out of this.#outboundList) retransmitted += out.output?.retransmitted ?? 0;
    for (const feedback of this.#feedback) {
      nacksReceived += feedback.nacks();
      retransmitted += feedback.retransmitted();
    }
    const rtpPath = this.#outboundList[0]?.output?.path ?? 'none';
    return { ...this.#counters, sendErrors: this.#sendErrors, pliReceived: this.#pliReceived, nacksReceived, retransmitted, rtpPath };
  }
  /** performance.now() when the first frame of the picture went out (undefined: none yet). */
  get firstFrameAt(): number | undefined {
    return this.#firstFrameAt || undefined;
  }
  /** performance.now() when the first live frame of the picture went out (LIVE_PICTURE_MAX_AGE_MS). */
  get livePictureAt(): number | undefined {
    return this.#livePictureAt || undefined;
  }
  /**
   * Bytes sent, loss and round-trip time from werift's public getStats (its senders count what
   * camrtc's RtpWriter sent: werift/senderReports.ts), for the control API; not on any hot path.
   */
  async networkStats(): Promise<ViewerNetworkStats> {
    const out: ViewerNetworkStats = { bytesSent: 0, packetsSent: 0 };
    if (this.closed) return out;
    const report = await this.#pc.getStats();
    let videoRtt: number | undefined;
    let anyRtt: number | undefined;
    for (const stat of report.values() as Iterable<Record<string, unknown>>) {
      if (stat.type === 'outbound-rtp') {
        out.bytesSent += typeof stat.bytesSent === 'number' ? stat.bytesSent : 0;
        out.packetsSent += typeof stat.packetsSent === 'number' ? stat.packetsSent : 0;
      } else if (stat.type === 'remote-inbound-rtp') {
        if (typeof stat.packetsLost === 'number') out.packetsLost = (out.packetsLost ?? 0) + stat.packetsLost;
        if (typeof stat.fractionLost === 'number') out.fractionLost = Math.max(out.fractionLost ?? 0, stat.fractionLost);
        if (typeof stat.roundTripTime === 'number') {
          anyRtt = stat.roundTripTime;
          if (stat.kind === 'video') videoRtt = stat.roundTripTime;
        }
      }
    }
    const rtt = videoRtt ?? anyRtt;
    if (rtt !== undefined) out.rttMs = Math.round(Math.max(0, rtt) * 10_000) / 10;
    return out;
  }

  /** Two-way audio: the codec the browser sends its talk audio in (undefined: this viewer cannot talk). */
  get talkCodec(): BrowserTalkCodec | undefined {
    return this.#talkCodec;
  }

  /** Where the browser's talk audio goes, one RTP payload at a time (undefined: dropped). */
  setTalkSink(sink: ((payload: Buffer) => void) | undefined): void {
    this.#talkSink = sink;
  }

  /** SSRC of the outbound stream for a camera track (stable for the viewer's life), for stats. */
  ssrcOf(trackIndex: number): number | undefined {
    return this.#outbound[trackIndex]?.sender.ssrc;
  }

  /**
   * Subscribes this viewer to a camera through its session's lease: frames come from the camera's
   * fan-out straight to onFrame, and keyframe requests (start, play, PLI) go to lease.requestKeyframe.
   */
  attach(lease: CameraLease): void {
    if (this.closed) return;
    this.#lease = lease;
    this.#requestKeyframe = () => lease.requestKeyframe();
    lease.subscribe(this);
  }

  /**
   * Moves the viewer to another stream of its camera (main and sub) on this very peer connection:
   * the current stream's frames keep going out until the new stream's keyframe is here (its cached
   * GOP at once, else its next keyframe), then the new stream's frames go out on the same tracks,
   * SSRCs and sequence numbers, timestamps running on (a new generation to the tracks). Resolves true
   * at that cut-over, and from then on `lease` is the viewer's (the caller releases the old one);
   * false when another switch or close() came first. Throws ERR_CODEC_UNSUPPORTED when the new
   * stream's video cannot go on the negotiated codec (`tracks`: the new stream's).
   */
  switchSource(lease: CameraLease, tracks: readonly Track[]): Promise<boolean> {
    this.#assertOpen();
    const route = routeFrames(this.tracks, this.#outboundList, tracks);
    const carried = this.tracks.find((t) => t.kind === 'video');
    if (carried && !route.some((o) => o?.kind === 'video')) {
      const codec = tracks.find((t) => t.kind === 'video')?.codec ?? 'no video';
      throw new CamrtcError('ERR_CODEC_UNSUPPORTED', `the other stream sends ${codec}; this connection carries ${carried.codec}`, { codec });
    }
    this.cancelSwitch();
    return new Promise<boolean>((done) => {
      const pending: PendingSwitch = {
        lease,
        route,
        done,
        sink: { onFrame: (frame) => this.#pendingFrame(pending, frame) },
      };
      this.#pending = pending;
      lease.subscribe(pending.sink);
      // Nothing goes out now: the connection or the next play() restarts at the new stream's keyframe.
      if (!this.#connected || this.#paused) return this.#cutOver(pending);
      const gop = lease.requestKeyframe();
      if (gop.length > 0 && this.#pending === pending) this.#cutOver(pending, gop);
    });
  }

  /** A frame of the stream being switched to: its first video keyframe is the cut-over. */
  #pendingFrame(pending: PendingSwitch, frame: MediaFrame): void {
    if (pending !== this.#pending || frame.kind !== 'video' || !frame.keyframe || !pending.route[frame.trackIndex]) return;
    this.#cutOver(pending, [frame]);
  }

  /**
   * From now on the viewer is on the pending stream. `frames`: its cached GOP (replayed as at a
   * start) or its live keyframe (sent at once); none while nothing goes out.
   */
  #cutOver(pending: PendingSwitch, frames: readonly MediaFrame[] = []): void {
    this.#pending = undefined;
    this.#lease?.subscribe(undefined);
    this.#lease = pending.lease;
    this.#route = pending.route;
    this.#requestKeyframe = () => pending.lease.requestKeyframe();
    // Within the new stream's delivery of `frames[0]` the fan-out may hand this frame to the viewer
    // again: OutboundTrack drops a frame it has just sent.
    pending.lease.subscribe(this);
    const video = this.#outboundList.find((o) => o.kind === 'video');
    if (frames.length > 1) video?.replay(frames);
    else if (frames.length === 1) video?.restartWith(frames[0]);
    else video?.restartAtKeyframe();
    pending.done(true);
  }

  /**
   * Gives up a switch still waiting for its keyframe (it resolves false): the viewer stays on its
   * stream; the switch's lease is the caller's to release.
   */
  cancelSwitch(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    pending.lease.subscribe(undefined);
    pending.done(false);
  }

  /**
   * Creates the offer and waits for ICE gathering, so the SDP carries every candidate. With `trickle`,
   * returns the offer before gathering and emits each candidate as a 'candidate' event instead.
   */
  async createOffer(options: { trickle?: boolean } = {}): Promise<string> {
    this.#assertOpen();
    try {
      this.#useMux();
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
   * so the caller restricts the offer to the wanted H.264 entry first (session/offerCodecs.ts).
   */
  async acceptOffer(sdp: string): Promise<string> {
    this.#assertOpen();
    let answerSdp: string | undefined;
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp }).finally(this.#remoteDescriptionSettled);
      this.#useMux();
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
   * isMdnsCandidate). A candidate that breaks the grammar is refused (ERR_SIGNALING_INVALID): the
   * connection goes on with the others.
   */
  async addIceCandidate(candidate: IceCandidate | null): Promise<void> {
    this.#assertOpen();
    if (candidate !== null && candidate.candidate !== '') {
      const problem = candidateProblem(candidate.candidate);
      // werift would keep it and fail later without a word: the client hears what is wrong now.
      if (problem) throw new CamrtcError('ERR_SIGNALING_INVALID', `the ICE candidate is not valid: ${problem}`);
    }
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
    // The camera's own AAC is the restream's; this viewer gets the Opus made of it.
    if (!this.#connected || this.#paused || frame.encoding === 'camera') return;
    this.#route[frame.trackIndex]?.deliver(frame);
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
    this.cancelSwitch();
    this.#lease?.subscribe(undefined);
    this.#remoteDescriptionSettled();
    for (const out of this.#outboundList) out.close();
    for (const session of this.#muxSessions) session.close();
    this.#closePromise = this.#pc.close().catch((err: unknown) => {
      this.#logger.debug({ err, viewer: this.id }, 'peer connection close failed');
    });
    this.safeEmit('close');
    return this.#closePromise;
  }

  #receiveTalk(transceiver: RTCRtpTransceiver): void {
    receiveTalk(transceiver, (payload) => this.#talkSink?.(payload));
  }

  #onConnectionState(state: RTCPeerConnection['connectionState']): void {
    if (this.closed) return;
    switch (state) {
      case 'connected':
        this.#bindOutputs();
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

  /**
   * Once DTLS is up, the first time: where each track's RTP goes (RtpOutput), for the rest of the
   * viewer's life.
   */
  #bindOutputs(): void {
    if (this.#outboundList.some((o) => o.output)) return;
    const outputs = chooseRtpOutputs(this.#pc, this.#outboundList, this.#logger, this.#hooks.sendFailed, this.id);
    this.#outboundList.forEach((out, i) => out.bind(outputs[i]));
  }

  /** Gathers on the shared WebRTC ports, before the SDP that carries the ufrag is made. */
  #useMux(): void {
    if (this.#mux && this.#muxSessions.length === 0) this.#muxSessions = useIceMux(this.#pc, this.#mux, this.#logger);
  }

  /** The browser's decoder needs a keyframe to (re)start: gate video until one comes, and ask for it. */
  #restartAtKeyframe(): void {
    for (const out of this.#outboundList) out.restartAtKeyframe();
    if (this.#outboundList.some((o) => o.kind === 'video')) this.#askKeyframe();
  }

  #askKeyframe(): void {
    if (!this.#requestKeyframe) return;
    try {
      const gop: readonly MediaFrame[] | void = this.#requestKeyframe();
      if (Array.isArray(gop) && gop.length > 0 && this.#connected && !this.#paused) this.#route[gop[0].trackIndex]?.replay(gop);
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
    this.#pliReceived++;
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

  /** Until the picture is live, per frame of the picture track: when the first and the first live one went out. */
  #pictureSent(frame: MediaFrame): boolean {
    const now = performance.now();
    if (this.#firstFrameAt === 0) this.#firstFrameAt = now;
    if (now - frame.receivedAt >= LIVE_PICTURE_MAX_AGE_MS) return false;
    this.#livePictureAt = now;
    return true;
  }

  #sendFailed(err: unknown): void {
    this.#sendErrors++;
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
