/**
 * The packets one outbound stream sent recently, so a NACK (RFC 4585 generic NACK) can be answered
 * with the very same packet. It holds references to the payloads, which the camera's Source already
 * shares between all viewers, plus the few header fields that differ per viewer: a slot costs a few
 * bytes, not a copy of the packet.
 */

/** Slots per stream: about 2.5 s of 720p at 2 Mbit/s, far more than a NACK round trip. */
export const RTP_HISTORY_SLOTS = 512;

export interface SentPacket {
  readonly sequence: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly rolloverCounter: number;
  readonly payload: Uint8Array;
}

export class RtpHistory {
  readonly #mask: number;
  readonly #sequence: Int32Array;
  readonly #timestamp: Uint32Array;
  readonly #rollover: Uint32Array;
  readonly #marker: Uint8Array;
  readonly #payload: (Uint8Array | undefined)[];

  /** `slots` must be a power of two. */
  constructor(slots: number = RTP_HISTORY_SLOTS) {
    if (!Number.isInteger(slots) || slots <= 0 || (slots & (slots - 1)) !== 0 || slots > 0x8000) {
      throw new RangeError('RtpHistory slots must be a power of two up to 32768');
    }
    this.#mask = slots - 1;
    this.#sequence = new Int32Array(slots).fill(-1);
    this.#timestamp = new Uint32Array(slots);
    this.#rollover = new Uint32Array(slots);
    this.#marker = new Uint8Array(slots);
    this.#payload = new Array<Uint8Array | undefined>(slots).fill(undefined);
  }

  remember(sequence: number, timestamp: number, marker: boolean, rolloverCounter: number, payload: Uint8Array): void {
    const i = sequence & this.#mask;
    this.#sequence[i] = sequence;
    this.#timestamp[i] = timestamp;
    this.#rollover[i] = rolloverCounter;
    this.#marker[i] = marker ? 1 : 0;
    this.#payload[i] = payload;
  }

  /** The packet sent with `sequence`, if it is still held. */
  find(sequence: number): SentPacket | undefined {
    const i = sequence & this.#mask;
    const payload = this.#payload[i];
    if (this.#sequence[i] !== sequence || payload === undefined) return undefined;
    return { sequence, timestamp: this.#timestamp[i], marker: this.#marker[i] === 1, rolloverCounter: this.#rollover[i], payload };
  }

  /** Drops every reference (the viewer is gone, or the stream starts over). */
  clear(): void {
    this.#sequence.fill(-1);
    this.#payload.fill(undefined);
  }
}
