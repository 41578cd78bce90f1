import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CamrtcError } from '../errors.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { RTP_HEADER_SIZE, writeRtpHeader } from '../rtp/RtpPacket.js';
import { packetizeH264 } from '../rtp/h264/H264Packetizer.js';
import { NaluType, naluType } from '../rtp/h264/nal.js';
import { parseSps } from '../rtp/h264/sps.js';
import { accessUnitsFromAnnexB } from './annexb.js';
import { FramePacer, realClock, type RtpStreamSource, type StreamClock } from './RtpStreamSource.js';

/** Like a typical IP camera's packets (they fill an Ethernet MTU); Source repacketizes to 1200. */
export const CLIP_MAX_PAYLOAD = 1400;
const H264_CLOCK_RATE = 90000;

export interface H264ClipStreamOptions {
  /** Annex-B H.264 file (server/assets/demo.h264). Read once, synchronously, by the constructor. */
  file?: string;
  /** The clip's bytes instead of `file`. */
  data?: Buffer;
  /** Frames per second (default 25). */
  fps?: number;
  /** RTP payload type (default 96). */
  payloadType?: number;
  /** Default random, like a camera. */
  ssrc?: number;
  /** First sequence number (default random). */
  sequenceNumber?: number;
  /** First RTP timestamp (default random). */
  timestamp?: number;
  /** Largest RTP payload (default CLIP_MAX_PAYLOAD). */
  maxPayload?: number;
  clock?: StreamClock;
}

interface ClipFrame {
  payloads: Buffer[];
  keyframe: boolean;
}

type StreamEvents = { packet: [Buffer] };

/**
 * Replays an H.264 clip as a live camera: access units paced in real time, looped forever with
 * continuous sequence numbers and timestamps (90 kHz, one frame period per frame across loops),
 * marker on the last packet of each picture. SPS/PPS stay in-band as in the file.
 */
export class H264ClipStream extends TypedEmitter<StreamEvents> implements RtpStreamSource {
  readonly media: RtpStreamSource['media'];
  readonly ssrc: number;
  /** Picture size from the clip's SPS. */
  readonly width: number;
  readonly height: number;
  /** Number of access units in one loop of the clip. */
  readonly frameCount: number;

  private readonly frames: ClipFrame[];
  private readonly fps: number;
  private readonly firstTimestamp: number;
  private readonly pacer: FramePacer;
  private seq: number;
  private position = 0;
  private keyframeRequested = false;

  constructor(options: H264ClipStreamOptions) {
    super();
    const fps = options.fps ?? 25;
    if (!(fps > 0 && fps <= 240)) throw new CamrtcError('ERR_CONFIG_INVALID', `invalid demo frame rate ${fps}`);
    const data = options.data ?? readClip(options.file);
    const units = accessUnitsFromAnnexB(data);
    // Looping must restart at a picture a decoder can start from.
    const firstKey = units.findIndex((au) => au.some((n) => naluType(n) === NaluType.IdrSlice));
    if (firstKey < 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'the demo clip holds no IDR picture');
    const playable = units.slice(firstKey);
    const sps = playable[0].find((n) => naluType(n) === NaluType.Sps);
    const pps = playable[0].find((n) => naluType(n) === NaluType.Pps);
    const info = sps ? parseSps(sps) : undefined;
    if (!sps || !pps || !info || info instanceof CamrtcError) {
      throw new CamrtcError('ERR_CONFIG_INVALID', 'the demo clip does not start with a valid SPS and PPS');
    }
    const maxPayload = options.maxPayload ?? CLIP_MAX_PAYLOAD;
    this.frames = playable.map((nalus) => ({
      payloads: packetizeH264(nalus, maxPayload),
      keyframe: nalus.some((n) => naluType(n) === NaluType.IdrSlice),
    }));
    this.frameCount = this.frames.length;
    this.width = info.width;
    this.height = info.height;
    this.fps = fps;
    this.ssrc = (options.ssrc ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.seq = (options.sequenceNumber ?? randomBytes(2).readUInt16BE(0)) & 0xffff;
    this.firstTimestamp = (options.timestamp ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.media = {
      kind: 'video',
      codec: 'H264',
      clockRate: H264_CLOCK_RATE,
      payloadType: options.payloadType ?? 96,
      fmtp: `packetization-mode=1;profile-level-id=${info.profileLevelId};sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`,
    };
    this.pacer = new FramePacer(options.clock ?? realClock, 1000 / fps, (index) => this.tick(index));
  }

  get nextSequenceNumber(): number {
    return this.seq;
  }
  get currentTimestamp(): number {
    return this.timestampOf(this.pacer.nextIndex);
  }
  get closed(): boolean {
    return this.pacer.closed;
  }

  start(): void {
    this.pacer.start();
  }

  close(): void {
    this.pacer.close();
  }

  /** The next picture sent is the clip's next IDR (a jump in content, not in timestamps). */
  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  private timestampOf(index: number): number {
    // Rounded from the index, not accumulated, so fractional frame periods (29.97) do not drift.
    return (this.firstTimestamp + Math.round((index * H264_CLOCK_RATE) / this.fps)) >>> 0;
  }

  private tick(index: number): void {
    if (this.keyframeRequested) {
      this.keyframeRequested = false;
      while (!this.frames[this.position].keyframe) this.position = (this.position + 1) % this.frames.length;
    }
    const frame = this.frames[this.position];
    this.position = (this.position + 1) % this.frames.length;
    // Nobody listening: the timeline moves on but no packet is built (sequence numbers only count
    // packets actually sent, so listeners see no gap).
    if (this.listenerCount('packet') === 0) return;
    const timestamp = this.timestampOf(index);
    const last = frame.payloads.length - 1;
    for (let i = 0; i <= last; i++) {
      const payload = frame.payloads[i];
      const packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      writeRtpHeader(packet, { marker: i === last, payloadType: this.media.payloadType, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc });
      payload.copy(packet, RTP_HEADER_SIZE);
      this.seq = (this.seq + 1) & 0xffff;
      this.safeEmit('packet', packet);
      if (this.closed) return;
    }
  }
}

function readClip(file: string | undefined): Buffer {
  if (file === undefined) throw new CamrtcError('ERR_CONFIG_INVALID', 'H264ClipStream needs a file or data');
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `cannot read the demo clip ${file}`, { file }, { cause: err });
  }
}
