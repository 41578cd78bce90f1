import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseSps, type SpsInfo } from '../../../../server/src/rtp/h264/sps.js';
import { profileLevelIdFromSps, unescapeRbsp } from '../../../../server/src/rtp/h264/nal.js';
import { CAMERA_SDP_DIR, CAMERA_SDP_MISSING, cameraSdpAvailable } from '../../../helpers/paths.js';
import { SPS, hex } from '../rtpFixtures.js';

function sps(b64: string): SpsInfo {
  const info = parseSps(Buffer.from(b64, 'base64'));
  assert.ok(!(info instanceof CamrtcError), info instanceof CamrtcError ? info.message : '');
  return info;
}

test('demo clip SPS: constrained Baseline 3.0, 640x360, 25 fps, no B-frames', () => {
  const info = parseSps(SPS);
  assert.ok(!(info instanceof CamrtcError));
  assert.equal(info.profileLevelId, '42c01e');
  assert.deepEqual([info.width, info.height], [640, 360]);
  assert.equal(info.fps, 25);
  assert.equal(info.mayHaveBFrames, false);
});

// Resolutions cross-checked with GStreamer's h264parse on the same parameter sets.
const CAMERAS: Array<[string, string, number, number]> = [
  ['hikvision (High 5.1, 3200x1800, cropped)', 'Z2QAM6wVFKAyAOP5f/AAEAAWyAAAH0AAB1MAIA==', 3200, 1800],
  ['reolink (High 5.1, 2560x1920, no VUI)', 'Z2QAM6wVFKAoAPGQ', 2560, 1920],
  ['verint (High 5.1, 3840x2160, VUI with HRD, B-frames)', 'Z2QAM6zTAPABD7AWoCAgKAABd2AAHUwEeEQiiw==', 3840, 2160],
  ['tias bitrate camera (384x830, cropped from 384x832)', 'J2QAH6xWwYBp+kA=', 384, 830],
  ['unnamed camera with x-dimensions 1920x1080 in its SDP (the SPS says 800x448)', 'Z2QAHqwsaoMg5puAgICB', 800, 448],
  ['FLIR (Baseline 640x480)', 'Z0IAHqtAUB7I', 640, 480],
];

for (const [name, b64, width, height] of CAMERAS) {
  test(`${name}: resolution from the SPS`, () => {
    const info = sps(b64);
    assert.deepEqual([info.width, info.height], [width, height]);
  });
}

test('verint: VUI max_num_reorder_frames 1 means B-frames', () => {
  const info = sps('Z2QAM6zTAPABD7AWoCAgKAABd2AAHUwEeEQiiw==');
  assert.equal(info.maxReorderFrames, 1);
  assert.equal(info.mayHaveBFrames, true);
});

test('sony SNC-WR630: High profile without reordering has no B-frames', () => {
  const info = sps('Z2QAKKwa0A8ARPy4CIAAAAMAgAAADLWgAtwAHJ173CPFCKg=');
  assert.equal(info.mayHaveBFrames, false);
  assert.equal(info.fps, 12.5);
});

test('every H.264 SPS in the real camera SDPs parses to a plausible picture', (t) => {
  if (!cameraSdpAvailable()) return t.skip(CAMERA_SDP_MISSING);
  let count = 0;
  for (const file of readdirSync(CAMERA_SDP_DIR).filter((f) => f.endsWith('.sdp'))) {
    const text = readFileSync(join(CAMERA_SDP_DIR, file), 'utf8');
    for (const m of text.matchAll(/sprop-parameter-sets=([A-Za-z0-9+/=]+)/g)) {
      const info = sps(m[1]);
      assert.ok(info.width >= 320 && info.height >= 240, `${file}: ${info.width}x${info.height}`);
      assert.match(info.profileLevelId, /^[0-9a-f]{6}$/);
      count++;
    }
  }
  assert.ok(count >= 20, `only ${count} SPS found`);
});

test('a truncated SPS is an error or still the right size, never a wrong one', () => {
  let errors = 0;
  for (let len = 1; len < SPS.length; len++) {
    const r = parseSps(SPS.subarray(0, len));
    if (r instanceof CamrtcError) errors++;
    else assert.deepEqual([r.width, r.height], [640, 360], `length ${len}`);
  }
  // Cut before the picture size: nothing to report.
  assert.ok(errors >= 6, `${errors} errors`);
});

test('a NALU that is not an SPS is refused', () => {
  const r = parseSps(hex('68cb8cb2'));
  assert.ok(r instanceof CamrtcError);
  assert.equal(r.code, 'ERR_PARSE_H264');
});

test('emulation prevention bytes are removed before reading', () => {
  assert.deepEqual(unescapeRbsp(hex('67 000003 01 000003 00')), hex('67 0000 01 0000 00'));
  assert.deepEqual(profileLevelIdFromSps(hex('674d0029aa')), '4d0029');
});

test('random bytes after an SPS header never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = parseSps(Buffer.concat([hex('67'), Buffer.from(bytes)]));
      if (!(r instanceof CamrtcError)) assert.ok(r.width > 0 && r.height > 0);
    }),
    { numRuns: 5000 },
  );
});
