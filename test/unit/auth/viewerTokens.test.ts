/**
 * camrtc's own viewer tokens: what `camrtc token` and POST /api/tokens mint, and every way one is
 * refused (expired, a key rotated out, altered, not camrtc's shape). Real HS256 signatures (jose); the
 * clock is injected so expiry is exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { runs } from '../../helpers/property.js';
import { parseTtl, MAX_TTL_SECONDS } from '../../../server/src/auth/ttl.js';
import { TokenRequestSchema, ViewerTokens, type TokenRequestInput } from '../../../server/src/auth/ViewerTokens.js';
import { Tokens } from '../../../server/src/auth/Tokens.js';
import { CamrtcError } from '../../../server/src/errors.js';

const KEY_A = { id: 'a', secret: 'A'.repeat(24) + 'secret-key-a' };
const KEY_B = { id: 'b', secret: 'B'.repeat(24) + 'secret-key-b' };
const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

const request = (input: Partial<TokenRequestInput> = {}) => TokenRequestSchema.parse({ cameras: ['front'], ttl: '1h', ...input });

/** Asserts `promise` rejects with ERR_AUTH_INVALID and exactly `message`, without the token in it. */
async function refused(promise: Promise<unknown>, message: string | RegExp, token?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CamrtcError, String(err));
    assert.equal(err.code, 'ERR_AUTH_INVALID');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    if (token) {
      for (const part of token.split('.')) if (part.length > 8) assert.ok(!err.message.includes(part.slice(0, 8)), 'no part of the token in the message');
    }
    return true;
  });
}

describe('token lifetimes (ttl)', () => {
  it('reads a number and one unit: s, m, h, d', () => {
    assert.equal(parseTtl('30s'), 30);
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('1h'), 3600);
    assert.equal(parseTtl('7d'), 7 * 86_400);
    assert.equal(parseTtl(' 2h '), 7200);
    assert.equal(parseTtl(45), 45);
  });

  it('refuses what is not a duration, saying what is', () => {
    for (const bad of ['', '1', 'h', '1.5h', '-1h', '0s', '1w', '1h30m', '1 h', 'forever', 0, -5, 1.5, NaN]) {
      assert.throws(() => parseTtl(bad as string | number), /is not a duration: use a number and a unit, e.g. 30s, 15m, 1h or 7d/, `accepted ${String(bad)}`);
    }
  });

  it('any string or number is a duration in seconds or a CamrtcError, and N+unit reads back (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.integer()), (ttl) => {
        try {
          const seconds = parseTtl(ttl);
          assert.ok(Number.isInteger(seconds) && seconds > 0 && seconds <= MAX_TTL_SECONDS);
        } catch (err) {
          assert.ok(err instanceof CamrtcError && err.code === 'ERR_CONFIG_INVALID', String(err));
        }
      }),
      { numRuns: runs(1000) },
    );
    const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.constantFrom('s', 'm', 'h', 'd') as fc.Arbitrary<keyof typeof units>, (n, unit) => {
        assert.equal(parseTtl(`${n}${unit}`), n * units[unit]);
      }),
      { numRuns: runs(200) },
    );
  });

  it('caps a token at 30 days', () => {
    assert.equal(parseTtl('30d'), MAX_TTL_SECONDS);
    assert.throws(() => parseTtl('31d'), /31d is longer than the 30 days a token may live/);
    assert.throws(() => parseTtl(MAX_TTL_SECONDS + 1), /is longer than the 30 days/);
  });
});

describe('viewer tokens: mint and verify', () => {
  it('a minted token gives one action on its cameras, its origin, its subject and its expiry', async () => {
    const tokens = new ViewerTokens([KEY_A], { now: () => T0 });
    const minted = await tokens.mint(request({ cameras: ['front', 'yard-*'], ttl: '15m', origin: 'HTTPS://Shop.Example:443', subject: 'visitor-42' }));
    assert.equal(minted.expiresAt, T0 + 15 * 60_000);
    const principal = await tokens.verify(minted.token);
    assert.deepEqual(principal, {
      kind: 'token',
      name: 'visitor-42',
      permissions: { view: ['front', 'yard-*'] },
      origin: 'https://shop.example',
      expiresAt: T0 + 15 * 60_000,
    });
  });

  it('the claims are the documented ones: iss camrtc, iat, exp, sub, camrtc, origin; kid names the key', async () => {
    const tokens = new ViewerTokens([KEY_A], { now: () => T0 });
    const { token } = await tokens.mint(request({ action: 'playback', subject: 's1', origin: 'http://127.0.0.1:8000' }));
    const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT', kid: 'a' });
    assert.deepEqual(payload, { camrtc: { playback: ['front'] }, origin: 'http://127.0.0.1:8000', iss: 'camrtc', iat: T0 / 1000, exp: T0 / 1000 + 3600, sub: 's1' });
  });

  it('an expired token is refused as expired, at its exp exactly', async () => {
    let now = T0;
    const tokens = new ViewerTokens([KEY_A], { now: () => now });
    const { token } = await tokens.mint(request({ ttl: '30s' }));
    now = T0 + 29_999;
    await tokens.verify(token);
    now = T0 + 30_000;
    await refused(tokens.verify(token), 'the token has expired', token);
  });

  it('rotation: a token of a removed key is refused, one of an added key is accepted, the first key signs', async () => {
    const before = new ViewerTokens([KEY_A], { now: () => T0 });
    const old = (await before.mint(request())).token;

    // Step 1: the new key is added in front; it signs from now on, the old tokens still verify.
    const during = new ViewerTokens([KEY_B, KEY_A], { now: () => T0 });
    assert.equal(during.signingKeyId, 'b');
    const fresh = (await during.mint(request())).token;
    await during.verify(old);
    await during.verify(fresh);
    assert.equal(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).kid, 'b');

    // Step 2: the old key is removed: its tokens die (revocation), the new ones live on.
    const after = new ViewerTokens([KEY_B], { now: () => T0 });
    await refused(after.verify(old), 'the token is signed by a key this server does not have (rotated out?)', old);
    await after.verify(fresh);
  });

  it('a token altered after signing, or signed with another secret under the same key id, is refused', async () => {
    const tokens = new ViewerTokens([KEY_A], { now: () => T0 });
    const { token } = await tokens.mint(request({ cameras: ['front'] }));
    const [h, , s] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ camrtc: { view: ['*'] }, iss: 'camrtc', iat: T0 / 1000, exp: T0 / 1000 + 3600 })).toString('base64url');
    await refused(tokens.verify(`${h}.${widened}.${s}`), /^the token's signature does not verify/);
    const impostor = await new ViewerTokens([{ id: 'a', secret: 'x'.repeat(40) }], { now: () => T0 }).mint(request());
    await refused(tokens.verify(impostor.token), /^the token's signature does not verify/);
  });

  it('refuses tokens that are not camrtc-minted: no kid, alg none, another algorithm, no exp, two actions, a bad origin', async () => {
    const tokens = new ViewerTokens([KEY_A], { now: () => T0 });
    const key = new TextEncoder().encode(KEY_A.secret);
    const iat = T0 / 1000;
    const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', kid: 'a' }) =>
      new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
    const good = { iss: 'camrtc', iat, exp: iat + 60, camrtc: { view: ['front'] } };

    await refused(tokens.verify(await sign(good, { alg: 'HS256' })), "the token names no key (kid): camrtc's tokens always do");
    await refused(tokens.verify(new UnsecuredJWT(good).encode()), /the token names no key|algorithm/);
    const noneWithKid = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'a' })).toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.`;
    await refused(tokens.verify(noneWithKid), /algorithm this server does not accept here \(HS256\)|not a JWT/);
    await refused(tokens.verify(await sign(good, { alg: 'HS512', kid: 'a' })), 'the token is signed with an algorithm this server does not accept here (HS256)');
    await refused(tokens.verify(await sign({ ...good, exp: undefined })), 'the token has no expiry (exp): camrtc accepts only tokens that expire');
    await refused(tokens.verify(await sign({ ...good, camrtc: { view: ['front'], admin: ['*'] } })), "the token's camrtc claim must allow exactly one action");
    await refused(tokens.verify(await sign({ ...good, camrtc: { view: 'front' } })), /^the token's camrtc claim is not what camrtc mints/);
    await refused(tokens.verify(await sign({ ...good, camrtc: undefined })), /^the token's camrtc claim is not what camrtc mints/);
    await refused(tokens.verify(await sign({ ...good, origin: 'https://x.example/path' })), /^the token's origin claim is not what camrtc mints/);
    await refused(tokens.verify('not a jwt'), 'the token is not a JWT (three base64url parts separated by dots)');
  });

  it('a server without configured keys mints with a key of its own, which no other server has', async () => {
    const one = ViewerTokens.withEphemeralKey({ now: () => T0 });
    const other = ViewerTokens.withEphemeralKey({ now: () => T0 });
    assert.equal(one.ephemeral, true);
    const { token } = await one.mint(request());
    await one.verify(token);
    await refused(other.verify(token), 'the token is signed by a key this server does not have (rotated out?)');
  });
});

describe('token requests (CLI flags and POST /api/tokens)', () => {
  it('default to view; refuse a bad camera glob, origin, subject, action or ttl naming the field', () => {
    assert.equal(request().action, 'view');
    const problem = (input: Record<string, unknown>): string => {
      const r = TokenRequestSchema.safeParse({ cameras: ['front'], ttl: '1h', ...input });
      assert.equal(r.success, false, JSON.stringify(input));
      const issue = r.error!.issues[0];
      return `${issue.path.join('.')}: ${issue.message}`;
    };
    assert.match(problem({ cameras: [] }), /^cameras: name at least one camera/);
    assert.match(problem({ cameras: ['front door'] }), /^cameras\.0: a camera name or glob/);
    assert.match(problem({ origin: 'https://shop.example/page' }), /^origin: an origin is scheme:\/\/host\[:port\]/);
    assert.match(problem({ origin: 'javascript:alert(1)' }), /^origin: /);
    assert.match(problem({ subject: 'has spaces' }), /^subject: a subject is a label/);
    assert.match(problem({ action: 'fly' }), /^action: /);
    assert.match(problem({ ttl: '1y' }), /^ttl: "1y" is not a duration/);
    assert.match(problem({ extra: true }), /extra/);
  });
});

describe('Tokens: one verifier for camrtc tokens and an identity provider, by issuer', () => {
  it('hostile input: any string, or a JWT of random parts, is refused with ERR_AUTH_INVALID, never anything else (fast-check)', async () => {
    const verifier = new Tokens(new ViewerTokens([KEY_A]));
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const part = fc.oneof(fc.string({ maxLength: 40 }).map(b64), fc.jsonValue().map(b64), fc.constant(b64({ alg: 'HS256', kid: 'a' })), fc.constant(b64({ iss: 'camrtc' })));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.tuple(part, part, part).map((p) => p.join('.'))), async (token) => {
        await assert.rejects(verifier.verify(token), (err: unknown) => err instanceof CamrtcError && err.code === 'ERR_AUTH_INVALID');
      }),
      { numRuns: runs(500) },
    );
  });

  it('a token of another issuer is refused as wrong issuer, and a non-JWT as not a JWT', async () => {
    const viewer = new ViewerTokens([KEY_A], { now: () => T0 });
    const verifier = new Tokens(viewer);
    const { token } = await viewer.mint(request());
    assert.equal((await verifier.verify(token)).kind, 'token');
    const foreign = await new SignJWT({ camrtc: { view: ['*'] } })
      .setProtectedHeader({ alg: 'HS256', kid: 'a' })
      .setIssuer('https://elsewhere.example/')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 60)
      .sign(new TextEncoder().encode(KEY_A.secret));
    await refused(verifier.verify(foreign), "wrong issuer: this server accepts tokens issued by 'camrtc'", foreign);
    await refused(verifier.verify('abc.def'), 'the token is not a JWT (three base64url parts separated by dots)');
    await refused(verifier.verify('a.b.c'), 'the token is not a JWT (three base64url parts separated by dots)');
    await refused(verifier.verify(`${token} `), 'the token is not a JWT (three base64url parts separated by dots)');
  });
});
