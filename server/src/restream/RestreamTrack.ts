/**
 * One camera track served by the RTSP restream: the camera's frames (depacketized and repacketized
 * into payloads of at most 1200 bytes by its feed) as ONE RTP stream all the camera's restream
 * clients share: one SSRC, one sequence, one timeline kept continuous across camera reconnects
 * (RtpTimeline). Each packet is built once, in the frame's tick, and the RTSP server's fan-out
 * writes it to every playing client (invariant 2). A client that starts gets the video's current GOP
 * first (PacketGop), or, when none is cached, the shared packets from the next keyframe on: its
 * first packet always starts a keyframe. Its RTCP sender reports put its RTP clock on the wall clock
 * as its frames arrived from the camera (ArrivalClock), for audio and video alike, so a client lines
 * the two up as the camera sent them (lip sync).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { MediaFrame } from '../media/MediaFrame.js';
import type { MountTrack, TrackJoin, TrackMedia } from '../rtsp/server/Mount.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { RtpTimeline } from '../webrtc/RtpTimeline.js';
import { ArrivalClock, buildSenderReport, senderInfo } from '../rtp/senderReport.js';
import { PacketGop } from './PacketGop.js';

const RTP_HEADER_BYTES = 12;

type RestreamTrackEvents = {
  packet: [rtp: Buffer];
};

/** A complete RTP packet: version 2, no padding, extension or CSRC. */
export function rtpPacket(payloadType: number, marker: boolean, seq: number, timestamp: number, ssrc: number, payload: Buffer): Buffer {
  const packet = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
  packet[0] = 0x80;
  packet[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE(timestamp >>> 0, 4);
  packet.writeUInt32BE(ssrc >>> 0, 8);
  payload.copy(packet, RTP_HEADER_BYTES);
  return packet;
}

export class RestreamTrack extends TypedEmitter<RestreamTrackEvents> implements MountTrack {
  readonly ssrc: number;
  readonly #timeline: RtpTimeline;
  readonly #gop = new PacketGop();
  /** First packets of keyframes still in flight: where a client waiting for a keyframe starts. */
  readonly #keyframeStarts = new WeakSet<Buffer>();
  readonly #askKeyframe: () => void;
  #media: TrackMedia;
  /** Video: frames are dropped until a keyframe (at the start and after each camera restart). */
  #waitingForKeyframe: boolean;
  #generation = -1;
  /** Sequence number of the next packet: never skips, so a camera restart shows clients no loss. */
  #sequence: number;
  /** Of the shared stream, for the sender reports (replayed copies are not counted again). */
  #packets = 0;
  #octets = 0;
  readonly #clock: ArrivalClock;

  constructor(
    /** The camera track's stable index (MediaFrame.trackIndex). */
    readonly cameraIndex: number,
    media: TrackMedia,
    /** A client needs a keyframe and none is cached: ask the camera (the lease rate-limits it). */
    askKeyframe: () => void,
    /** The SDES CNAME of the reports: one per mount, so a client knows its tracks belong together. */
    readonly cname = 'camrtc',
  ) {
    super();
    this.#media = media;
    this.#askKeyframe = askKeyframe;
    this.ssrc = randomBytes(4).readUInt32BE(0);
    // Random starts (RFC 3550 5.1). The timeline's own sequence is not used: this one can be peeked.
    this.#sequence = randomBytes(2).readUInt16BE(0);
    this.#timeline = new RtpTimeline(media.clockRate, 0, randomBytes(4).readUInt32BE(0));
    this.#waitingForKeyframe = media.kind === 'video';
    this.#clock = new ArrivalClock(media.clockRate);
  }

  get media(): TrackMedia {
    return this.#media;
  }

  /** The camera announced new parameters for the same codec (its true H.264 profile): later DESCRIBEs say them. */
  set media(media: TrackMedia) {
    this.#media = media;
  }

  get nextSequenceNumber(): number {
    return this.#sequence;
  }

  get currentTimestamp(): number {
    return this.#timeline.lastTimestamp;
  }

  /** Frames cached for the next client's replay (video). */
  get cachedFrames(): number {
    return this.#gop.frames;
  }

  /** A camera frame of this track, in its tick: packetized once, for every playing client. */
  push(frame: MediaFrame): void {
    if (frame.payloads.length === 0) return;
    const video = this.#media.kind === 'video';
    if (video && frame.generation !== this.#generation) {
      // A restarted camera's first frames reference pictures nobody has: wait for its keyframe.
      this.#waitingForKeyframe = true;
      this.#gop.clear();
    }
    this.#generation = frame.generation;
    if (this.#waitingForKeyframe) {
      if (!frame.keyframe) return;
      this.#waitingForKeyframe = false;
    }
    const timestamp = this.#timeline.rebase(frame.timestamp, frame.generation, frame.receivedAt);
    const last = frame.payloads.length - 1;
    const packets = frame.payloads.map((payload, i) =>
      // Audio: the camera's own marker (AAC: the end of an access unit), none for the others.
      rtpPacket(this.#media.payloadType, video ? i === last : frame.marker === true, this.#nextSequence(), timestamp, this.ssrc, payload),
    );
    this.#clock.frame(timestamp, performance.timeOrigin + frame.receivedAt);
    this.#packets += packets.length;
    for (const payload of frame.payloads) this.#octets += payload.length;
    if (video) {
      if (frame.keyframe) this.#keyframeStarts.add(packets[0]);
      this.#gop.push(packets, timestamp, frame.keyframe, performance.now());
    }
    for (const packet of packets) this.safeEmit('packet', packet);
  }

  /**
   * How a client starts: video with the cached GOP replayed (unless it paused after the GOP began:
   * it has some of those packets already), else from the next keyframe; audio from the next packet.
   */
  join(pausedAt?: number): TrackJoin {
    const report = this.senderReport();
    const reported = report ? { report } : {};
    if (this.#media.kind !== 'video') return reported;
    const startedAt = this.#gop.startedAt;
    const replay = startedAt > 0 && (pausedAt === undefined || pausedAt < startedAt) ? this.#gop.replay(this.#media.clockRate) : undefined;
    if (replay) return { ...reported, first: replay.packets, seq: replay.seq, rtptime: replay.rtptime };
    this.#askKeyframe();
    return { ...reported, startsAt: (packet) => this.#keyframeStarts.has(packet) };
  }

  /** An RTCP sender report (SR + SDES) for now, or undefined before the first frame. */
  senderReport(unixMs = performance.timeOrigin + performance.now()): Buffer | undefined {
    const rtpTimestamp = this.#clock.timestampAt(unixMs);
    if (rtpTimestamp === undefined) return undefined;
    return buildSenderReport(senderInfo({ ssrc: this.ssrc, packetCount: this.#packets, octetCount: this.#octets }, unixMs, rtpTimestamp), this.cname);
  }

  requestKeyframe(): void {
    this.#askKeyframe();
  }

  /** Nobody watches any more: the cached GOP would be stale for the next client. */
  reset(): void {
    this.#gop.clear();
    this.#waitingForKeyframe = this.#media.kind === 'video';
  }

  #nextSequence(): number {
    const seq = this.#sequence;
    this.#sequence = (seq + 1) & 0xffff;
    return seq;
  }
}
