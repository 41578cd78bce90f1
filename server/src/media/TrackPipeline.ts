/**
 * Turns one camera track's RTP packets into MediaFrames for viewers: parse, depacketize to access
 * units (video), inject parameter sets before IDRs, repacketize to <= MAX_RTP_PAYLOAD. One per track
 * per upstream session; recreated when the camera reconnects (depacketizer state must not leak
 * across sessions).
 */
import { CamrtcError } from '../errors.js';
import type { Track } from '../sdp/Track.js';
import { parseRtpPacket, type RtpPacket } from '../rtp/RtpPacket.js';
import { H264Depacketizer, type H264AccessUnit } from '../rtp/h264/H264Depacketizer.js';
import { ParameterSets } from '../rtp/h264/ParameterSets.js';
import { packetizeH264 } from '../rtp/h264/H264Packetizer.js';
import { hasBSlice } from '../rtp/h264/slice.js';
import { H265Depacketizer, type H265AccessUnit } from '../rtp/h265/H265Depacketizer.js';
import { H265ParameterSets } from '../rtp/h265/H265ParameterSets.js';
import { packetizeH265 } from '../rtp/h265/H265Packetizer.js';
import { AacDepacketizer, genericParams } from '../audio/AacDepacketizer.js';
import { parseAudioSpecificConfig, parseStreamMuxConfig, type AacConfig } from '../audio/aacConfig.js';
import { AacTranscoder } from '../audio/AacTranscoder.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import { MAX_RTP_PAYLOAD, type MediaFrame } from './MediaFrame.js';

export interface PipelineOutput {
  frame(frame: MediaFrame): void;
  /** A packet or access unit was dropped (malformed, lost). Non-fatal. */
  error(error: CamrtcError): void;
  /** The video's parameter sets (SPS) are known or changed: its RFC 6184 profile-level-id. */
  profile?(trackIndex: number, profileLevelId: string): void;
  /** The first access unit with B slices (reported once per pipeline). */
  bFrames?(trackIndex: number): void;
}

export interface TrackPipeline {
  readonly track: Track;
  /** Called in the packet's tick; frames completed by this packet go to `out` before it returns. */
  push(packet: Buffer, generation: number, now: number): void;
  /** Releases what the pipeline holds (the AAC transcoder process). Idempotent. */
  close?(): void;
  /** Forgets depacketizer state (the camera started a new RTP stream: new SSRC). */
  reset?(): void;
  /**
   * A track browsers get transcoded (AAC): whether anyone needs the transcoded frames now. Off, the
   * pipeline hands out the camera's own payloads only and runs no transcoder.
   */
  setTranscoding?(on: boolean): void;
}

export interface PipelineOptions {
  /** Transcode from the start (default true): a live camera turns it on while a browser watches. */
  readonly transcode?: boolean;
}

const AAC_CODECS = new Set(['MPEG4-GENERIC', 'MP4A-LATM']);

export function isAac(track: Track): boolean {
  return track.kind === 'audio' && AAC_CODECS.has(track.codec);
}

/**
 * Codecs this version forwards, by kind: H.264 and H.265 video (H.265 only reaches viewers that can
 * decode it), Opus/PCMA/PCMU audio as is, AAC transcoded to Opus when ffmpeg is installed.
 */
export function isForwardable(track: Track): boolean {
  if (track.kind === 'video') return track.codec === 'H264' || track.codec === 'H265';
  if (track.kind === 'audio') return track.codec === 'PCMA' || track.codec === 'PCMU' || track.codec === 'OPUS' || (isAac(track) && findFfmpeg() !== undefined);
  return false;
}

/**
 * The track as viewers see it: AAC becomes the Opus it is transcoded to (RFC 7587: 48000/2), with
 * the camera's own track beside it for the restream, which serves the AAC as it comes.
 */
export function presentedTrack(track: Track): Track {
  if (!isAac(track)) return track;
  // The payload type is the camera's (viewers offer their own); the rest describes the Opus stream.
  return { ...track, codec: 'OPUS', clockRate: 48000, channels: 2, fmtp: {}, cameraTrack: track };
}

/** What the video pipelines need of a depacketizer (H.264 and H.265 share the contract). */
interface VideoDepacketizer<AU> {
  push(pkt: RtpPacket): AU | CamrtcError | null;
  next(): AU | CamrtcError | null;
}

/**
 * The part H.264 and H.265 share: parse, depacketize, and after a lost access unit wait for the next
 * keyframe. The following P-frames reference a picture the viewer never got; and since viewers get
 * continuous sequence numbers, their decoder cannot tell. A short clean freeze beats smeared garbage.
 */
abstract class VideoPipeline<AU extends { keyframe: boolean }> implements TrackPipeline {
  private depacketizer: VideoDepacketizer<AU>;
  private waitForKeyframe = false;

  constructor(readonly track: Track, protected readonly out: PipelineOutput) {
    this.depacketizer = this.createDepacketizer();
  }

  protected abstract createDepacketizer(): VideoDepacketizer<AU>;
  /** Builds and hands out the frame of one complete access unit. */
  protected abstract emit(au: AU, generation: number, now: number): void;

  push(packet: Buffer, generation: number, now: number): void {
    const rtp = parseRtpPacket(packet);
    if (rtp instanceof CamrtcError) return this.out.error(rtp);
    if (rtp.payloadType !== this.track.payloadType) return;
    // One packet can complete two results (an AU ended by a timestamp change, then a one-packet AU).
    for (let r = this.depacketizer.push(rtp); r !== null; r = this.depacketizer.next()) {
      if (r instanceof CamrtcError) {
        this.waitForKeyframe = true;
        this.out.error(r);
      } else if (!this.waitForKeyframe || r.keyframe) {
        this.waitForKeyframe = false;
        this.emit(r, generation, now);
      }
    }
  }

  reset(): void {
    this.depacketizer = this.createDepacketizer();
    this.waitForKeyframe = true;
  }
}

class H264Pipeline extends VideoPipeline<H264AccessUnit> {
  private readonly parameterSets = new ParameterSets(this.track.fmtp['sprop-parameter-sets']);
  private profileLevelId: string | undefined;
  private bFramesSeen = false;

  protected createDepacketizer(): H264Depacketizer {
    return new H264Depacketizer();
  }

  protected emit(au: H264AccessUnit, generation: number, now: number): void {
    const nalus = this.parameterSets.prepare(au);
    if (nalus.length === 0) return;
    const profile = this.parameterSets.profileLevelId;
    if (profile !== undefined && profile !== this.profileLevelId) {
      this.profileLevelId = profile;
      this.out.profile?.(this.track.index, profile);
    }
    // Only P and I slices are usual for IP cameras; checking every picture costs a few bit reads.
    if (!this.bFramesSeen && !au.keyframe && hasBSlice(au.nalus)) {
      this.bFramesSeen = true;
      this.out.bFrames?.(this.track.index);
    }
    this.out.frame({
      trackIndex: this.track.index,
      kind: 'video',
      timestamp: au.timestamp,
      keyframe: au.keyframe,
      payloads: packetizeH264(nalus, MAX_RTP_PAYLOAD),
      generation,
      receivedAt: now,
    });
  }
}

class H265Pipeline extends VideoPipeline<H265AccessUnit> {
  private readonly parameterSets = new H265ParameterSets(this.track.fmtp);

  protected createDepacketizer(): H265Depacketizer {
    return new H265Depacketizer({ donl: Number(this.track.fmtp['sprop-max-don-diff'] ?? 0) > 0 });
  }

  protected emit(au: H265AccessUnit, generation: number, now: number): void {
    const nalus = this.parameterSets.prepare(au);
    if (nalus.length === 0) return;
    this.out.frame({ trackIndex: this.track.index, kind: 'video', timestamp: au.timestamp, keyframe: au.keyframe, payloads: packetizeH265(nalus, MAX_RTP_PAYLOAD), generation, receivedAt: now });
  }
}

/**
 * AAC (MPEG4-GENERIC or MP4A-LATM): the camera's own payloads as they come ('camera' frames, for the
 * RTSP restream, which serves AAC as the camera sends it), and Opus through ffmpeg while transcoding
 * is on ('transcoded' frames, for browsers). Opus frames come back a few tens of milliseconds later,
 * outside the camera packet's tick; they carry the generation of the session that fed them and
 * timestamps counted in 48 kHz samples. A live camera transcodes only while a browser watches, so
 * an audience of RTSP clients costs no ffmpeg process; a transcoder started again continues the
 * Opus timestamps by the wall time that passed, as if it had run all along.
 */
class AacPipeline implements TrackPipeline {
  private readonly latm: boolean;
  private readonly config: AacConfig | undefined;
  private depacketizer: AacDepacketizer | undefined;
  private transcoder: AacTranscoder | undefined;
  private generation = 0;
  private timestamp = 0;
  /** When the last Opus packet came out (performance.now()), 0 before any. */
  private lastOpusAt = 0;
  private closed = false;

  constructor(readonly track: Track, private readonly out: PipelineOutput, private readonly ffmpeg: string, transcode: boolean) {
    this.latm = track.codec === 'MP4A-LATM';
    const config: AacConfig | CamrtcError = this.latm ? parseStreamMuxConfig(track.fmtp.config) : parseAudioSpecificConfig(track.fmtp.config);
    if (config instanceof CamrtcError) out.error(config);
    else this.config = config;
    this.setTranscoding(transcode);
  }

  push(packet: Buffer, generation: number, now: number): void {
    this.generation = generation;
    const rtp = parseRtpPacket(packet);
    if (rtp instanceof CamrtcError) return this.out.error(rtp);
    if (rtp.payloadType !== this.track.payloadType || rtp.payload.length === 0) return;
    // Before the transcoder is fed: the restream's packet goes out in this tick whatever ffmpeg does.
    this.out.frame({
      trackIndex: this.track.index, kind: 'audio', timestamp: rtp.timestamp, keyframe: true, payloads: [rtp.payload],
      generation, receivedAt: now, encoding: 'camera', marker: rtp.marker,
    });
    if (!this.transcoder || !this.depacketizer) return;
    const frames = this.depacketizer.push(rtp);
    if (frames instanceof CamrtcError) return this.out.error(frames);
    for (const f of frames) this.transcoder.push(f);
  }

  setTranscoding(on: boolean): void {
    if (on === (this.transcoder !== undefined) || this.closed) return;
    if (!on) {
      this.transcoder?.close();
      this.transcoder = undefined;
      this.depacketizer = undefined;
      return;
    }
    const config = this.config;
    if (!config) return;
    if (this.lastOpusAt > 0) {
      // Opus viewers know one timeline: the time without a transcoder is a gap in it, not nothing.
      this.timestamp = (this.timestamp + Math.round((performance.now() - this.lastOpusAt) * 48)) >>> 0;
    }
    this.depacketizer = new AacDepacketizer(this.latm ? 'latm' : 'generic', genericParams(this.track.fmtp));
    const track = this.track;
    const transcoder: AacTranscoder = new AacTranscoder(this.ffmpeg, config, {
      packet: (payload, samples) => {
        if (this.transcoder !== transcoder) return;
        this.lastOpusAt = performance.now();
        this.out.frame({ trackIndex: track.index, kind: 'audio', timestamp: this.timestamp >>> 0, keyframe: true, payloads: [payload], generation: this.generation, receivedAt: this.lastOpusAt, encoding: 'transcoded' });
        this.timestamp = (this.timestamp + samples) >>> 0;
      },
      error: (error) => {
        if (this.transcoder === transcoder) this.out.error(error);
      },
    });
    this.transcoder = transcoder;
  }

  close(): void {
    this.closed = true;
    this.transcoder?.close();
    this.transcoder = undefined;
  }
}

class AudioPipeline implements TrackPipeline {
  constructor(readonly track: Track, private readonly out: PipelineOutput) {}

  push(packet: Buffer, generation: number, now: number): void {
    const rtp = parseRtpPacket(packet);
    if (rtp instanceof CamrtcError) return this.out.error(rtp);
    if (rtp.payloadType !== this.track.payloadType || rtp.payload.length === 0) return;
    if (rtp.payload.length > MAX_RTP_PAYLOAD) {
      return this.out.error(new CamrtcError('ERR_LIMIT', `audio packet of ${rtp.payload.length} bytes exceeds ${MAX_RTP_PAYLOAD}`));
    }
    this.out.frame({ trackIndex: this.track.index, kind: 'audio', timestamp: rtp.timestamp, keyframe: true, payloads: [rtp.payload], generation, receivedAt: now });
  }
}

export function createTrackPipeline(track: Track, out: PipelineOutput, options: PipelineOptions = {}): TrackPipeline {
  if (track.kind === 'video' && track.codec === 'H264') return new H264Pipeline(track, out);
  if (track.kind === 'video' && track.codec === 'H265') return new H265Pipeline(track, out);
  if (isAac(track)) {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new CamrtcError('ERR_TRANSCODER', 'AAC audio needs ffmpeg (not found on PATH)');
    return new AacPipeline(track, out, ffmpeg, options.transcode ?? true);
  }
  if (isForwardable(track)) return new AudioPipeline(track, out);
  throw new CamrtcError('ERR_CODEC_UNSUPPORTED', `${track.kind} codec ${track.codec} is not forwarded`);
}
