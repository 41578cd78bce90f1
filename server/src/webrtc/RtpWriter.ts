/**
 * Writes one outbound RTP stream of one viewer: builds the 12-byte header (this viewer's SSRC,
 * payload type, sequence number and timestamp), protects the packet with the viewer's SRTP session
 * and hands it to the viewer's ICE connection. It remembers what it sent (RtpHistory) to answer the
 * browser's NACKs. This is the per-packet, per-viewer path of the fan-out, so it allocates only the
 * packet it sends.
 */
import { RtpHistory } from './RtpHistory.js';
import type { SrtpGcmProtector } from './SrtpGcmProtector.js';

const RTP_HEADER_BYTES = 12;
/** A browser NACKs a lost packet a few times at most; more than this per second is not loss repair. */
export const MAX_RETRANSMISSIONS_PER_SECOND = 500;

export interface RtpWriterOptions {
  ssrc: number;
  payloadType: number;
  protector: SrtpGcmProtector;
  /** Sends one protected packet; never throws (the ICE connection drops what it cannot send). */
  output: (packet: Buffer) => void;
  /** Keep sent packets for NACKs (video); audio is not retransmitted. */
  history: boolean;
  /** Clock for the retransmission budget, ms. */
  now?: () => number;
}

export class RtpWriter {
  readonly ssrc: number;
  readonly #payloadType: number;
  readonly #protector: SrtpGcmProtector;
  readonly #output: (packet: Buffer) => void;
  readonly #history: RtpHistory | undefined;
  readonly #now: () => number;
  readonly #header = Buffer.alloc(RTP_HEADER_BYTES);
  #rolloverCounter = 0;
  #lastSequence = -1;
  #budgetStart = -Infinity;
  #budgetUsed = 0;
  /** RTP packets and payload octets sent (RFC 3550 sender report counters), retransmissions apart. */
  packets = 0;
  octets = 0;
  retransmitted = 0;

  constructor(options: RtpWriterOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.#payloadType = options.payloadType & 0x7f;
    this.#protector = options.protector;
    this.#output = options.output;
    this.#history = options.history ? new RtpHistory() : undefined;
    this.#now = options.now ?? (() => performance.now());
    this.#header[0] = 0x80; // version 2, no padding, no extension, no CSRC
    this.#header.writeUInt32BE(this.ssrc, 8);
  }

  write(sequence: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    const last = this.#lastSequence;
    // The sender's own sequence numbers only move forward: a smaller one is a wrap (RFC 3711 3.3.1).
    if (last >= 0 && sequence < last && last - sequence > 0x8000) this.#rolloverCounter = (this.#rolloverCounter + 1) >>> 0;
    this.#lastSequence = sequence;
    this.#history?.remember(sequence, timestamp, marker, this.#rolloverCounter, payload);
    this.#send(sequence, timestamp, marker, payload, this.#rolloverCounter);
    this.packets++;
    this.octets += payload.length;
  }

  /** Sends a packet again for a NACK. False when it is no longer held or the budget is spent. */
  retransmit(sequence: number): boolean {
    const sent = this.#history?.find(sequence & 0xffff);
    if (!sent) return false;
    const now = this.#now();
    if (now - this.#budgetStart >= 1000) {
      this.#budgetStart = now;
      this.#budgetUsed = 0;
    }
    if (this.#budgetUsed >= MAX_RETRANSMISSIONS_PER_SECOND) return false;
    this.#budgetUsed++;
    this.#send(sent.sequence, sent.timestamp, sent.marker, sent.payload, sent.rolloverCounter);
    this.retransmitted++;
    return true;
  }

  /** Releases the payloads held for NACKs. */
  close(): void {
    this.#history?.clear();
  }

  #send(sequence: number, timestamp: number, marker: boolean, payload: Uint8Array, rolloverCounter: number): void {
    const header = this.#header;
    header[1] = (marker ? 0x80 : 0) | this.#payloadType;
    header.writeUInt16BE(sequence & 0xffff, 2);
    header.writeUInt32BE(timestamp >>> 0, 4);
    this.#output(this.#protector.protect(header, payload, rolloverCounter));
  }
}
