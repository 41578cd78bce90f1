import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coveringProfileLevelId } from '../../../server/src/webrtc/h264Profiles.js';

describe('coveringProfileLevelId: one H.264 profile for a camera\'s main and sub streams', () => {
  const cases: Array<[string, Array<string | undefined>, string | undefined]> = [
    ['High main, Constrained Baseline sub: High at the higher level', ['640028', '42e01e'], '640028'],
    ['the order does not matter', ['42e01e', '640028'], '640028'],
    ['Main main, Constrained Baseline sub', ['4d401f', '42e01f'], '4d401f'],
    ['a sub stream at a higher level raises the level', ['64001f', '4d0033'], '640033'],
    ['one profile: the one with fewer constraints', ['42e01f', '42001f'], '42001f'],
    ['an unknown or malformed id is left out', ['640028', 'zz', '990028', undefined], '640028'],
    ['the same profile twice', ['42e01f', '42E01F'], '42e01f'],
    ['nothing valid', [undefined, 'x'], undefined],
  ];
  for (const [name, ids, expected] of cases) {
    it(name, () => assert.equal(coveringProfileLevelId(ids), expected));
  }
});
