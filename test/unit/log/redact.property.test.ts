// Property tests: a camera password never survives redaction, whatever characters it holds, in a
// bare URL or inside free text (socket errors embed the URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactText, redactUrl } from '../../../server/src/log/redact.js';
import { assertFast, runs } from '../../helpers/property.js';

// Passwords get a marker no other part of the URL contains, so "the output holds the password" is
// never a coincidence with the host or path.
const MARK = 'Zq7';
const userChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=%'.split(''));
const user = fc.string({ unit: userChars, maxLength: 12 }).filter((u) => !u.includes(MARK));
const host = fc.constantFrom('192.0.2.10', '192.0.2.10:554', 'cam.local', '[2001:db8::1]:8554', 'cam');
const path = fc.constantFrom('', '/', '/Streaming/Channels/101', '/live?channel=1&subtype=0', '/a:b/c');
const scheme = fc.constantFrom('rtsp', 'rtsps', 'RTSP', 'http', 'https');
/** Any password without '@' or '/' (unencoded, those end the userinfo in every URL parser). */
const plainPassword = fc.string({ unit: fc.oneof(userChars, fc.constantFrom(':', '%', '#', '?', '"', ' ', 'é')), maxLength: 16 })
  .filter((p) => !/[\s/@]/.test(p))
  .map((p) => MARK + p);

function assertNoPassword(out: string, password: string): void {
  assert.ok(!out.includes(password), `password ${JSON.stringify(password)} left in ${JSON.stringify(out)}`);
  // Nor a piece of it past a separator: "rtsp://u:***@Pw@host" still leaks "Pw".
  for (const piece of password.split(/[@:/]/)) {
    if (piece.length >= 3 && piece.includes(MARK)) assert.ok(!out.includes(piece), `piece ${JSON.stringify(piece)} of the password left in ${JSON.stringify(out)}`);
  }
}

test('redactUrl turns user:password@ into user:***@ and keeps the rest of the URL as it was', () => {
  fc.assert(fc.property(scheme, user, plainPassword, host, path, (s, u, pw, h, p) => {
    const out = redactUrl(`${s}://${u}:${pw}@${h}${p}`);
    assertNoPassword(out, pw);
    assert.equal(out, `${s}://${u ? `${u}:***@` : '***@'}${h}${p}`);
  }), { numRuns: runs(3000) });
});

test('a percent-encoded password (any characters, "@" ":" "/" "%" included) never survives', () => {
  const raw = fc.string({ unit: fc.oneof(fc.constantFrom('@', ':', '/', '%', '?', '#', ' '), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 20 });
  fc.assert(fc.property(scheme, user, raw, host, path, (s, u, r, h, p) => {
    const pw = MARK + encodeURIComponent(r);
    const out = redactUrl(`${s}://${u}:${pw}@${h}${p}`);
    assertNoPassword(out, pw);
    assert.equal(out, `${s}://${u ? `${u}:***@` : '***@'}${h}${p}`);
  }), { numRuns: runs(3000) });
});

test('URLs inside free text lose their passwords, every one of them', () => {
  const url = fc.tuple(scheme, user, plainPassword, host, path).map(([s, u, pw, h, p]) => ({ text: `${s}://${u}:${pw}@${h}${p}`, pw }));
  // Each URL starts a word, as in any message (the text before it ends with a separator).
  const filler = fc.constantFrom(' ', 'connect ECONNREFUSED ', ': ', '\n', ' (', ') ', '"', "'", ', ', '<', '>', 'url=');
  fc.assert(fc.property(fc.array(fc.tuple(filler, url), { minLength: 1, maxLength: 4 }), filler, (parts, tail) => {
    const text = parts.map(([f, u]) => f + u.text).join('') + tail;
    const out = redactText(text);
    for (const [, u] of parts) assertNoPassword(out, u.pw);
  }), { numRuns: runs(2000) });
});

test('listed secrets are removed from free text, wherever they appear', () => {
  const secret = fc.string({ minLength: 3, maxLength: 12 }).map((s) => MARK + s);
  fc.assert(fc.property(secret, fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), (sec, pieces) => {
    const out = redactText(pieces.join(sec), [sec]);
    assert.ok(!out.includes(sec));
  }), { numRuns: runs(2000) });
});

test('a password with an unencoded "@" is not half-printed', () => {
  const withAt = fc.tuple(plainPassword, plainPassword).map(([a, b]) => `${a}@${b}`);
  fc.assert(fc.property(scheme, user, withAt, host, path, (s, u, pw, h, p) => {
    assertNoPassword(redactUrl(`${s}://${u}:${pw}@${h}${p}`), pw);
  }), { numRuns: runs(500) });
});

test('arbitrary text never makes redaction throw, and text without "://" comes back unchanged', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
    const out = redactText(s, ['abc']);
    assert.equal(typeof out, 'string');
    if (!s.includes('://')) assert.equal(redactUrl(s), s);
  }), { numRuns: runs(3000) });
});

test('redaction stays fast on text made to make its regular expression backtrack', () => {
  const n = 200_000;
  for (const text of ['rtsp://'.repeat(n / 7), 'rtsp://' + 'a:'.repeat(n / 2), 'rtsp://a:' + 'b'.repeat(n) + '/', 'http://x:' + '%'.repeat(n), 'rtsp://' + ':@'.repeat(n / 2)]) {
    assertFast(`redactText of ${text.slice(0, 12)}... (${text.length} chars)`, 500, () => redactText(text, ['secret']));
  }
});
