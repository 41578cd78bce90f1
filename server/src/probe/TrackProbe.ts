/**
 * One played track under the probe: counts what arrives at the RTP level (packets, bytes, loss,
 * pictures) and pushes every packet through the server's own track pipeline (media/TrackPipeline.ts:
 * depacketize, parameter sets, AAC transcoding), counting the frames a viewer would get and the
 * decode errors the server would log.
 */
import { CamrtcError } from '../errors.js';
import { redactText } from '../log/redact.js';
import { createTrackPipeline, type PipelineOutput, type TrackPipeline } from '../media/TrackPipeline.js';
import type { MediaFrame } from '../media/MediaFrame.js';
import { parseRtpPacket } from '../rtp/RtpPacket.js';
import { RtpSequenceCounter } from '../rtp/RtpSequenceCounter.js';
import { sizeFromPayloads } from '../rtp/h264/pictureSize.js';
import type { Track } from '../sdp/Track.js';
import type { TrackStats } from './ProbeReport.js';

export class TrackProbe {
  private packets = 0;
  private bytes = 0;
  private accessUnits = 0;
  private lastTimestamp: number | undefined;
  private frames = 0;
  private keyframes = 0;
  private decodeErrors = 0;
  private lastDecodeError: { code: string; message: string } | undefined;
  private bFrames = false;
  private ssrc: number | undefined;
  private ssrcChanges = 0;
  private profileLevelId: string | undefined;
  private readonly seq = new RtpSequenceCounter();
  private readonly pipeline: TrackPipeline;
  /** Resolution from the first SPS a viewer gets, for when the SDP has none. */
  inbandSize: { width: number; height: number } | undefined;

  /** Throws what createTrackPipeline throws for a track the server does not forward. */
  constructor(readonly track: Track) {
    const out: PipelineOutput = {
      frame: (frame) => this.onFrame(frame),
      error: (error) => {
        this.decodeErrors++;
        this.lastDecodeError = { code: error.code, message: redactText(error.message) };
      },
      profile: (_index, profileLevelId) => (this.profileLevelId = profileLevelId),
      bFrames: () => (this.bFrames = true),
    };
    this.pipeline = createTrackPipeline(track, out);
  }

  /**
   * Whether `packet` starts a new RTP stream (another SSRC than the one before): the caller resets
   * every pipeline then, as the server does.
   */
  isNewStream(packet: Buffer): boolean {
    if (packet.length < 12) return false;
    const ssrc = packet.readUInt32BE(8);
    const known = this.ssrc;
    this.ssrc = ssrc;
    if (known === undefined || known === ssrc) return false;
    this.ssrcChanges++;
    return true;
  }

  /** Forgets depacketizer state (a new RTP stream on some track). */
  reset(): void {
    this.pipeline.reset?.();
  }

  push(packet: Buffer, generation: number, now: number): void {
    const pkt = parseRtpPacket(packet);
    if (!(pkt instanceof CamrtcError)) {
      this.packets++;
      this.bytes += packet.length;
      this.seq.push(pkt.sequenceNumber);
      if (pkt.timestamp !== this.lastTimestamp) {
        this.lastTimestamp = pkt.timestamp;
        this.accessUnits++;
      }
    }
    // The pipeline sees malformed packets too: it reports them as the server would.
    this.pipeline.push(packet, generation, now);
  }

  /** Releases the pipeline (the AAC transcoder process). Idempotent. */
  close(): void {
    this.pipeline.close?.();
  }

  get stats(): TrackStats {
    const s = this.seq.stats;
    return {
      packets: this.packets,
      bytes: this.bytes,
      accessUnits: this.accessUnits,
      frames: this.frames,
      keyframes: this.track.kind === 'video' ? this.keyframes : null,
      lost: s.lost,
      reordered: s.reordered,
      decodeErrors: this.decodeErrors,
      ...(this.lastDecodeError ? { lastDecodeError: this.lastDecodeError } : {}),
      bFrames: this.bFrames,
      ssrcChanges: this.ssrcChanges,
      ...(this.profileLevelId ? { profileLevelId: this.profileLevelId } : {}),
    };
  }

  private onFrame(frame: MediaFrame): void {
    // Frames as browsers get them: of AAC, the Opus it is transcoded to.
    if (frame.encoding === 'camera') return;
    this.frames++;
    if (frame.kind !== 'video' || !frame.keyframe) return;
    this.keyframes++;
    if (!this.inbandSize && this.track.codec === 'H264') this.inbandSize = sizeFromPayloads(frame.payloads);
  }
}
