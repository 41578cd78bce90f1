/**
 * TURN REST credentials (coturn's use-auth-secret): the credential against vectors computed with
 * `printf '%s' USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64`, which is what coturn
 * computes from the username it receives; the username's format and its expiry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TURN_TTL_SECONDS, TurnRest, turnLabel, turnRestCredential, turnRestUsername } from '../../../server/src/webrtc/TurnRest.js';

const SECRET = 'north-turn-secret-0123';

describe('TURN REST credentials', () => {
  it('the credential is base64(HMAC-SHA1(secret, username)), as openssl computes it', () => {
    assert.equal(turnRestCredential(SECRET, '1767225600:user:alice'), 'NHItCB1L54z4J0PdCjZRvZ6oNFA=');
    assert.equal(turnRestCredential(SECRET, '1700000000:anonymous'), 'YCP5I4R2womw17EtGomaC8B7o40=');
    assert.notEqual(turnRestCredential('another-secret-0123456', '1700000000:anonymous'), 'YCP5I4R2womw17EtGomaC8B7o40=');
  });

  it('the username is <expiry in Unix seconds>:<label> (coturn reads the number before the first colon)', () => {
    assert.equal(turnRestUsername(1767225600, 'user:alice'), '1767225600:user:alice');
    assert.equal(turnRestUsername(1767225600.9, 'anonymous'), '1767225600:anonymous');
  });

  it('labels keep letters, digits and _ . : @ -; anything else becomes _, and they are bounded', () => {
    assert.equal(turnLabel('token:ops@example.org'), 'token:ops@example.org');
    assert.equal(turnLabel('user:"bob"\r\n<x>'), 'user:_bob____x_');
    assert.equal(turnLabel(''), 'viewer');
    assert.equal(turnLabel('x'.repeat(200)).length, 64);
  });

  it('each iceServer() is valid for ttlSeconds from now, and its credential verifies against the secret', () => {
    let now = 1_767_225_600_000;
    const turn = new TurnRest({ urls: ['turn:turn.example:3478?transport=udp'], secret: SECRET, ttlSeconds: 600, now: () => now });
    const first = turn.iceServer('user:alice');
    assert.deepEqual(first, { urls: ['turn:turn.example:3478?transport=udp'], username: '1767226200:user:alice', credential: turnRestCredential(SECRET, '1767226200:user:alice') });
    now += 61_000;
    const later = turn.iceServer('user:alice');
    assert.equal(later.username, '1767226261:user:alice', 'a fresh credential moves its expiry with the clock');
    assert.notEqual(later.credential, first.credential);
    assert.equal(new TurnRest({ urls: ['turn:t'], secret: SECRET, now: () => 0 }).iceServer('a').username, `${DEFAULT_TURN_TTL_SECONDS}:a`);
  });

  it('never shows its secret when logged or serialized', () => {
    const turn = new TurnRest({ urls: ['turn:turn.example'], secret: SECRET });
    assert.ok(!JSON.stringify(turn).includes(SECRET));
    assert.ok(!JSON.stringify({ turn }).includes(SECRET));
    assert.deepEqual(Object.keys(turn).sort(), ['ttlSeconds', 'urls']);
  });
});
