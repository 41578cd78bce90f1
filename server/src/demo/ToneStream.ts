import { randomBytes } from 'node:crypto';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { RTP_HEADER_SIZE, writeRtpHeader } from '../rtp/RtpPacket.js';
import { encodeG711, type G711Codec } from '../rtp/g711.js';
import { FramePacer, realClock, type RtpStreamSource, type StreamClock } from './RtpStreamSource.js';

export const TONE_SAMPLE_RATE = 8000;
/** 20 ms packets, the usual G.711 packetization (RFC 3551). */
export const TONE_PACKET_MS = 20;
export const TONE_SAMPLES_PER_PACKET = (TONE_SAMPLE_RATE * TONE_PACKET_MS) / 1000;
/** A 100 ms beep at the start of every second, silence otherwise. */
export const TONE_PACKETS_PER_SECOND = 1000 / TONE_PACKET_MS;
export const TONE_BEEP_PACKETS = 100 / TONE_PACKET_MS;
const BEEP_HZ = 1000;
/** About -20 dBFS: audible, not loud. */
const BEEP_AMPLITUDE = 3277;
/** Raised-cosine fade in and out, so the beep does not click. */
const FADE_SAMPLES = 40;

export interface ToneStreamOptions {
  /** Default PCMA. */
  codec?: G711Codec;
  /** Default 8 for PCMA, 0 for PCMU (the static RFC 3551 types). */
  payloadType?: number;
  ssrc?: number;
  sequenceNumber?: number;
  timestamp?: number;
  clock?: StreamClock;
}

type StreamEvents = { packet: [Buffer] };

/** The demo camera's audio: 8 kHz G.711, one 160-sample packet every 20 ms, timestamps continuous. */
export class ToneStream extends TypedEmitter<StreamEvents> implements RtpStreamSource {
  readonly media: RtpStreamSource['media'];
  readonly ssrc: number;

  private readonly beep: Buffer[];
  private readonly silence: Buffer;
  private readonly firstTimestamp: number;
  private readonly pacer: FramePacer;
  private seq: number;
  private sentAny = false;

  constructor(options: ToneStreamOptions = {}) {
    super();
    const codec = options.codec ?? 'PCMA';
    this.media = {
      kind: 'audio',
      codec,
      clockRate: TONE_SAMPLE_RATE,
      payloadType: options.payloadType ?? (codec === 'PCMA' ? 8 : 0),
      channels: 1,
    };
    this.ssrc = (options.ssrc ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.seq = (options.sequenceNumber ?? randomBytes(2).readUInt16BE(0)) & 0xffff;
    this.firstTimestamp = (options.timestamp ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    const samples = beepSamples();
    this.beep = [];
    for (let i = 0; i < TONE_BEEP_PACKETS; i++) {
      this.beep.push(encodeG711(codec, samples.subarray(i * TONE_SAMPLES_PER_PACKET, (i + 1) * TONE_SAMPLES_PER_PACKET)));
    }
    this.silence = encodeG711(codec, new Int16Array(TONE_SAMPLES_PER_PACKET));
    this.pacer = new FramePacer(options.clock ?? realClock, TONE_PACKET_MS, (index) => this.tick(index));
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

  private timestampOf(index: number): number {
    return (this.firstTimestamp + index * TONE_SAMPLES_PER_PACKET) >>> 0;
  }

  private tick(index: number): void {
    if (this.listenerCount('packet') === 0) return;
    const slot = index % TONE_PACKETS_PER_SECOND;
    const payload = slot < TONE_BEEP_PACKETS ? this.beep[slot] : this.silence;
    const packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
    // RFC 3551: the marker flags the first packet of a talkspurt; the stream has one, at its start.
    writeRtpHeader(packet, { marker: !this.sentAny, payloadType: this.media.payloadType, sequenceNumber: this.seq, timestamp: this.timestampOf(index), ssrc: this.ssrc });
    payload.copy(packet, RTP_HEADER_SIZE);
    this.sentAny = true;
    this.seq = (this.seq + 1) & 0xffff;
    this.safeEmit('packet', packet);
  }
}

/** The beep as 16-bit samples; 1 kHz at 8 kHz is a whole number of periods per packet. */
function beepSamples(): Int16Array {
  const total = TONE_BEEP_PACKETS * TONE_SAMPLES_PER_PACKET;
  const out = new Int16Array(total);
  for (let i = 0; i < total; i++) {
    const edge = Math.min(i, total - 1 - i);
    const envelope = edge >= FADE_SAMPLES ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / FADE_SAMPLES);
    out[i] = Math.round(BEEP_AMPLITUDE * envelope * Math.sin((2 * Math.PI * BEEP_HZ * i) / TONE_SAMPLE_RATE));
  }
  return out;
}
