/**
 * The one RTP stream camrtc sends to a camera's backchannel, whoever talks: its own SSRC, sequence
 * and timestamps, continuous across talkers and pauses. A pause moves the timestamp on by the time
 * that passed (the camera's jitter buffer then plays the next words at once rather than treat them
 * as late), and the first packet after one carries the marker (RFC 3551 4.1, a talk spurt). For
 * AAC (RFC 3640 3.2.1) the marker says instead that the packet ends an access unit: every packet.
 */
import { randomBytes } from 'node:crypto';
import { serializeRtpPacket } from '../rtp/RtpPacket.js';

/** A gap longer than this between packets is a pause: the next packet starts a talk spurt. */
export const TALK_SPURT_GAP_MS = 60;

export class BackchannelRtp {
  readonly ssrc: number;
  #sequence: number;
  #timestamp: number;
  /** When the last packet was sent, and how long (ms) it plays. */
  #lastAt = -Infinity;
  #lastMs = 0;

  constructor(
    readonly payloadType: number,
    readonly clockRate: number,
    random: (n: number) => Buffer = randomBytes,
    /** Every packet is whole access units (AAC): the marker on each. */
    private readonly wholeUnits = false,
  ) {
    const r = random(10);
    this.ssrc = r.readUInt32BE(0);
    this.#sequence = r.readUInt16BE(4);
    this.#timestamp = r.readUInt32BE(6);
  }

  /** The RTP packet for one payload of `samples` (at the clock rate), sent at `now` (ms). */
  packet(payload: Buffer, samples: number, now: number): Buffer {
    const gap = now - this.#lastAt - this.#lastMs;
    const spurt = gap > TALK_SPURT_GAP_MS;
    if (spurt && Number.isFinite(this.#lastAt)) this.#timestamp = (this.#timestamp + Math.round((gap * this.clockRate) / 1000)) >>> 0;
    const packet = serializeRtpPacket({
      marker: spurt || this.wholeUnits,
      payloadType: this.payloadType,
      sequenceNumber: this.#sequence,
      timestamp: this.#timestamp,
      ssrc: this.ssrc,
      payload,
    });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + samples) >>> 0;
    this.#lastAt = now;
    this.#lastMs = (samples * 1000) / this.clockRate;
    return packet;
  }
}
