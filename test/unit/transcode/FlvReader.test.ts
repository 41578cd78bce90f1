import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FlvReader, MAX_FLV_TAG_SIZE, type FlvAccessUnit } from '../../../server/src/transcode/FlvReader.js';
import { runs } from '../../helpers/property.js';

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xda]);
const PPS = Buffer.from([0x68, 0xce, 0x0f, 0xc8]);

function tag(type: number, timestamp: number, data: Buffer): Buffer {
  const h = Buffer.alloc(11);
  h[0] = type;
  h.writeUIntBE(data.length, 1, 3);
  h.writeUIntBE(timestamp & 0xffffff, 4, 3);
  h[7] = timestamp >>> 24;
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(11 + data.length);
  return Buffer.concat([h, data, trailer]);
}

const header = Buffer.from([0x46, 0x4c, 0x56, 1, 1, 0, 0, 0, 9, 0, 0, 0, 0]);
const config = tag(9, 0, Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1f, 0xff, 0xe1, 0, SPS.length]), SPS, Buffer.from([1, 0, PPS.length]), PPS]));

function picture(timestamp: number, keyframe: boolean, nalus: Buffer[]): Buffer {
  const body = nalus.flatMap((n) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(n.length);
    return [len, n];
  });
  return tag(9, timestamp, Buffer.concat([Buffer.from([keyframe ? 0x17 : 0x27, 1, 0, 0, 0]), ...body]));
}

const idr = Buffer.from([0x65, 0x88, 1, 2, 3]);
const sei = Buffer.from([0x06, 5, 1, 0x80]);
const p1 = Buffer.from([0x41, 0x9a, 4]);
const stream = Buffer.concat([header, config, tag(18, 0, Buffer.from('onMetaData')), picture(0, true, [sei, idr]), picture(40, false, [p1]), picture(80, false, [p1])]);

function readAll(chunks: Buffer[]): FlvAccessUnit[] {
  const reader = new FlvReader();
  const units: FlvAccessUnit[] = [];
  for (const c of chunks) {
    const r = reader.push(c);
    assert.equal(r.error, undefined);
    units.push(...r.units);
  }
  return units;
}

describe('FlvReader: H.264 access units out of ffmpeg FLV', () => {
  it('gives each picture once its tag is complete, SPS and PPS in front of the keyframe, SEI left out', () => {
    const units = readAll([stream]);
    assert.deepEqual(units.map((u) => [u.timestampMs, u.keyframe]), [[0, true], [40, false], [80, false]]);
    assert.deepEqual(units[0].nalus, [SPS, PPS, idr]);
    assert.deepEqual(units[1].nalus, [p1]);
  });

  it('reads the same units whatever the chunks ffmpeg wrote them in', () => {
    const whole = readAll([stream]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((from, i) => stream.subarray(from, points[i] ?? stream.length));
        assert.deepEqual(readAll(chunks), whole);
      }),
      { numRuns: runs(200) },
    );
  });

  it('a picture is given in the chunk that completes its tag, not later', () => {
    const reader = new FlvReader();
    const cut = stream.length - 3;
    assert.equal(reader.push(stream.subarray(0, cut)).units.length, 2);
    assert.equal(reader.push(stream.subarray(cut)).units.length, 1);
  });

  it('refuses what is not FLV, a tag too large, or a NAL unit longer than its tag, and reads nothing after', () => {
    assert.equal(new FlvReader().push(Buffer.from('not an flv stream at all')).error?.code, 'ERR_TRANSCODER');
    const huge = Buffer.alloc(11);
    huge[0] = 9;
    huge.writeUIntBE(MAX_FLV_TAG_SIZE + 1, 1, 3);
    const reader = new FlvReader();
    assert.match(reader.push(Buffer.concat([header, huge])).error?.message ?? '', /tag of/);
    assert.deepEqual(reader.push(stream).units, []);
    const broken = tag(9, 0, Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 50, 0x65]));
    assert.match(new FlvReader().push(Buffer.concat([header, config, broken])).error?.message ?? '', /longer than its tag/);
  });

  it('never throws on arbitrary bytes after a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const r = new FlvReader().push(Buffer.concat([header, Buffer.from(bytes)]));
        assert.ok(Array.isArray(r.units));
      }),
      { numRuns: runs(500) },
    );
  });
});
