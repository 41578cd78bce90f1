/**
 * Turns one camera track's RTP packets into MediaFrames for viewers: parse, depacketize to access
 * units (video), inject parameter sets before IDRs, repacketize to <= MAX_RTP_PAYLOAD. One per track
 * per upstream session; recreated when the camera reconnects (depacketizer state must not leak
 * across sessions).
 */
import { CamrtcError } from '../errors.js';
import type { Track } from '../sdp/Track.js';
import { parseRtpPacket } from '../rtp/RtpPacket.js';
import { H264Depacketizer, type H264AccessUnit } from '../rtp/h264/H264Depacketizer.js';
import { ParameterSets } from '../rtp/h264/ParameterSets.js';
import { packetizeH264 } from '../rtp/h264/H264Packetizer.js';
import { MAX_RTP_PAYLOAD, type MediaFrame } from './MediaFrame.js';

export interface PipelineOutput {
  frame(frame: MediaFrame): void;
  /** A packet or access unit was dropped (malformed, lost). Non-fatal. */
  error(error: CamrtcError): void;
}

export interface TrackPipeline {
  readonly track: Track;
  /** Called in the packet's tick; frames completed by this packet go to `out` before it returns. */
  push(packet: Buffer, generation: number, now: number): void;
}

/** Codecs this version forwards, by kind. */
export function isForwardable(track: Track): boolean {
  if (track.kind === 'video') return track.codec === 'H264';
  if (track.kind === 'audio') return track.codec === 'PCMA' || track.codec === 'PCMU' || track.codec === 'OPUS';
  return false;
}

class H264Pipeline implements TrackPipeline {
  private readonly depacketizer = new H264Depacketizer();
  private readonly parameterSets: ParameterSets;
  /**
   * After a lost access unit the following P-frames reference a picture the viewer never got; and
   * since viewers get continuous sequence numbers, their decoder cannot tell. Waiting for the next
   * IDR gives a short freeze instead of smeared garbage.
   */
  private waitForKeyframe = false;

  constructor(readonly track: Track, private readonly out: PipelineOutput) {
    this.parameterSets = new ParameterSets(track.fmtp['sprop-parameter-sets']);
  }

  push(packet: Buffer, generation: number, now: number): void {
    const rtp = parseRtpPacket(packet);
    if (rtp instanceof CamrtcError) return this.out.error(rtp);
    if (rtp.payloadType !== this.track.payloadType) return;
    // One packet can complete two results (an AU ended by a timestamp change, then a one-packet AU).
    for (let r = this.depacketizer.push(rtp); r !== null; r = this.depacketizer.next()) {
      if (r instanceof CamrtcError) {
        this.waitForKeyframe = true;
        this.out.error(r);
      } else {
        this.emit(r, generation, now);
      }
    }
  }

  private emit(au: H264AccessUnit, generation: number, now: number): void {
    if (this.waitForKeyframe && !au.keyframe) return;
    this.waitForKeyframe = false;
    const nalus = this.parameterSets.prepare(au);
    if (nalus.length === 0) return;
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

export function createTrackPipeline(track: Track, out: PipelineOutput): TrackPipeline {
  if (track.kind === 'video' && track.codec === 'H264') return new H264Pipeline(track, out);
  if (isForwardable(track)) return new AudioPipeline(track, out);
  throw new CamrtcError('ERR_CODEC_UNSUPPORTED', `${track.kind} codec ${track.codec} is not forwarded`);
}
