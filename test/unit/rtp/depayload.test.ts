import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { annexB, frameNalus } from '../../../server/src/rtp/depayload.js';
import { packetizeH264 } from '../../../server/src/rtp/h264/H264Packetizer.js';
import { packetizeH265 } from '../../../server/src/rtp/h265/H265Packetizer.js';
import { runs } from '../../helpers/property.js';

/** A NAL unit of `size` bytes with a valid header for the codec (never a STAP/FU type). */
const h264Nalu = fc.tuple(fc.integer({ min: 1, max: 23 }), fc.uint8Array({ minLength: 1, maxLength: 3000 })).map(([type, body]) => Buffer.concat([Buffer.from([0x60 | type]), Buffer.from(body)]));
const h265Nalu = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ minLength: 1, maxLength: 3000 })).map(([type, body]) => Buffer.concat([Buffer.from([type << 1, 0x01]), Buffer.from(body)]));

describe('frameNalus: a frame back to its NAL units', () => {
  it('undoes the H.264 packetizer (single, STAP-A, FU-A) for any NAL units and payload size', () => {
    fc.assert(
      fc.property(fc.array(h264Nalu, { minLength: 1, maxLength: 20 }), fc.integer({ min: 100, max: 1400 }), (nalus, max) => {
        assert.deepEqual(frameNalus('H264', packetizeH264(nalus, max)), nalus);
      }),
      { numRuns: runs(200) },
    );
  });

  it('undoes the H.265 packetizer (single, AP, FU) for any NAL units and payload size', () => {
    fc.assert(
      fc.property(fc.array(h265Nalu, { minLength: 1, maxLength: 20 }), fc.integer({ min: 100, max: 1400 }), (nalus, max) => {
        assert.deepEqual(frameNalus('H265', packetizeH265(nalus, max)), nalus);
      }),
      { numRuns: runs(200) },
    );
  });

  it('never throws on arbitrary payloads: NAL units or a typed error', () => {
    fc.assert(
      fc.property(fc.constantFrom('H264' as const, 'H265' as const), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (codec, payloads) => {
        const r = frameNalus(codec, payloads.map((p) => Buffer.from(p)));
        assert.ok(Array.isArray(r) || r instanceof CamrtcError);
      }),
      { numRuns: runs(500) },
    );
  });

  it('refuses fragments out of order: an FU-A end without its start, a start without its end', () => {
    const big = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(3000, 7)]);
    const fragments = packetizeH264([big], 1200);
    assert.equal(fragments.length, 3);
    assert.ok(frameNalus('H264', fragments.slice(1)) instanceof CamrtcError);
    assert.ok(frameNalus('H264', fragments.slice(0, 2)) instanceof CamrtcError);
    const stap = Buffer.from([24, 0, 10, 0x67]);
    assert.equal((frameNalus('H264', [stap]) as CamrtcError).code, 'ERR_PARSE_H264');
  });

  it('annexB puts a 4-byte start code before each unit, then the trailer', () => {
    assert.deepEqual(annexB([Buffer.from([0x67, 1]), Buffer.from([0x68])], Buffer.from([9])), Buffer.from([0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 9]));
  });
});
