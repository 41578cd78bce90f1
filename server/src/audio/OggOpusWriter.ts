/**
 * Opus packets to an Ogg stream (RFC 3533, RFC 7845) that ffmpeg reads from its stdin: the two header
 * pages (OpusHead, OpusTags), then one page per packet, each written at once (no page gathers
 * packets: ffmpeg must have each 20 ms as soon as it arrives). Pure: packets in, bytes out.
 */

/** CRC-32 of Ogg: polynomial 0x04c11db7, no reflection, initial value 0. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

export function oggCrc(page: Buffer): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ page[i]) & 0xff]) >>> 0;
  return crc;
}

/** A packet larger than this is not a browser's 20 ms Opus frame: it is dropped (one page holds 255 segments). */
export const MAX_OGG_OPUS_PACKET = 255 * 254;

export class OggOpusWriter {
  readonly #serial: number;
  #sequence = 0;
  /** Samples at 48 kHz written so far (the granule position). */
  #granule = 0n;
  #started = false;

  constructor(private readonly channels = 1, serial = 0x63616d72) {
    this.#serial = serial >>> 0;
  }

  /** The OpusHead and OpusTags pages (once, before the first packet). */
  headers(): Buffer {
    this.#started = true;
    const head = Buffer.alloc(19);
    head.write('OpusHead', 0, 'latin1');
    head[8] = 1; // version
    head[9] = this.channels;
    head.writeUInt16LE(312, 10); // pre-skip: libopus's usual 6.5 ms at 48 kHz
    head.writeUInt32LE(48_000, 12); // the input's rate, for information
    head.writeInt16LE(0, 16); // output gain
    head[18] = 0; // channel mapping family 0: mono or stereo
    const vendor = 'camrtc';
    const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
    tags.write('OpusTags', 0, 'latin1');
    tags.writeUInt32LE(vendor.length, 8);
    tags.write(vendor, 12, 'latin1');
    tags.writeUInt32LE(0, 12 + vendor.length);
    return Buffer.concat([this.#page(head, 0x02, 0n), this.#page(tags, 0, 0n)]);
  }

  /** One page for one Opus packet of `samples` (48 kHz); the headers first when not written yet. */
  packet(packet: Buffer, samples: number): Buffer {
    const prefix = this.#started ? undefined : this.headers();
    if (packet.length === 0 || packet.length > MAX_OGG_OPUS_PACKET) return prefix ?? Buffer.alloc(0);
    this.#granule += BigInt(samples);
    const page = this.#page(packet, 0, this.#granule);
    return prefix ? Buffer.concat([prefix, page]) : page;
  }

  #page(body: Buffer, flags: number, granule: bigint): Buffer {
    const segments: number[] = [];
    let left = body.length;
    while (left >= 255) {
      segments.push(255);
      left -= 255;
    }
    segments.push(left);
    const page = Buffer.alloc(27 + segments.length + body.length);
    page.write('OggS', 0, 'latin1');
    page[4] = 0;
    page[5] = flags;
    page.writeBigUInt64LE(granule, 6);
    page.writeUInt32LE(this.#serial, 14);
    page.writeUInt32LE(this.#sequence++, 18);
    page.writeUInt32LE(0, 22);
    page[26] = segments.length;
    for (let i = 0; i < segments.length; i++) page[27 + i] = segments[i];
    body.copy(page, 27 + segments.length);
    page.writeUInt32LE(oggCrc(page), 22);
    return page;
  }
}
