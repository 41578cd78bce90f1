import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../../server/src/errors.js';
import { adtsHeader, parseAudioSpecificConfig, parseStreamMuxConfig } from '../../../../server/src/audio/aacConfig.js';
import { AacDepacketizer, genericParams } from '../../../../server/src/audio/AacDepacketizer.js';
import { OggOpusReader, opusPacketSamples } from '../../../../server/src/audio/OggOpusReader.js';
import { parseRtpPacket, type RtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import { rawRtp } from '../../rtp/rtpFixtures.js';

const pkt = (payload: Buffer, marker = true, ts = 0, seq = 1): RtpPacket => parseRtpPacket(rawRtp({ seq, ts, payload, marker, payloadType: 97 })) as RtpPacket;

describe('AAC for the Opus transcoder', () => {
  it('reads the AudioSpecificConfig of MPEG4-GENERIC (1408 = LC 16 kHz mono; 1210 = LC 44.1 kHz stereo) and HE-AAC', () => {
    assert.deepEqual(parseAudioSpecificConfig('1408'), { objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1 });
    assert.deepEqual(parseAudioSpecificConfig('1210'), { objectType: 2, sampleRateIndex: 4, sampleRate: 44100, channels: 2 });
    // HE-AAC (SBR, type 5) at 24 kHz core, extension 48 kHz, core LC.
    assert.equal((parseAudioSpecificConfig('2b098800') as { objectType: number }).objectType, 2);
    assert.ok(parseAudioSpecificConfig('zz') instanceof CamrtcError);
    assert.ok(parseAudioSpecificConfig(undefined) instanceof CamrtcError);
  });

  it('reads the StreamMuxConfig of MP4A-LATM (gst rtpmp4apay, 16 kHz mono)', () => {
    // audioMuxVersion 0, same framing 1, 0 subframes, 1 program, 1 layer, ASC 1408, frameLengthType 0.
    assert.deepEqual(parseStreamMuxConfig('40002810'), { objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1 });
    assert.ok(parseStreamMuxConfig('c0') instanceof CamrtcError, 'audioMuxVersion 1');
  });

  it('writes an ADTS header ffmpeg accepts: sync word, profile, rate, channels, length', () => {
    const h = adtsHeader({ objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1 }, 100) as Buffer;
    assert.equal(h.readUInt16BE(0) & 0xfff6, 0xfff0);
    assert.equal(h[2] >> 6, 1, 'LC = profile 1');
    assert.equal((h[2] >> 2) & 0xf, 8);
    assert.equal(((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5), 107);
    assert.ok(adtsHeader({ objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1 }, 9000) instanceof CamrtcError);
  });

  it('MPEG4-GENERIC AAC-hbr: two AUs in one packet, and one AU fragmented over two packets', () => {
    const d = new AacDepacketizer('generic', genericParams({ sizelength: '13', indexlength: '3', indexdeltalength: '3' }));
    const a = Buffer.alloc(5, 1);
    const b = Buffer.alloc(7, 2);
    const headers = Buffer.from([0x00, 0x20, (5 >> 5) & 0xff, ((5 & 0x1f) << 3) | 0, (7 >> 5) & 0xff, ((7 & 0x1f) << 3) | 0]);
    assert.deepEqual(d.push(pkt(Buffer.concat([headers, a, b]))), [a, b]);
    const big = Buffer.alloc(20, 3);
    const h1 = Buffer.from([0x00, 0x10, 0, 20 << 3]);
    assert.deepEqual(d.push(pkt(Buffer.concat([h1, big.subarray(0, 12)]), false, 900, 2)), []);
    assert.deepEqual(d.push(pkt(Buffer.concat([h1, big.subarray(12)]), true, 900, 3)), [big]);
    assert.ok(d.push(pkt(Buffer.from([0x00, 0x10, 0xff]))) instanceof CamrtcError, 'headers past the end');
  });

  it('MP4A-LATM: PayloadLengthInfo with 255-continuation bytes, and an element over two packets', () => {
    const d = new AacDepacketizer('latm');
    const au = Buffer.alloc(300, 9);
    assert.deepEqual(d.push(pkt(Buffer.concat([Buffer.from([255, 45]), au]))), [au]);
    const small = Buffer.alloc(10, 4);
    const el = Buffer.concat([Buffer.from([10]), small]);
    assert.deepEqual(d.push(pkt(el.subarray(0, 4), false, 1024, 5)), []);
    assert.deepEqual(d.push(pkt(el.subarray(4), true, 1024, 6)), [small]);
    assert.ok(d.push(pkt(Buffer.from([50, 1, 2]))) instanceof CamrtcError);
  });

  it('OggOpusReader: skips OpusHead/OpusTags, joins laced segments, across chunk boundaries', () => {
    const page = (packets: Buffer[], flags = 0): Buffer => {
      const lacing: number[] = [];
      for (const p of packets) {
        let n = p.length;
        while (n >= 255) {
          lacing.push(255);
          n -= 255;
        }
        lacing.push(n);
      }
      const h = Buffer.alloc(27);
      h.write('OggS');
      h[5] = flags;
      h[26] = lacing.length;
      return Buffer.concat([h, Buffer.from(lacing), ...packets]);
    };
    const opus = Buffer.concat([Buffer.from([0xfc]), Buffer.alloc(299, 7)]); // CELT 20 ms, 300 bytes (two segments)
    const stream = Buffer.concat([page([Buffer.from('OpusHead....')]), page([Buffer.from('OpusTags....')]), page([opus]), page([Buffer.from([0xfc, 1])])]);
    const r = new OggOpusReader();
    const got = [...r.push(stream.subarray(0, 70)).packets, ...r.push(stream.subarray(70)).packets];
    assert.deepEqual(got, [opus, Buffer.from([0xfc, 1])]);
    assert.equal(opusPacketSamples(opus), 960);
    assert.equal(opusPacketSamples(Buffer.from([0xfd])), 1920, 'code 1: two frames');
    assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
  });
});
