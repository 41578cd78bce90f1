import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { accessUnitsFromAnnexB } from '../../../server/src/demo/annexb.js';
import { naluType } from '../../../server/src/rtp/h264/nal.js';
import { DEMO_CLIP, hex } from '../rtp/rtpFixtures.js';

test('demo clip: 100 pictures, SPS+PPS(+SEI) with each IDR every 25 frames', () => {
  const units = accessUnitsFromAnnexB(readFileSync(DEMO_CLIP));
  assert.equal(units.length, 100);
  units.forEach((au, i) => {
    const types = au.map(naluType);
    if (i === 0) assert.deepEqual(types, [7, 8, 6, 5]);
    else if (i % 25 === 0) assert.deepEqual(types, [7, 8, 5]);
    else assert.deepEqual(types, [1]);
  });
});

test('slices of one picture stay together; first_mb_in_slice 0 starts the next picture', () => {
  // Two IDR slices (first_mb 0 then 1: ue(v) bits "1" and "010"), then a P slice starting a picture.
  const stream = hex('00000001 6588aa 00000001 6540aa 00000001 419aaa 00000001 09f0 00000001 419bbb');
  assert.deepEqual(accessUnitsFromAnnexB(stream).map((au) => au.map((n) => n.toString('hex'))), [['6588aa', '6540aa'], ['419aaa'], ['09f0', '419bbb']]);
});

test('a stream without slices has no access units', () => {
  assert.deepEqual(accessUnitsFromAnnexB(hex('00000001 6742c01e 00000001 68cb8cb2')), []);
});
