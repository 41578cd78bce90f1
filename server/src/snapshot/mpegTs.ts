/**
 * A minimal MPEG transport stream (ISO/IEC 13818-1) of one H.264 or H.265 video stream: PAT, PMT and
 * one PES packet per picture with its PTS. Why a container for ffmpeg instead of a raw stream: a
 * raw stream has no timestamps of its own, and the snapshot needs to tell ffmpeg which picture to
 * keep (the last one) in arguments fixed before the pictures are known, so a spare ffmpeg can be
 * started ahead of the request. The last picture gets a PTS far after the others and ffmpeg keeps
 * the first picture past it. Pure: pictures in, bytes out.
 */
import type { VideoCodec } from '../rtp/depayload.js';

const TS_PACKET = 188;
const TS_PAYLOAD = TS_PACKET - 4;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x100;
/** ISO/IEC 13818-1 table 2-34 (H.264: 0x1b), H.265 amendment (0x24). */
const STREAM_TYPE: Record<VideoCodec, number> = { H264: 0x1b, H265: 0x24 };
const PTS_MASK = 2 ** 33;

export interface TsPicture {
  /** The picture's Annex-B bytes. */
  readonly annexB: Buffer;
  /** Presentation time, 90 kHz (33 bits). */
  readonly pts: number;
}

let crcTable: Uint32Array | undefined;

/** CRC-32/MPEG-2 (polynomial 0x04c11db7, not reflected, initial value all ones, no final xor). */
export function crc32Mpeg(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i << 24;
      for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of data) crc = ((crc << 8) ^ crcTable[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  return crc >>> 0;
}

/** A PSI section (PAT or PMT) in one TS packet, with its CRC and stuffing. */
function sectionPacket(pid: number, section: number[]): Buffer {
  const body = Buffer.from(section);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32Mpeg(body));
  const packet = Buffer.alloc(TS_PACKET, 0xff);
  packet[0] = 0x47;
  packet[1] = 0x40 | (pid >> 8);
  packet[2] = pid & 0xff;
  packet[3] = 0x10;
  packet[4] = 0; // pointer_field
  body.copy(packet, 5);
  crc.copy(packet, 5 + body.length);
  return packet;
}

function pat(): Buffer {
  // section_length 13: the fields after it, CRC included.
  return sectionPacket(0, [0x00, 0xb0, 13, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]);
}

function pmt(codec: VideoCodec): Buffer {
  return sectionPacket(PMT_PID, [
    0x02, 0xb0, 18, 0x00, 0x01, 0xc1, 0x00, 0x00,
    0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, // PCR PID: the video's (no PCR is sent: nothing plays in real time)
    0xf0, 0x00,
    STREAM_TYPE[codec], 0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00,
  ]);
}

function pesHeader(pts: number, payloadLength: number): Buffer {
  const h = Buffer.alloc(14);
  h.writeUInt32BE(0x000001e0, 0); // start code prefix, stream_id: video
  const length = payloadLength + 8;
  h.writeUInt16BE(length <= 0xffff ? length : 0, 4); // 0: unbounded (video only)
  h[6] = 0x80;
  h[7] = 0x80; // PTS only
  h[8] = 5;
  const p = ((pts % PTS_MASK) + PTS_MASK) % PTS_MASK;
  const high = Math.floor(p / 2 ** 30) & 0x07;
  const mid = Math.floor(p / 2 ** 15) & 0x7fff;
  const low = p & 0x7fff;
  h[9] = 0x20 | (high << 1) | 1;
  h.writeUInt16BE((mid << 1) | 1, 10);
  h.writeUInt16BE((low << 1) | 1, 12);
  return h;
}

/** The whole stream: PAT, PMT, then each picture as one PES split into TS packets. */
export function muxTs(codec: VideoCodec, pictures: readonly TsPicture[]): Buffer {
  const packets: Buffer[] = [pat(), pmt(codec)];
  let cc = 0;
  for (const picture of pictures) {
    const pes = Buffer.concat([pesHeader(picture.pts, picture.annexB.length), picture.annexB]);
    for (let off = 0; off < pes.length; ) {
      const left = pes.length - off;
      const packet = Buffer.alloc(TS_PACKET, 0xff);
      packet[0] = 0x47;
      packet[1] = (off === 0 ? 0x40 : 0) | (VIDEO_PID >> 8);
      packet[2] = VIDEO_PID & 0xff;
      let start = 4;
      if (left < TS_PAYLOAD) {
        // The last, short packet: an adaptation field fills the gap (1 byte: its length; more: flags, stuffing).
        const stuffing = TS_PAYLOAD - left;
        packet[3] = 0x30 | cc;
        packet[4] = stuffing - 1;
        if (stuffing > 1) packet[5] = 0x00;
        start = 4 + stuffing;
      } else {
        packet[3] = 0x10 | cc;
      }
      const n = Math.min(left, TS_PACKET - start);
      pes.copy(packet, start, off, off + n);
      off += n;
      cc = (cc + 1) & 0x0f;
      packets.push(packet);
    }
  }
  return Buffer.concat(packets);
}
