import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { parseRtspUrl } from '../../../server/src/rtsp/url.js';

test('url: credentials are percent-decoded and left out of href', () => {
  const u = parseRtspUrl('rtsp://admin:p%40ss%3Aw0rd@192.168.1.64:8554/Streaming/Channels/101?transportmode=unicast');
  assert.ok(!(u instanceof CamrtcError));
  assert.equal(u.username, 'admin');
  assert.equal(u.password, 'p@ss:w0rd');
  assert.equal(u.host, '192.168.1.64');
  assert.equal(u.port, 8554);
  assert.equal(u.path, '/Streaming/Channels/101?transportmode=unicast');
  assert.equal(u.href, 'rtsp://192.168.1.64:8554/Streaming/Channels/101?transportmode=unicast');
});

test('url: unencoded @ # ? in a password still parse', () => {
  const u = parseRtspUrl('rtsp://admin:p@ss#1?@cam.local/live');
  assert.ok(!(u instanceof CamrtcError));
  assert.equal(u.password, 'p@ss#1?');
  assert.equal(u.host, 'cam.local');
  assert.equal(u.href, 'rtsp://cam.local/live');
});

test('url: default ports 554 and 322, path defaults to /', () => {
  const a = parseRtspUrl('rtsp://Cam.Local');
  const b = parseRtspUrl('RTSPS://cam.local/s');
  assert.ok(!(a instanceof CamrtcError) && !(b instanceof CamrtcError));
  assert.equal(a.port, 554);
  assert.equal(a.href, 'rtsp://cam.local/');
  assert.equal(b.scheme, 'rtsps');
  assert.equal(b.port, 322);
});

test('url: IPv6 host in brackets', () => {
  const u = parseRtspUrl('rtsp://user:pw@[fe80::1]:554/ch0');
  assert.ok(!(u instanceof CamrtcError));
  assert.equal(u.host, 'fe80::1');
  assert.equal(u.href, 'rtsp://[fe80::1]:554/ch0');
});

test('url: invalid URLs give ERR_CONFIG_INVALID without echoing the password', () => {
  for (const s of ['http://cam/x', 'rtsp://user:secretpw@/x', 'rtsp://cam:99999/x', 'rtsp://user:secretpw@cam/a b']) {
    const u = parseRtspUrl(s);
    assert.ok(u instanceof CamrtcError, s);
    assert.equal(u.code, 'ERR_CONFIG_INVALID');
    assert.ok(!u.message.includes('secretpw'));
  }
});

test('url: any string gives a URL or a CamrtcError, and href never holds the password', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 100 }), (pw, rest) => {
      const u = parseRtspUrl(`rtsp://user:${pw}@${rest}`);
      assert.ok(u instanceof CamrtcError || typeof u.href === 'string');
      if (!(u instanceof CamrtcError) && u.password && u.password.length > 3 && !rest.includes(u.password)) {
        assert.ok(!u.href.includes(u.password));
      }
    }),
    { numRuns: 2000 },
  );
});
