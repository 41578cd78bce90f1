// Property tests for camera audio on its way to the Opus transcoder: the AAC depacketizer (RFC 3640
// and RFC 3016), the AAC configuration parsers and ADTS header (server/src/audio/), and the Ogg Opus
// reader of the transcoder's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { AAC_SAMPLE_RATES, ADTS_HEADER_SIZE, MAX_ADTS_FRAME, adtsHeader, parseAudioSpecificConfig, parseStreamMuxConfig, type AacConfig } from '../../../../server/src/audio/aacConfig.js';
import { AacDepacketizer, MAX_AAC_AUS_PER_PACKET, genericParams, type AacGenericParams } from '../../../../server/src/audio/AacDepacketizer.js';
import { MAX_OGG_PACKET, OggOpusReader, opusPacketSamples } from '../../../../server/src/audio/OggOpusReader.js';
import { parseRtpPacket, type RtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import { rawRtp } from '../../rtp/rtpFixtures.js';
import { assertFast, runs } from '../../../helpers/property.js';

const pkt = (payload: Buffer, ts: number, marker: boolean, seq = 1): RtpPacket => parseRtpPacket(rawRtp({ seq, ts, payload, marker, payloadType: 97 })) as RtpPacket;

/** Writes bits MSB first, as the AAC syntax does. */
class BitWriter {
  bits = '';
  put(value: number, n: number): this {
    if (n > 0) this.bits += value.toString(2).padStart(n, '0');
    return this;
  }
  bytes(): Buffer {
    const bits = this.bits.padEnd(Math.ceil(this.bits.length / 8) * 8, '0');
    return Buffer.from(Array.from({ length: bits.length / 8 }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)));
  }
}

/** RFC 3640 payload: AU-headers-length, the AU headers (size, index), the AUs. */
function genericPayload(aus: readonly Buffer[], params: AacGenericParams, announced?: number): Buffer {
  const w = new BitWriter();
  aus.forEach((au, i) => w.put(announced ?? au.length, params.sizeLength).put(0, i === 0 ? params.indexLength : params.indexDeltaLength));
  const headerBits = w.bits.length;
  return Buffer.concat([Buffer.from([headerBits >> 8, headerBits & 0xff]), w.bytes(), ...aus]);
}

const au = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max }).map((b) => Buffer.from(b));
const paramsArb = fc.constantFrom<AacGenericParams>({ sizeLength: 13, indexLength: 3, indexDeltaLength: 3 }, { sizeLength: 6, indexLength: 2, indexDeltaLength: 2 }, { sizeLength: 16, indexLength: 0, indexDeltaLength: 0 });

test('MPEG4-GENERIC: the access units packed in a packet are the ones read back', () => {
  fc.assert(fc.property(paramsArb, fc.array(au(1500), { minLength: 1, maxLength: 8 }), (params, aus) => {
    const sized = aus.map((a) => a.subarray(0, Math.min(a.length, 2 ** params.sizeLength - 1)));
    const d = new AacDepacketizer('generic', params);
    assert.deepEqual(d.push(pkt(genericPayload(sized, params), 0, true)), sized);
  }), { numRuns: runs(1500) });
});

test('MPEG4-GENERIC: one access unit over several packets is reassembled', () => {
  fc.assert(fc.property(au(MAX_ADTS_FRAME - ADTS_HEADER_SIZE), fc.integer({ min: 50, max: 1400 }), fc.nat(), (frame, mtu, ts) => {
    const params = { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 };
    const d = new AacDepacketizer('generic', params);
    const out: Buffer[] = [];
    for (let off = 0; off < frame.length; off += mtu) {
      const r = d.push(pkt(genericPayload([frame.subarray(off, off + mtu)], params, frame.length), ts, off + mtu >= frame.length));
      assert.ok(!(r instanceof CamrtcError), String(r));
      out.push(...r);
    }
    assert.deepEqual(out, [frame]);
  }), { numRuns: runs(500) });
});

test('MP4A-LATM: frames in one audioMuxElement (over one or more packets) are the ones read back', () => {
  fc.assert(fc.property(fc.array(au(1200), { minLength: 1, maxLength: 4 }), fc.integer({ min: 20, max: 1400 }), (frames, mtu) => {
    const element = Buffer.concat(frames.flatMap((f) => [Buffer.from([...Array(Math.floor(f.length / 255)).fill(255), f.length % 255]), f]));
    const d = new AacDepacketizer('latm');
    const out: Buffer[] = [];
    for (let off = 0; off < element.length; off += mtu) {
      const r = d.push(pkt(element.subarray(off, off + mtu), 90, off + mtu >= element.length));
      assert.ok(!(r instanceof CamrtcError), String(r));
      out.push(...r);
    }
    assert.deepEqual(out, frames);
  }), { numRuns: runs(1000) });
});

test('arbitrary payloads never make the AAC depacketizer throw; frames are within ADTS and per-packet bounds', () => {
  const stream = fc.array(fc.record({ payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat(0xffff), fc.uint8Array({ maxLength: 300 })).map(([n, b]) => Uint8Array.from([n >> 8, n & 0xff, ...b]))),
    ts: fc.constantFrom(0, 0, 1024, 2048), marker: fc.boolean() }), { maxLength: 30 });
  const fmtp = fc.record({ sizelength: fc.string({ maxLength: 3 }), indexlength: fc.constantFrom('0', '3', '32', '33', '-1', 'x'), indexdeltalength: fc.constantFrom('0', '3', '40') }, { requiredKeys: [] });
  fc.assert(fc.property(fc.constantFrom('generic' as const, 'latm' as const), fmtp, stream, (mode, f, packets) => {
    const params = genericParams(f);
    for (const v of Object.values(params)) assert.ok(Number.isInteger(v) && v >= 0 && v <= 32);
    const d = new AacDepacketizer(mode, params);
    for (const p of packets) {
      const r = d.push(pkt(Buffer.from(p.payload), p.ts, p.marker));
      if (r instanceof CamrtcError) {
        assert.ok(r.code === 'ERR_PARSE_AAC' || r.code === 'ERR_LIMIT', r.code);
        continue;
      }
      assert.ok(r.length <= MAX_AAC_AUS_PER_PACKET);
      for (const frame of r) assert.ok(frame.length >= 1 && frame.length <= MAX_ADTS_FRAME);
    }
  }), { numRuns: runs(3000) });
  // Worst cases per packet: 65535 header bits of one-bit sizes; a LATM element of 255s.
  const flood = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(8192, 0xff), Buffer.alloc(1000)]);
  assertFast('65535 AU header bits', 100, () => new AacDepacketizer('generic', { sizeLength: 1, indexLength: 0, indexDeltaLength: 0 }).push(pkt(flood, 0, true)));
  assertFast('a LATM element of 255s', 100, () => new AacDepacketizer('latm').push(pkt(Buffer.alloc(30_000, 255), 0, true)));
});

// ---- AudioSpecificConfig, StreamMuxConfig, ADTS -----------------------------------------------

const config = fc.record({ objectType: fc.integer({ min: 1, max: 4 }), sampleRateIndex: fc.integer({ min: 0, max: AAC_SAMPLE_RATES.length - 1 }), channelConfig: fc.integer({ min: 1, max: 7 }) });
const expected = (c: { objectType: number; sampleRateIndex: number; channelConfig: number }): AacConfig =>
  ({ objectType: c.objectType, sampleRateIndex: c.sampleRateIndex, sampleRate: AAC_SAMPLE_RATES[c.sampleRateIndex], channels: c.channelConfig === 7 ? 8 : c.channelConfig });

function writeAsc(w: BitWriter, c: { objectType: number; sampleRateIndex: number; channelConfig: number }, sbr?: { type: 5 | 29; extIndex: number }): BitWriter {
  w.put(sbr ? sbr.type : c.objectType, 5).put(c.sampleRateIndex, 4).put(c.channelConfig, 4);
  if (sbr) w.put(sbr.extIndex, 4).put(c.objectType, 5);
  return w.put(0, 3); // GASpecificConfig flags
}

test('an AudioSpecificConfig written (plain or HE-AAC) is the one read, in either hex case', () => {
  const sbr = fc.option(fc.record({ type: fc.constantFrom(5 as const, 29 as const), extIndex: fc.integer({ min: 0, max: 12 }) }), { nil: undefined });
  fc.assert(fc.property(config, sbr, fc.boolean(), (c, s, upper) => {
    const text = writeAsc(new BitWriter(), c, s).bytes().toString('hex');
    assert.deepEqual(parseAudioSpecificConfig(upper ? text.toUpperCase() : text), expected(c));
  }), { numRuns: runs(2000) });
});

test('a StreamMuxConfig written is the one read', () => {
  fc.assert(fc.property(config, (c) => {
    const w = new BitWriter().put(0, 1).put(1, 1).put(0, 6).put(0, 4).put(0, 3);
    writeAsc(w, c).put(0, 3).put(0xff, 8).put(0, 1).put(0, 1);
    assert.deepEqual(parseStreamMuxConfig(w.bytes().toString('hex')), expected(c));
  }), { numRuns: runs(2000) });
});

test('arbitrary config text never makes the parsers throw: a supported config or ERR_PARSE_AAC', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.uint8Array({ maxLength: 140 }).map((b) => Buffer.from(b).toString('hex')), fc.constant(undefined));
  fc.assert(fc.property(text, (t) => {
    for (const r of [parseAudioSpecificConfig(t), parseStreamMuxConfig(t)]) {
      if (r instanceof CamrtcError) {
        assert.equal(r.code, 'ERR_PARSE_AAC');
        continue;
      }
      assert.ok(r.objectType >= 1 && r.objectType <= 4 && [1, 2, 3, 4, 5, 6, 8].includes(r.channels));
      assert.equal(r.sampleRate, AAC_SAMPLE_RATES[r.sampleRateIndex]);
    }
  }), { numRuns: runs(3000) });
});

test('the ADTS header says what it was given (profile, rate, channels, frame length), or refuses what does not fit', () => {
  fc.assert(fc.property(config, fc.integer({ min: -5, max: MAX_ADTS_FRAME + 5 }), (c, size) => {
    const cfg = expected(c);
    const h = adtsHeader(cfg, size);
    if (size <= 0 || size + ADTS_HEADER_SIZE > MAX_ADTS_FRAME) return assert.ok(h instanceof CamrtcError && h.code === 'ERR_LIMIT');
    assert.ok(Buffer.isBuffer(h));
    assert.equal(h.length, ADTS_HEADER_SIZE);
    assert.equal(((h[0] << 4) | (h[1] >> 4)), 0xfff, 'syncword');
    assert.equal((h[2] >> 6) + 1, cfg.objectType);
    assert.equal((h[2] >> 2) & 0xf, cfg.sampleRateIndex);
    assert.equal(((h[2] & 1) << 2) | (h[3] >> 6), c.channelConfig);
    assert.equal(((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5), size + ADTS_HEADER_SIZE);
  }), { numRuns: runs(3000) });
});

// ---- Ogg Opus ------------------------------------------------------------------------------------

/** Ogg pages (RFC 3533) holding `packets`, cut every `perPage` lacing values (CRC left 0: not checked). */
function oggStream(packets: readonly Buffer[], perPage: number): Buffer {
  const segments: Array<{ len: number; data: Buffer; first: boolean }> = [];
  for (const p of packets) {
    for (let off = 0; ; off += 255) {
      const len = Math.min(255, p.length - off);
      segments.push({ len, data: p.subarray(off, off + len), first: off === 0 });
      if (len < 255) break;
    }
  }
  const pages: Buffer[] = [];
  for (let i = 0, seq = 0; i < segments.length; i += perPage, seq++) {
    const page = segments.slice(i, i + perPage);
    const header = Buffer.alloc(27 + page.length);
    header.write('OggS', 0);
    header[5] = page[0].first ? 0 : 1;
    header.writeUInt32LE(seq, 18);
    header[26] = page.length;
    page.forEach((s, k) => (header[27 + k] = s.len));
    pages.push(header, ...page.map((s) => s.data));
  }
  return Buffer.concat(pages);
}

function chunks(b: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  return [...at, b.length].map((end, i) => b.subarray(i === 0 ? 0 : at[i - 1], end));
}

const HEAD = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])]);
const TAGS = Buffer.concat([Buffer.from('OpusTags'), Buffer.alloc(8)]);

test('Opus packets written in Ogg pages are read back in order, however the bytes are chunked', () => {
  const packet = fc.oneof(au(300), au(1200), fc.constant(Buffer.alloc(255, 7)), fc.constant(Buffer.alloc(510, 9)));
  fc.assert(fc.property(fc.array(packet, { maxLength: 12 }), fc.integer({ min: 1, max: 255 }), fc.array(fc.nat(), { maxLength: 8 }), (packets, perPage, cuts) => {
    const reader = new OggOpusReader();
    const out: Buffer[] = [];
    for (const chunk of chunks(oggStream([HEAD, TAGS, ...packets], perPage), cuts)) {
      const r = reader.push(chunk);
      assert.equal(r.error, undefined);
      out.push(...r.packets);
    }
    assert.deepEqual(out, packets);
  }), { numRuns: runs(1000) });
});

// Found by this property: the rest of an oversized packet (past MAX_OGG_PACKET) came out as a packet.
test('a packet over the size limit is dropped whole, and the packets around it still come out', () => {
  fc.assert(fc.property(fc.array(au(500), { maxLength: 3 }), fc.integer({ min: MAX_OGG_PACKET + 1, max: MAX_OGG_PACKET + 3000 }), fc.array(au(500), { maxLength: 3 }), (before, size, after) => {
    const reader = new OggOpusReader();
    const r = reader.push(oggStream([HEAD, TAGS, ...before, Buffer.alloc(size, 0x11), ...after], 255));
    assert.equal(r.error?.code, 'ERR_LIMIT');
    assert.deepEqual(r.packets, [...before, ...after]);
  }), { numRuns: runs(100) });
});

test('arbitrary bytes never make the Ogg reader throw; packets stay within the limit', () => {
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from('OggS'), b])));
  fc.assert(fc.property(fc.array(bytes, { maxLength: 10 }), (parts) => {
    const reader = new OggOpusReader();
    for (const part of parts) {
      const r = reader.push(Buffer.from(part));
      if (r.error) assert.ok(r.error.code === 'ERR_TRANSCODER' || r.error.code === 'ERR_LIMIT', r.error.code);
      for (const p of r.packets) assert.ok(p.length >= 1 && p.length <= MAX_OGG_PACKET);
    }
  }), { numRuns: runs(3000) });
  const reader = new OggOpusReader();
  assertFast('4 MB without a capture pattern, in 4 KiB chunks', 1000, () => {
    for (let i = 0; i < 1000; i++) reader.push(Buffer.alloc(4096, 0x4f));
  });
  assertFast('4 MB of "OggS" with incomplete headers', 2000, () => {
    const r = new OggOpusReader();
    for (let i = 0; i < 1000; i++) r.push(Buffer.from('OggS'.repeat(1024)));
  });
});

test('an Opus packet lasts 120 samples to 120 ms at 48 kHz, or 0 when malformed', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4 }), (b) => {
    const n = opusPacketSamples(Buffer.from(b));
    assert.ok(n === 0 || (n >= 120 && n <= 5760 && n % 120 === 0), String(n));
    if (b.length > 0 && (b[0] & 3) === 0) assert.notEqual(n, 0, 'one frame is never malformed');
  }), { numRuns: runs(3000) });
});
