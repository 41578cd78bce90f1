import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFmtp, serializeFmtp, MAX_FMTP_PARAMS } from '../../../server/src/sdp/fmtp.js';

const CASES: Array<[string, string, Record<string, string>]> = [
  ['leading zeros stay (sdp-transform would make 640028 a number)', 'profile-level-id=640028;packetization-mode=1', { 'profile-level-id': '640028', 'packetization-mode': '1' }],
  ['spaces after ; and a trailing ;', 'packetization-mode=1; profile-level-id=4D4028; sprop-parameter-sets=Z01AKI2N,aO44gA==;', { 'packetization-mode': '1', 'profile-level-id': '4D4028', 'sprop-parameter-sets': 'Z01AKI2N,aO44gA==' }],
  ['mixed-case keys are lower-cased, values kept', 'SizeLength=13; IndexLength=3; mode=AAC-hbr', { sizelength: '13', indexlength: '3', mode: 'AAC-hbr' }],
  ['entries without = are skipped', 'RTCP=0;garbage;=x', { rtcp: '0' }],
  ['the last of repeated keys wins', 'a=1;A=2', { a: '2' }],
  ['__proto__ is not a key', '__proto__=x;ok=1', { ok: '1' }],
  ['empty', '', {}],
];

for (const [name, input, expected] of CASES) {
  test(`fmtp: ${name}`, () => {
    const parsed = parseFmtp(input);
    assert.deepEqual(parsed, expected);
    assert.deepEqual(parseFmtp(serializeFmtp(parsed)), parsed, 'round trip');
  });
}

test('fmtp: at most MAX_FMTP_PARAMS parameters are kept', () => {
  const many = Array.from({ length: MAX_FMTP_PARAMS + 10 }, (_, i) => `k${i}=${i}`).join(';');
  assert.equal(Object.keys(parseFmtp(many)).length, MAX_FMTP_PARAMS);
});

test('fmtp: serialize writes k=v joined by ; in insertion order', () => {
  assert.equal(serializeFmtp({ 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e01f' }),
    'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
});
