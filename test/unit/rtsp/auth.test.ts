import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CamrtcError } from '../../../server/src/errors.js';
import { Authenticator, basicAuthorization, digestAuthorization, pickChallenge } from '../../../server/src/rtsp/auth.js';
import { parseWwwAuthenticate } from '../../../server/src/rtsp/headers/WwwAuthenticate.js';
import type { AuthChallenge } from '../../../server/src/rtsp/headers/WwwAuthenticate.js';

// RFC 7616 §3.9.1.
const mufasa = { username: 'Mufasa', password: 'Circle of Life' };
function rfc7616(algorithm: string): AuthChallenge {
  const c = parseWwwAuthenticate([
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
  ]);
  assert.ok(Array.isArray(c));
  return c[0];
}
const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

test('digest: RFC 7616 §3.9.1 MD5 vector', () => {
  const r = digestAuthorization({ challenge: rfc7616('MD5'), credentials: mufasa, method: 'GET', uri: '/dir/index.html', nc: 1, cnonce });
  assert.ok(!(r instanceof CamrtcError));
  assert.equal(r.response, '8ca523f5e9506fed4657c9700eebdbec');
  assert.match(r.header, /^Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/);
  assert.match(r.header, /qop=auth, nc=00000001, cnonce="f2\/wE4q74E6zIJEtWaHKaf5wv\/H5QzzpXusqGemxURZJ"/);
  assert.match(r.header, /opaque="FQhe\/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"/);
});

test('digest: RFC 7616 §3.9.1 SHA-256 vector', () => {
  const r = digestAuthorization({ challenge: rfc7616('SHA-256'), credentials: mufasa, method: 'GET', uri: '/dir/index.html', nc: 1, cnonce });
  assert.ok(!(r instanceof CamrtcError));
  assert.equal(r.response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  assert.match(r.header, /algorithm=SHA-256/);
});

test('digest: RFC 2069 without qop (most IP cameras)', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const challenge = parseWwwAuthenticate(['Digest realm="IP Camera(C6497)", nonce="a1b2c3d4e5f6"']);
  assert.ok(Array.isArray(challenge));
  const r = digestAuthorization({ challenge: challenge[0], credentials: { username: 'admin', password: '12345' }, method: 'DESCRIBE', uri: 'rtsp://10.0.0.5/stream1' });
  assert.ok(!(r instanceof CamrtcError));
  const expected = md5(`${md5('admin:IP Camera(C6497):12345')}:a1b2c3d4e5f6:${md5('DESCRIBE:rtsp://10.0.0.5/stream1')}`);
  assert.equal(r.response, expected);
  assert.doesNotMatch(r.header, /qop|nc=|cnonce/);
});

test('digest: MD5-sess hashes the nonce and cnonce into HA1', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const c = parseWwwAuthenticate(['Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess']);
  assert.ok(Array.isArray(c));
  const r = digestAuthorization({ challenge: c[0], credentials: { username: 'u', password: 'p' }, method: 'PLAY', uri: 'rtsp://h/', nc: 2, cnonce: 'c' });
  assert.ok(!(r instanceof CamrtcError));
  const ha1 = md5(`${md5('u:r:p')}:n:c`);
  assert.equal(r.response, md5(`${ha1}:n:00000002:c:auth:${md5('PLAY:rtsp://h/')}`));
});

test('basic: base64 of user:password', () => {
  assert.equal(basicAuthorization({ username: 'Aladdin', password: 'open sesame' }), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
});

test('tp-link: the strongest challenge wins (SHA-256 > MD5 > Basic)', () => {
  const cs = parseWwwAuthenticate(['Basic realm="cam"', 'Digest realm="cam", nonce="1", algorithm=MD5', 'Digest realm="cam", nonce="2", algorithm=SHA-256']);
  assert.ok(Array.isArray(cs));
  assert.equal(pickChallenge(cs)?.nonce, '2');
  assert.equal(pickChallenge(cs.slice(0, 2))?.scheme, 'Digest');
  assert.equal(pickChallenge(cs.slice(0, 1))?.scheme, 'Basic');
});

test('auth: unsupported schemes are refused with ERR_RTSP_AUTH', () => {
  const cs = parseWwwAuthenticate(['Negotiate abc==', 'Digest realm="r", nonce="n", algorithm=SHA-512-256']);
  assert.ok(Array.isArray(cs));
  const a = Authenticator.fromChallenges(cs, { username: 'u', password: 'p' });
  assert.ok(a instanceof CamrtcError);
  assert.equal(a.code, 'ERR_RTSP_AUTH');
});

test('auth: nc counts up for each request with the same nonce', () => {
  const cs = parseWwwAuthenticate(['Digest realm="r", nonce="n", qop="auth"']);
  assert.ok(Array.isArray(cs));
  const a = Authenticator.fromChallenges(cs, { username: 'u', password: 'p' }, () => 'c');
  assert.ok(!(a instanceof CamrtcError));
  assert.match(a.authorization('OPTIONS', 'rtsp://h/'), /nc=00000001/);
  assert.match(a.authorization('DESCRIBE', 'rtsp://h/'), /nc=00000002/);
});
