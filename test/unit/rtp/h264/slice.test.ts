import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SliceType, hasBSlice, sliceType } from '../../../../server/src/rtp/h264/slice.js';
import { IDR, P_SLICE, SPS } from '../rtpFixtures.js';

/** A slice NALU whose header starts with first_mb_in_slice=0 (bit 1) and the given slice_type. */
function slice(nalType: number, type: number): Buffer {
  // ue(0) = "1"; ue(type) = zeros, 1, bits.
  const code = (type + 1).toString(2);
  const bits = '1' + '0'.repeat(code.length - 1) + code + '1';
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  const bytes = padded.match(/.{8}/g)!.map((b) => Number.parseInt(b, 2));
  return Buffer.from([0x40 | nalType, ...bytes, 0x80]);
}

describe('H.264 slice type (B-frame detection)', () => {
  it('reads P, B and I slice types, including the 5..9 "all slices alike" values', () => {
    assert.equal(sliceType(slice(1, 0)), SliceType.P);
    assert.equal(sliceType(slice(1, 1)), SliceType.B);
    assert.equal(sliceType(slice(1, 6)), SliceType.B);
    assert.equal(sliceType(slice(5, 7)), SliceType.I);
  });

  it('the fixtures used elsewhere: 0x88 after an IDR header is an I slice, 0x9a after a P header a P slice', () => {
    assert.equal(sliceType(IDR()), SliceType.I);
    assert.equal(sliceType(P_SLICE()), SliceType.P);
  });

  it('non-slices and truncated slices give undefined; hasBSlice looks at every NALU', () => {
    assert.equal(sliceType(SPS), undefined);
    assert.equal(sliceType(Buffer.from([0x41])), undefined);
    assert.equal(sliceType(Buffer.from([0x41, 0x00])), undefined);
    assert.equal(hasBSlice([SPS, slice(1, 0)]), false);
    assert.equal(hasBSlice([slice(1, 0), slice(1, 1)]), true);
  });
});
