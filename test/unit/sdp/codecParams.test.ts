import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h264Params, h265Params } from '../../../server/src/sdp/codecParams.js';

test('h264Params decodes sprop-parameter-sets into SPS and PPS and keeps profile-level-id as written', () => {
  const p = h264Params({ fmtp: { 'packetization-mode': '1', 'profile-level-id': '64001f', 'sprop-parameter-sets': 'Z2QAH6zZQFAFuhAAAAMAEAAAAwPI8YMZYA==,aOvjyyLA' } });
  assert.equal(p.profileLevelId, '64001f');
  assert.equal(p.packetizationMode, 1);
  assert.equal(p.parameterSets.length, 2);
  assert.equal(p.sps?.[0], 0x67);
  assert.equal(p.pps?.[0], 0x68);
});

test('h264Params: nal_ref_idc 1 parameter sets (0x27/0x28, Mercury cameras) are still SPS/PPS', () => {
  const p = h264Params({ fmtp: { 'sprop-parameter-sets': 'J00AH+dAKALdgKUFBQXwAAADABAAAAMCi2gD6AXf//wK,KO48gA==' } });
  assert.equal(p.sps?.[0], 0x27);
  assert.equal(p.pps?.[0], 0x28);
  assert.equal(p.packetizationMode, 0, 'RFC 6184 default');
});

test('h264Params ignores a malformed profile-level-id ("33", decimal origin camera) and junk entries', () => {
  const p = h264Params({ fmtp: { 'profile-level-id': '33', 'sprop-parameter-sets': '!!!,,aM48gA==' } });
  assert.equal(p.profileLevelId, undefined);
  assert.equal(p.parameterSets.length, 1);
  assert.equal(p.sps, undefined);
});

test('h265Params decodes sprop-vps/sps/pps', () => {
  const p = h265Params({ fmtp: { 'sprop-vps': 'QAEMAf//AWAAAAMAAAMAAAMAAAMAlqwJ', 'sprop-sps': 'QgEBAWAAAAMAAAMAAAMAAAMAlqABICAFEWNrkk5TNwEBAQQAAEZQAAV+QoQ=', 'sprop-pps': 'RAHA8vAiQA==' } });
  assert.equal((p.vps![0] >> 1) & 0x3f, 32);
  assert.equal((p.sps![0] >> 1) & 0x3f, 33);
  assert.equal((p.pps![0] >> 1) & 0x3f, 34);
  assert.deepEqual(h265Params({ fmtp: {} }), {});
});
