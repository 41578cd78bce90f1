import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseWwwAuthenticate, parseWwwAuthenticateValue } from '../../../../server/src/rtsp/headers/WwwAuthenticate.js';

test('WWW-Authenticate: Digest with realm, nonce, opaque, algorithm, qop and stale', () => {
  const got = parseWwwAuthenticateValue('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", stale=TRUE');
  assert.ok(Array.isArray(got));
  assert.equal(got.length, 1);
  const c = got[0];
  assert.equal(c.scheme, 'Digest');
  assert.equal(c.realm, 'http-auth@example.org');
  assert.equal(c.nonce, '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v');
  assert.equal(c.opaque, 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  assert.equal(c.algorithm, 'SHA-256');
  assert.deepEqual(c.qop, ['auth', 'auth-int']);
  assert.equal(c.stale, true);
});

test('WWW-Authenticate: Basic realm', () => {
  assert.deepEqual(parseWwwAuthenticateValue('Basic realm="IP Camera(21513)"'), [{ scheme: 'Basic', params: { realm: 'IP Camera(21513)' }, realm: 'IP Camera(21513)' }]);
});

test('tp-link: several WWW-Authenticate headers in one answer', () => {
  const got = parseWwwAuthenticate([
    'Digest realm="TP-LINK IP-Camera", nonce="a3f1c8d9e0b7", algorithm="MD5"',
    'Basic realm="TP-LINK IP-Camera"',
  ]);
  assert.ok(Array.isArray(got));
  assert.deepEqual(got.map((c) => c.scheme), ['Digest', 'Basic']);
  assert.equal(got[0].algorithm, 'MD5');
  assert.equal(got[1].realm, 'TP-LINK IP-Camera');
});

test('WWW-Authenticate: two challenges in one header value', () => {
  const got = parseWwwAuthenticateValue('Digest realm="cam", nonce="n1", Basic realm="cam"');
  assert.ok(Array.isArray(got));
  assert.deepEqual(got.map((c) => [c.scheme, c.realm]), [['Digest', 'cam'], ['Basic', 'cam']]);
  assert.equal(got[0].nonce, 'n1');
});

test('WWW-Authenticate: unquoted values and escaped quotes', () => {
  const got = parseWwwAuthenticateValue('Digest realm=cam, nonce=abc/def==, opaque="x\\"y"');
  assert.ok(Array.isArray(got));
  assert.equal(got[0].realm, 'cam');
  assert.equal(got[0].nonce, 'abc/def==');
  assert.equal(got[0].opaque, 'x"y');
});

test('WWW-Authenticate: refuses empty, unterminated and parameter-first values', () => {
  for (const v of ['', 'Digest realm="oops', 'realm="x"']) {
    const got = parseWwwAuthenticateValue(v);
    assert.ok(got instanceof CamrtcError, v);
    assert.equal(got.code, 'ERR_PARSE_HEADER');
  }
});

test('WWW-Authenticate: any string gives challenges or a CamrtcError', () => {
  const tokens = fc.constantFrom('Digest', 'Basic', ' ', ',', '=', '"', '\\', 'realm', 'nonce', 'qop="auth"', 'x');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(tokens, { maxLength: 40 }).map((a) => a.join(''))), (s) => {
      const r = parseWwwAuthenticateValue(s);
      assert.ok(r instanceof CamrtcError || (Array.isArray(r) && r.length > 0));
    }),
    { numRuns: 3000 },
  );
});
