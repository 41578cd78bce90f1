/**
 * Where one outbound track's RTP goes once the peer connection is up. Chosen once per viewer, when
 * the connection first comes up (chooseRtpOutputs), never per frame:
 * - CamrtcRtpOutput: camrtc writes the RTP itself (RtpWriter: its own header, AES-128-GCM with
 *   werift's DTLS-SRTP keys, on werift's ICE connection, NACK history by reference). The path of
 *   camrtc's own offers, where werift is the DTLS client and offers only AES-128-GCM.
 * - WeriftRtpOutput: werift's RTCRtpSender (another SRTP profile was negotiated, as with a client's
 *   offer, or werift's internals changed).
 * Both keep the RTCP sender reports right: NTP from the wall clock, paired with the last timestamp.
 */
import { RtpHeader, RtpPacket, type RTCPeerConnection, type RTCRtpSender } from 'werift';
import type { Logger } from '../log/logger.js';
import { ntpFromUnixMs } from '../rtp/ntp.js';
import { RtpWriter } from './RtpWriter.js';
import { senderReportClock, senderReports, srtpOutput, type SrtpOutput } from './werift/index.js';

export type RtpPath = 'camrtc' | 'werift';

export interface RtpOutput {
  readonly path: RtpPath;
  /** One RTP packet with this track's SSRC and payload type. Never waits; failures go to the owner's error handler. */
  send(sequence: number, timestamp: number, marker: boolean, payload: Buffer): void;
  /** The packets of a frame went out: the next sender report pairs `timestamp` with the wall clock now. */
  frameSent(timestamp: number): void;
  /** Sequence numbers the browser reported lost (RTCP generic NACK). */
  retransmit(sequences: readonly number[]): void;
  /** Packets sent again for NACKs. */
  readonly retransmitted: number;
  close(): void;
}

/** What chooseRtpOutputs needs to know of each outbound track. */
export interface RtpOutputTrack {
  readonly sender: RTCRtpSender;
  readonly kind: 'video' | 'audio';
  /** The payload type camrtc offered; the browser may have accepted another entry (the sender's codec). */
  readonly payloadType: number;
}

const wallClockNtp = (): bigint => ntpFromUnixMs(performance.timeOrigin + performance.now());

export class CamrtcRtpOutput implements RtpOutput {
  readonly path = 'camrtc';
  readonly #writer: RtpWriter;
  readonly #reports: ReturnType<typeof senderReports>;

  constructor(track: RtpOutputTrack, srtp: SrtpOutput, logger: Logger) {
    this.#writer = new RtpWriter({
      ssrc: track.sender.ssrc,
      payloadType: track.sender.codec?.payloadType ?? track.payloadType,
      protector: srtp.protector,
      output: srtp.send,
      // Audio is not NACKed by browsers: no history to keep.
      history: track.kind === 'video',
    });
    this.#reports = senderReports(track.sender, logger);
  }

  get retransmitted(): number {
    return this.#writer.retransmitted;
  }
  send(sequence: number, timestamp: number, marker: boolean, payload: Buffer): void {
    this.#writer.write(sequence, timestamp, marker, payload);
  }
  frameSent(timestamp: number): void {
    this.#reports?.(wallClockNtp(), timestamp, this.#writer.packets, this.#writer.octets);
  }
  retransmit(sequences: readonly number[]): void {
    for (const sequence of sequences) this.#writer.retransmit(sequence);
  }
  close(): void {
    this.#writer.close();
  }
}

export class WeriftRtpOutput implements RtpOutput {
  readonly path = 'werift';
  /** werift answers NACKs from its own packet cache. */
  readonly retransmitted = 0;
  readonly #sender: RTCRtpSender;
  readonly #payloadType: number;
  readonly #reportClock: ((ntp: bigint) => void) | undefined;
  readonly #onError: (err: unknown) => void;

  constructor(track: RtpOutputTrack, logger: Logger, onError: (err: unknown) => void) {
    this.#sender = track.sender;
    this.#payloadType = track.payloadType;
    this.#reportClock = senderReportClock(track.sender, logger);
    this.#onError = onError;
  }

  send(sequence: number, timestamp: number, marker: boolean, payload: Buffer): void {
    // werift rewrites the payload type to the negotiated one and the SSRC to its own.
    const header = new RtpHeader({ payloadType: this.#payloadType, sequenceNumber: sequence, timestamp, marker, ssrc: this.#sender.ssrc });
    this.#sender.sendRtp(new RtpPacket(header, payload)).catch(this.#onError);
  }
  frameSent(): void {
    // werift has just paired the frame's timestamp with its own, whole-second NTP time.
    this.#reportClock?.(wallClockNtp());
  }
  retransmit(): void {}
  close(): void {}
}

/**
 * The outputs of a peer connection that just connected, one per track in order: camrtc's own when
 * the session is AES-128-GCM and werift's internals are as expected, werift's sender otherwise.
 * Never throws (it runs inside werift's state change, where an exception would fail the connection).
 */
export function chooseRtpOutputs(pc: RTCPeerConnection, tracks: readonly RtpOutputTrack[], logger: Logger, onError: (err: unknown) => void, viewerId: string): RtpOutput[] {
  try {
    const srtp = srtpOutput(pc, logger);
    if (srtp) return tracks.map((track) => new CamrtcRtpOutput(track, srtp, logger));
    logger.debug({ viewer: viewerId }, 'RTP goes through werift (SRTP profile is not AES-128-GCM)');
  } catch (err) {
    logger.warn({ err, viewer: viewerId }, 'camrtc RTP writer unavailable; RTP goes through werift');
  }
  return tracks.map((track) => new WeriftRtpOutput(track, logger, onError));
}
