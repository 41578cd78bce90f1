import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseSession, serializeSession } from '../../../../server/src/rtsp/headers/Session.js';

const cases: Array<[string, string, { id: string; timeout?: number }]> = [
  ['id alone', '12345678', { id: '12345678' }],
  ['id with timeout', '12345678;timeout=60', { id: '12345678' , timeout: 60 }],
  ['spaces around the timeout (some Dahua firmware)', 'A1B2C3 ; timeout = 30', { id: 'A1B2C3', timeout: 30 }],
  ['unknown parameter ignored', '8412;foo=bar;timeout=45', { id: '8412', timeout: 45 }],
  ['zero timeout means the default', 'abc;timeout=0', { id: 'abc' }],
  ['malformed timeout ignored', 'abc;timeout=soon', { id: 'abc' }],
];
for (const [name, value, want] of cases) {
  test(`Session: ${name}`, () => {
    const got = parseSession(value);
    assert.deepEqual(got, want);
    assert.equal(serializeSession(got as { id: string }), want.id);
  });
}

test('Session: refuses an empty id and an id with spaces', () => {
  for (const v of ['', ';timeout=60', 'a b']) {
    const got = parseSession(v);
    assert.ok(got instanceof CamrtcError, v);
    assert.equal(got.code, 'ERR_PARSE_HEADER');
  }
});

test('Session: any string gives a value or a CamrtcError', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    const r = parseSession(s);
    assert.ok(r instanceof CamrtcError || (typeof r.id === 'string' && r.id.length > 0));
  }), { numRuns: 2000 });
});
