/**
 * Incremental Ogg (RFC 3533) reader for the Opus stream ffmpeg writes on its stdout: bytes in,
 * Opus packets out (the OpusHead and OpusTags header packets are skipped). Pure and bounded: a
 * corrupt stream gives an error and the reader resynchronises on the next "OggS".
 */
import { CamrtcError } from '../errors.js';

const CAPTURE = Buffer.from('OggS');
const PAGE_HEADER_SIZE = 27;
/** An Opus packet is at most 120 ms of audio; 64 KiB is far beyond any real one. */
export const MAX_OGG_PACKET = 64 * 1024;
/** Bytes buffered while waiting for a page to complete (a page is at most 65307 bytes). */
const MAX_BUFFERED = 256 * 1024;

export class OggOpusReader {
  private buffered: Buffer = Buffer.alloc(0);
  private packet: Buffer[] = [];
  private packetSize = 0;
  private headerPackets = 0;
  /** The packet being read went over MAX_OGG_PACKET: its remaining segments are skipped, not emitted. */
  private oversized = false;

  /** Feeds stdout bytes; returns the Opus packets completed by them. */
  push(chunk: Buffer): { packets: Buffer[]; error?: CamrtcError } {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const packets: Buffer[] = [];
    let error: CamrtcError | undefined;
    for (;;) {
      const start = this.buffered.indexOf(CAPTURE);
      if (start < 0) {
        this.buffered = this.buffered.subarray(Math.max(0, this.buffered.length - 3));
        break;
      }
      if (start > 0) {
        error = new CamrtcError('ERR_TRANSCODER', 'garbage in the transcoder output (resynchronised)');
        this.buffered = this.buffered.subarray(start);
      }
      const b = this.buffered;
      if (b.length < PAGE_HEADER_SIZE) break;
      const segments = b[26];
      if (b.length < PAGE_HEADER_SIZE + segments) break;
      let bodySize = 0;
      for (let i = 0; i < segments; i++) bodySize += b[PAGE_HEADER_SIZE + i];
      const total = PAGE_HEADER_SIZE + segments + bodySize;
      if (b.length < total) break;
      // A continued-packet flag on a page after a lost one: the partial packet is useless.
      if ((b[5] & 1) === 0) {
        if (this.packetSize > 0) this.resetPacket();
        this.oversized = false;
      }
      let off = PAGE_HEADER_SIZE + segments;
      for (let i = 0; i < segments; i++) {
        const len = b[PAGE_HEADER_SIZE + i];
        const data = b.subarray(off, off + len);
        off += len;
        if (this.oversized) {
          if (len < 255) this.oversized = false;
          continue;
        }
        this.packet.push(data);
        this.packetSize += len;
        if (this.packetSize > MAX_OGG_PACKET) {
          error = new CamrtcError('ERR_LIMIT', 'Ogg packet too large');
          this.resetPacket();
          // Its tail must not come out as a packet of its own.
          this.oversized = len === 255;
          continue;
        }
        if (len < 255) {
          const p = this.packet.length === 1 ? Buffer.from(this.packet[0]) : Buffer.concat(this.packet, this.packetSize);
          this.resetPacket();
          if (this.headerPackets < 2 && (p.subarray(0, 8).toString() === 'OpusHead' || p.subarray(0, 8).toString() === 'OpusTags')) {
            this.headerPackets++;
          } else if (p.length > 0) {
            packets.push(p);
          }
        }
      }
      this.buffered = b.subarray(total);
    }
    if (this.buffered.length > MAX_BUFFERED) {
      this.buffered = Buffer.alloc(0);
      error = new CamrtcError('ERR_LIMIT', 'transcoder output not in Ogg pages');
    }
    return error ? { packets, error } : { packets };
  }

  private resetPacket(): void {
    this.packet = [];
    this.packetSize = 0;
  }
}

/** Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 3.1); 0 when malformed. */
export function opusPacketSamples(packet: Buffer): number {
  if (packet.length === 0) return 0;
  const toc = packet[0];
  const config = toc >> 3;
  let frameSamples: number;
  if (config < 12) frameSamples = [480, 960, 1920, 2880][config & 3];
  else if (config < 16) frameSamples = (config & 1) === 0 ? 480 : 960;
  else frameSamples = [120, 240, 480, 960][config & 3];
  const code = toc & 3;
  let frames = 1;
  if (code === 1 || code === 2) frames = 2;
  else if (code === 3) {
    if (packet.length < 2) return 0;
    frames = packet[1] & 0x3f;
  }
  const samples = frameSamples * frames;
  return samples > 5760 ? 0 : samples; // RFC 6716: at most 120 ms per packet
}
