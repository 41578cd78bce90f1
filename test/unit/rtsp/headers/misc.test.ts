import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parsePublic, serializePublic } from '../../../../server/src/rtsp/headers/Public.js';
import { parseRtpInfo, serializeRtpInfo } from '../../../../server/src/rtsp/headers/RtpInfo.js';
import { parseRange, serializeRange } from '../../../../server/src/rtsp/headers/Range.js';

test('Public: method list, upper-cased and trimmed', () => {
  const got = parsePublic('OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, get_parameter, SET_PARAMETER');
  assert.deepEqual(got, ['OPTIONS', 'DESCRIBE', 'SETUP', 'TEARDOWN', 'PLAY', 'PAUSE', 'GET_PARAMETER', 'SET_PARAMETER']);
  assert.deepEqual(parsePublic(serializePublic(got as string[])), got);
});

test('Public: refuses a method with odd characters', () => {
  const got = parsePublic('OPTIONS, DE SCRIBE');
  assert.ok(got instanceof CamrtcError);
});

test('RTP-Info: two streams with seq and rtptime', () => {
  const value = 'url=rtsp://192.168.1.64/Streaming/Channels/101/trackID=1;seq=4551;rtptime=3150915123,url=rtsp://192.168.1.64/Streaming/Channels/101/trackID=2;seq=2;rtptime=0';
  const got = parseRtpInfo(value);
  assert.deepEqual(got, [
    { url: 'rtsp://192.168.1.64/Streaming/Channels/101/trackID=1', seq: 4551, rtptime: 3150915123 },
    { url: 'rtsp://192.168.1.64/Streaming/Channels/101/trackID=2', seq: 2, rtptime: 0 },
  ]);
  assert.equal(serializeRtpInfo(got as never), value);
});

test('RTP-Info: url with a query containing ";" is kept whole', () => {
  const got = parseRtpInfo('url=rtsp://cam/live?a=1;b=2;seq=10');
  assert.deepEqual(got, [{ url: 'rtsp://cam/live?a=1;b=2', seq: 10 }]);
});

test('RTP-Info: refuses an entry without url and a seq out of range', () => {
  assert.ok(parseRtpInfo('seq=1;rtptime=2') instanceof CamrtcError);
  assert.ok(parseRtpInfo('url=rtsp://x/;seq=70000') instanceof CamrtcError);
});

const ranges: Array<[string, unknown]> = [
  ['npt=0-', { start: 0 }],
  ['npt=now-', { start: 'now' }],
  ['npt=10.5-20', { start: 10.5, end: 20 }],
  ['npt=00:01:02.5-', { start: 62.5 }],
  ['npt=0.000-;time=19970123T153600Z', { start: 0 }],
];
for (const [value, want] of ranges) {
  test(`Range: ${value}`, () => {
    const got = parseRange(value);
    assert.deepEqual(got, want);
    assert.deepEqual(parseRange(serializeRange(got as never)), want);
  });
}

test('Range: other units are unsupported', () => {
  const got = parseRange('clock=19961108T142300Z-19961108T143520Z');
  assert.ok(got instanceof CamrtcError);
  assert.equal(got.code, 'ERR_PARSE_HEADER');
});

test('Public, RTP-Info and Range: any string gives a value or a CamrtcError', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    for (const parse of [parsePublic, parseRtpInfo, parseRange] as Array<(v: string) => unknown>) {
      const r = parse(s);
      assert.ok(r instanceof CamrtcError || typeof r === 'object');
    }
  }), { numRuns: 2000 });
});
