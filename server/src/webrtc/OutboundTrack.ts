/**
 * One camera track as one viewer receives it: the keyframe gate (video starts, and restarts after a
 * camera reconnect, at a keyframe), the replay of the camera's cached GOP with its backlog, the
 * rebase of timestamps onto the viewer's own continuous timeline (RtpTimeline), and the RTP output
 * bound when the connection came up (RtpOutput: camrtc's writer with its NACK history, or werift's
 * sender). The Viewer owns one per forwarded track; frames reach it in the camera's packet tick, so
 * nothing here throws or waits.
 */
import { randomBytes } from 'node:crypto';
import type { RTCRtpSender } from 'werift';
import type { MediaFrame } from '../media/MediaFrame.js';
import { RtpTimeline } from './RtpTimeline.js';
import type { RtpOutput } from './RtpOutput.js';

/**
 * A replayed GOP's keyframe goes out at once; the rest of the GOP this much later. Sent together,
 * the browser depacketizes and decodes the whole GOP while the first picture waits to be shown:
 * on the benchmark machine the keyframe alone took connected → first frame from ~65 ms to ~30 ms.
 * One frame interval at 30 fps: the catch-up to live is not noticeably later.
 */
export const REPLAY_REST_DELAY_MS = 30;
/**
 * Then one frame of the GOP's rest (and of the live frames queued behind it) every this many ms,
 * with timestamps as far apart: the browser decodes them as they come (a 2 s GOP in about 60 ms
 * here, decoding then sets the pace: ~100 ms from first frame to live picture, 2 ms gave ~130 ms;
 * and a gentler burst than the GOP at once, for a viewer on a slow link). Not a burst with timestamps a tick apart: Chromium maps RTP timestamps to its clock by fitting
 * them to arrival times (a Kalman filter), and a GOP of 60 frames arriving in a few ms with 60
 * ticks between first and last made it take 1 tick per ms; the first live frame, 3000 ticks later,
 * was then due seconds ahead, and the decoder waited (up to the camera's next keyframe) with the
 * frames in hand: 1 load in 4 took over 800 ms to a live picture (issue 18).
 */
export const REPLAY_FRAME_INTERVAL_MS = 1;
/**
 * A timer that fires late (a busy machine wakes the process every few ms only) sends the frames
 * due meanwhile, at most this many: the pace holds without a burst. Later still, the schedule
 * restarts from now.
 */
export const REPLAY_FRAMES_PER_TICK = 4;
/** The RTP header camrtc writes (no CSRC, no extension): counted in the bytes sent. */
const RTP_HEADER_BYTES = 12;

/** The viewer's counters that its tracks add to. */
export interface OutboundCounters {
  framesSent: number;
  packetsSent: number;
  /** RTP bytes of those packets (header and payload; SRTP's tag and retransmissions apart). */
  bytesSent: number;
  /** Frames dropped while waiting for a keyframe. */
  framesSkipped: number;
  /** Cached GOPs sent (connect, play, PLI) and the frames they held. */
  replays: number;
  framesReplayed: number;
}

/** What a track needs from its Viewer. */
export interface OutboundTrackHooks {
  readonly counters: OutboundCounters;
  /** Frames may go out: the connection is up and the viewer is playing. */
  live(): boolean;
  /** A video track must restart at a keyframe (camera restart): ask the camera (and replay its GOP). */
  askKeyframe(): void;
  /** A frame failed to go out (counted and logged, rate-limited, by the Viewer). */
  sendFailed(err: unknown): void;
  /**
   * A frame of the track that makes the picture went out: true once the viewer has a live picture
   * (then it is not called again). Only until then: nothing per frame afterwards.
   */
  pictureSent(frame: MediaFrame): boolean;
}

/** The rest of a replayed GOP, still to send, then the live frames that came meanwhile. */
interface Backlog {
  frames: MediaFrame[];
  /** performance.now() when the next frame is due. */
  due: number;
  timer: NodeJS.Timeout;
}

export class OutboundTrack {
  readonly trackIndex: number;
  readonly kind: 'video' | 'audio';
  /** The payload type camrtc offered for this track. */
  readonly payloadType: number;
  readonly sender: RTCRtpSender;
  readonly #timeline: RtpTimeline;
  readonly #hooks: OutboundTrackHooks;
  #output: RtpOutput | undefined;
  #waitingForKeyframe: boolean;
  /** Upstream generation of the last frame forwarded (-1: none yet). */
  #generation = -1;
  /** The last frame sent: a replay may already have carried the frame being delivered. */
  #lastFrame: MediaFrame | undefined;
  #backlog: Backlog | undefined;
  /** performance.now() of the last frame sent out of its camera time (a replay); 0: none. */
  #replayedAt = 0;
  /** The next live frame is the first after a replay: its timestamp follows the wall clock. */
  #afterReplay = false;
  /** This track makes the viewer's picture (video; audio without video) and it is not live yet. */
  #awaitingLivePicture: boolean;

  constructor(options: {
    trackIndex: number;
    kind: 'video' | 'audio';
    payloadType: number;
    clockRate: number;
    sender: RTCRtpSender;
    hooks: OutboundTrackHooks;
    /** The track makes the viewer's picture: its frames time the first frame and the live picture. */
    picture: boolean;
  }) {
    this.trackIndex = options.trackIndex;
    this.kind = options.kind;
    this.payloadType = options.payloadType;
    this.sender = options.sender;
    this.#hooks = options.hooks;
    // Random start (RFC 3550 5.1); kept for the viewer's whole life.
    this.#timeline = new RtpTimeline(options.clockRate, randomBytes(2).readUInt16BE(0), randomBytes(4).readUInt32BE(0));
    this.#waitingForKeyframe = options.kind === 'video';
    this.#awaitingLivePicture = options.picture;
  }

  /** The output, once bound (undefined before the connection came up). */
  get output(): RtpOutput | undefined {
    return this.#output;
  }

  /** Binds the RTP output chosen when the connection came up; the first binding stays. */
  bind(output: RtpOutput): void {
    this.#output ??= output;
  }

  /** A live frame of this track, while the viewer is live. Queued behind a replay that is still going out. */
  deliver(frame: MediaFrame): void {
    if (frame.payloads.length === 0 || frame === this.#lastFrame) return;
    const backlog = this.#backlog;
    if (backlog) {
      // Behind the replay, in order; a frame the replay already carries is not queued twice.
      if (!backlog.frames.includes(frame)) backlog.frames.push(frame);
      return;
    }
    this.#forward(frame);
  }

  /** The browser's decoder needs a keyframe to (re)start: video waits for one. */
  restartAtKeyframe(): void {
    if (this.kind === 'video') this.#waitingForKeyframe = true;
  }

  /**
   * Sends a cached GOP of this track: the keyframe now, the rest from REPLAY_REST_DELAY_MS on, one
   * frame every REPLAY_FRAME_INTERVAL_MS (live frames that come meanwhile queue behind it).
   * Returns false when it cannot be used (not a GOP of this video track, all of one camera
   * session), and the track keeps waiting for the next keyframe.
   */
  replay(frames: readonly MediaFrame[]): boolean {
    const first = frames[0];
    // By kind, not track index: after a switch to the camera's other stream its video track may
    // have another index than the one this track was made for.
    if (this.kind !== 'video' || !first?.keyframe || frames.some((f) => f.kind !== 'video' || f.generation !== first.generation)) return false;
    this.#cancelBacklog();
    const now = performance.now();
    this.#send(first, this.#timeline.rebaseAfter(first, this.#replayedAt ? now - this.#replayedAt : 0));
    this.#replayedAt = now;
    if (frames.length > 1) {
      const backlog: Backlog = {
        frames: frames.slice(1),
        due: now + REPLAY_REST_DELAY_MS,
        timer: setTimeout(() => this.#drainBacklog(backlog), REPLAY_REST_DELAY_MS),
      };
      this.#backlog = backlog;
    }
    this.#afterReplay = true;
    this.#waitingForKeyframe = false;
    this.#hooks.counters.replays++;
    this.#hooks.counters.framesReplayed += frames.length;
    return true;
  }

  /**
   * The first frame of another stream of the camera (a switch between main and sub): a keyframe,
   * sent now, ahead of whatever of the previous stream's replay is still queued, with a timestamp
   * the wall time after the last one (a new generation, as after a camera reconnect).
   */
  restartWith(keyframe: MediaFrame): void {
    this.#cancelBacklog();
    this.#forward(keyframe);
  }

  /** Stops the backlog and the output. */
  close(): void {
    this.#cancelBacklog();
    this.#output?.close();
  }

  /**
   * A live frame: gated on keyframes after a camera restart, then sent. `sentAt`: a frame of a
   * backlog, sent out of its camera time (its timestamp follows the wall clock). Never throws.
   */
  #forward(frame: MediaFrame, sentAt?: number): void {
    try {
      if (this.kind === 'video' && this.#generation !== -1 && this.#generation !== frame.generation && !frame.keyframe && !this.#waitingForKeyframe) {
        // The camera restarted: its new session may use other parameter sets, and the decoder has no
        // reference for the P-frames that could come first. Start again at a keyframe.
        this.#waitingForKeyframe = true;
        this.#hooks.askKeyframe();
        // The cached GOP of the new session may have carried this very frame.
        if (frame === this.#lastFrame) return;
      }
      if (this.#waitingForKeyframe) {
        if (!frame.keyframe) {
          this.#hooks.counters.framesSkipped++;
          return;
        }
        this.#waitingForKeyframe = false;
      }
      if (sentAt === undefined && !this.#afterReplay) {
        this.#send(frame, this.#timeline.rebase(frame.timestamp, frame.generation, frame.receivedAt));
        return;
      }
      // A frame of a replay's backlog, or the first live one after it: timestamps follow the
      // wall clock there, then the camera's spacing again (see REPLAY_FRAME_INTERVAL_MS).
      const at = sentAt ?? performance.now();
      this.#send(frame, this.#timeline.rebaseAfter(frame, at - this.#replayedAt));
      this.#replayedAt = at;
      if (sentAt === undefined) this.#afterReplay = false;
    } catch (err) {
      this.#hooks.sendFailed(err);
    }
  }

  /** Writes one frame with this viewer's SSRC, sequence numbers and `timestamp`. */
  #send(frame: MediaFrame, timestamp: number): void {
    const output = this.#output;
    if (!output) return;
    this.#generation = frame.generation;
    this.#lastFrame = frame;
    const last = frame.payloads.length - 1;
    // Video: end of the access unit. Audio: no talkspurts here, so never set.
    const video = this.kind === 'video';
    let bytes = 0;
    for (let i = 0; i <= last; i++) {
      const payload = frame.payloads[i];
      output.send(this.#timeline.nextSequence(), timestamp, video && i === last, payload);
      bytes += payload.length;
    }
    output.frameSent(timestamp);
    const counters = this.#hooks.counters;
    counters.framesSent++;
    counters.packetsSent += frame.payloads.length;
    counters.bytesSent += bytes + RTP_HEADER_BYTES * frame.payloads.length;
    if (this.#awaitingLivePicture) this.#awaitingLivePicture = !this.#hooks.pictureSent(frame);
  }

  /**
   * Sends the frames of the backlog that are due, one every REPLAY_FRAME_INTERVAL_MS, on a timer, so
   * a new viewer's replay never holds up the packets of the others (a 2 s GOP at 2 Mbit/s is ~400
   * packets). A late timer sends what fell due meanwhile, at most REPLAY_FRAMES_PER_TICK.
   */
  #drainBacklog(backlog: Backlog): void {
    if (this.#backlog !== backlog) return;
    if (!this.#hooks.live()) {
      // Resuming restarts at a keyframe (and replays) anyway.
      this.#backlog = undefined;
      return;
    }
    const now = performance.now();
    const lag = REPLAY_FRAMES_PER_TICK * REPLAY_FRAME_INTERVAL_MS;
    if (backlog.due < now - lag) backlog.due = now - lag;
    try {
      for (let i = 0; i < REPLAY_FRAMES_PER_TICK && backlog.frames.length > 0 && backlog.due <= now; i++) {
        this.#forward(backlog.frames.shift()!, backlog.due);
        // A live frame from a restarted camera started another replay: this one is over.
        if (this.#backlog !== backlog) return;
        backlog.due += REPLAY_FRAME_INTERVAL_MS;
      }
    } catch (err) {
      this.#hooks.sendFailed(err);
    }
    if (backlog.frames.length === 0) this.#backlog = undefined;
    else backlog.timer = setTimeout(() => this.#drainBacklog(backlog), Math.max(0, backlog.due - performance.now()));
  }

  #cancelBacklog(): void {
    const backlog = this.#backlog;
    if (!backlog) return;
    this.#backlog = undefined;
    clearTimeout(backlog.timer);
  }
}
