/** The pure parts of talk audio: G.711 between laws, Ogg pages for ffmpeg, AAC for RTP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AacDepacketizer } from '../../../server/src/audio/AacDepacketizer.js';
import { adtsHeader } from '../../../server/src/audio/aacConfig.js';
import { aacHbrPayload, AdtsSplitter } from '../../../server/src/audio/aacRtp.js';
import { OggOpusReader } from '../../../server/src/audio/OggOpusReader.js';
import { oggCrc, OggOpusWriter } from '../../../server/src/audio/OggOpusWriter.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { alawToLinear, convertG711, encodeG711, g711Level, ulawToLinear } from '../../../server/src/rtp/g711.js';

test('A-law to µ-law keeps the signal (within one quantisation step of the coarser law)', () => {
  const samples = Array.from({ length: 160 }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  const alaw = encodeG711('PCMA', samples);
  const ulaw = convertG711('PCMA', 'PCMU', alaw);
  assert.equal(ulaw.length, alaw.length);
  for (let i = 0; i < samples.length; i++) assert.ok(Math.abs(ulawToLinear(ulaw[i]) - alawToLinear(alaw[i])) <= 512, `sample ${i}`);
  assert.ok(convertG711('PCMU', 'PCMU', ulaw) === ulaw, 'the same law is passed as is');
  assert.ok(Math.abs(g711Level('PCMU', ulaw) - 12000 / Math.SQRT2 / 32768) < 0.01);
  assert.ok(g711Level('PCMA', encodeG711('PCMA', new Array(160).fill(0))) < 0.001, 'silence');
});

test('Ogg Opus pages read back as the packets written, each page with a valid CRC', () => {
  const writer = new OggOpusWriter();
  const packets = [Buffer.from([0xf8, 1, 2, 3]), Buffer.alloc(300, 7), Buffer.from([0xf8, 9])];
  const bytes = Buffer.concat(packets.map((p) => writer.packet(p, 960)));
  const { packets: read, error } = new OggOpusReader().push(bytes);
  assert.equal(error, undefined);
  assert.deepEqual(read, packets);
  // Every page: its CRC field is the CRC of the page with the field zeroed.
  let at = 0;
  let pages = 0;
  while (at < bytes.length) {
    const segments = bytes[at + 26];
    let size = 27 + segments;
    for (let i = 0; i < segments; i++) size += bytes[at + 27 + i];
    const page = Buffer.from(bytes.subarray(at, at + size));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    assert.equal(oggCrc(page), crc, `page ${pages}`);
    at += size;
    pages++;
  }
  assert.equal(pages, 5, 'OpusHead, OpusTags, then one page per packet');
});

test('ADTS frames split across chunks come out whole, and as AAC-hbr payloads the depacketizer reads back', () => {
  const config = { objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1 };
  const frames = [Buffer.alloc(120, 1), Buffer.alloc(7, 2), Buffer.alloc(300, 3)];
  const stream = Buffer.concat(frames.flatMap((f) => [adtsHeader(config, f.length) as Buffer, f]));
  const splitter = new AdtsSplitter();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 50) out.push(...splitter.push(stream.subarray(i, i + 50)).frames);
  assert.deepEqual(out, frames);
  const depacketizer = new AacDepacketizer('generic');
  for (const frame of frames) {
    const payload = aacHbrPayload(frame);
    const read = depacketizer.push({ payload, timestamp: 0, sequenceNumber: 0, marker: true, payloadType: 96, ssrc: 1, csrc: [], paddingLength: 0, extension: undefined });
    assert.ok(!(read instanceof CamrtcError));
    assert.deepEqual(read, [frame]);
  }
});

test('garbage before an ADTS frame is skipped, with an error said once per chunk', () => {
  const config = { objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1 };
  const frame = Buffer.alloc(50, 5);
  const { frames, error } = new AdtsSplitter().push(Buffer.concat([Buffer.from([1, 2, 3, 0xff, 0x00]), adtsHeader(config, 50) as Buffer, frame]));
  assert.deepEqual(frames, [frame]);
  assert.equal(error?.code, 'ERR_TRANSCODER');
});
