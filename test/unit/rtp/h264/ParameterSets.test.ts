import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CamrtcError } from '../../../../server/src/errors.js';
import { ParameterSets } from '../../../../server/src/rtp/h264/ParameterSets.js';
import { CAMERA_SDP_DIR, CAMERA_SDP_MISSING, cameraSdpAvailable } from '../../../helpers/paths.js';
import { AUD, IDR, PPS, P_SLICE, SEI, SPS, hex } from '../rtpFixtures.js';

const SPROP = `${SPS.toString('base64')},${PPS.toString('base64')}`;

test('sprop-parameter-sets from the SDP give SPS, PPS, profile-level-id and resolution', () => {
  const ps = new ParameterSets(SPROP);
  assert.deepEqual(ps.sps, SPS);
  assert.deepEqual(ps.pps, PPS);
  assert.equal(ps.complete, true);
  assert.equal(ps.profileLevelId, '42c01e');
  assert.deepEqual([ps.info?.width, ps.info?.height], [640, 360]);
  assert.equal(ps.sprop, SPROP);
});

test('an IDR without parameter sets gets the SDP ones in front; AUDs are dropped', () => {
  const ps = new ParameterSets(SPROP);
  const idr = IDR();
  assert.deepEqual(ps.prepare({ timestamp: 0, keyframe: true, nalus: [AUD, SEI, idr] }), [SPS, PPS, SEI, idr]);
});

test('a non-IDR unit without AUD is returned as is (same array)', () => {
  const ps = new ParameterSets(SPROP);
  const nalus = [P_SLICE()];
  assert.equal(ps.prepare({ timestamp: 0, keyframe: false, nalus }), nalus);
  assert.deepEqual(ps.prepare({ timestamp: 0, keyframe: false, nalus: [AUD, P_SLICE()] }), [P_SLICE()]);
});

test('in-band parameter sets replace the SDP ones (camera changed resolution)', () => {
  const ps = new ParameterSets(SPROP);
  const sps1080 = Buffer.from('Z01AKY2NYDwBE/LgLcBDQECA', 'base64');
  const pps2 = hex('68ee3880');
  const idr = IDR();
  const nalus = [sps1080, pps2, idr];
  assert.equal(ps.prepare({ timestamp: 0, keyframe: true, nalus }), nalus);
  assert.deepEqual(ps.sps, sps1080);
  assert.deepEqual([ps.info?.width, ps.info?.height], [1920, 1080]);
  // The next IDR without them gets the new ones.
  assert.deepEqual(ps.prepare({ timestamp: 1, keyframe: true, nalus: [idr] }), [sps1080, pps2, idr]);
});

test('an IDR carrying only a new PPS gets SPS first, then its own PPS', () => {
  const ps = new ParameterSets(SPROP);
  const pps2 = hex('68ee3880');
  const idr = IDR();
  assert.deepEqual(ps.prepare({ timestamp: 0, keyframe: true, nalus: [pps2, idr] }), [SPS, pps2, idr]);
});

test('in-band sets are copied, not kept as views into packet buffers', () => {
  const ps = new ParameterSets();
  const packet = Buffer.concat([hex('aabbcc'), SPS]);
  ps.observe(packet.subarray(3));
  packet.fill(0);
  assert.deepEqual(ps.sps, SPS);
});

test('without any known parameter sets an IDR passes unchanged', () => {
  const ps = new ParameterSets();
  const nalus = [IDR()];
  assert.equal(ps.prepare({ timestamp: 0, keyframe: true, nalus }), nalus);
  assert.equal(ps.complete, false);
  assert.equal(ps.profileLevelId, undefined);
});

test('invalid sprop-parameter-sets are reported, not thrown', () => {
  const ps = new ParameterSets();
  const r = ps.setFromSprop('not base64!,aO48gA==');
  assert.ok(r instanceof CamrtcError);
  assert.equal(ps.sps, undefined);
  // Constructor with a bad value: ignored, still usable.
  assert.equal(new ParameterSets('***').complete, false);
});

test('every real camera sprop-parameter-sets gives both sets and a resolution', (t) => {
  if (!cameraSdpAvailable()) return t.skip(CAMERA_SDP_MISSING);
  for (const file of readdirSync(CAMERA_SDP_DIR).filter((f) => f.endsWith('.sdp'))) {
    const text = readFileSync(join(CAMERA_SDP_DIR, file), 'utf8');
    for (const m of text.matchAll(/sprop-parameter-sets=([^;\s]+)/g)) {
      const ps = new ParameterSets(m[1]);
      assert.equal(ps.complete, true, file);
      assert.ok((ps.info?.width ?? 0) > 0, file);
    }
  }
});
