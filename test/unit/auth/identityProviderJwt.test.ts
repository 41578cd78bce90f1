/**
 * JWTs from an identity provider: a real key set served over HTTP on loopback (jose generateKeyPair
 * + exportJWK), as Keycloak or Auth0 publish theirs, including the provider rotating its keys; and the
 * shared-secret variant. Every refusal says why in words, and never quotes the token.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { IdentityProviderJwt } from '../../../server/src/auth/IdentityProviderJwt.js';
import { JwtSchema } from '../../../server/src/auth/authConfig.js';
import { Tokens } from '../../../server/src/auth/Tokens.js';
import { ViewerTokens } from '../../../server/src/auth/ViewerTokens.js';
import { CamrtcError } from '../../../server/src/errors.js';

const ISSUER = 'https://idp.example/realms/home';
const AUDIENCE = 'camrtc';
const now = () => Math.floor(Date.now() / 1000);

async function refused(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CamrtcError, String(err));
    assert.equal(err.code, 'ERR_AUTH_INVALID');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** A provider's key set endpoint whose keys the test changes; counts the fetches. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  readonly server: Server = createServer((_req, res) => {
    this.fetches++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: this.keys }));
  });
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/realms/home/protocol/openid-connect/certs`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface ProviderKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function providerKey(kid: string, alg = 'ES256'): Promise<ProviderKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function idpToken(key: ProviderKey, claims: Record<string, unknown> = {}, options: { issuer?: string; audience?: string; alg?: string; expiresIn?: number } = {}): Promise<string> {
  const jwt = new SignJWT({ camrtc: { view: ['front'], playback: ['front'] }, ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(now() + (options.expiresIn ?? 300));
  return jwt.sign(key.privateKey);
}

describe('identity provider JWTs with a JWKS URL', () => {
  const jwks = new JwksServer();
  let url: string;
  let first: ProviderKey;
  let second: ProviderKey;

  before(async () => {
    url = await jwks.listen();
    first = await providerKey('k1');
    second = await providerKey('k2');
  });
  after(() => jwks.close());

  const provider = (options: ConstructorParameters<typeof IdentityProviderJwt>[1] = {}) =>
    new IdentityProviderJwt(JwtSchema.parse({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE }), options);

  it("a valid token gives its claim's permissions and its subject as the name", async () => {
    jwks.keys = [first.jwk];
    const principal = await provider().verify(await idpToken(first));
    assert.deepEqual(principal.permissions, { view: ['front'], playback: ['front'] });
    assert.equal(principal.kind, 'token');
    assert.equal(principal.name, 'alice');
    assert.ok(principal.expiresAt! > Date.now());
  });

  it('the key set is fetched once and cached; a new key of the provider (new kid) is fetched when a token names it', async () => {
    jwks.keys = [first.jwk];
    jwks.fetches = 0;
    const verifier = provider({ cooldownMs: 0 });
    await verifier.verify(await idpToken(first));
    await verifier.verify(await idpToken(first));
    assert.equal(jwks.fetches, 1, 'cached');
    // The provider rotates: publishes k2 next to k1 and signs with it.
    jwks.keys = [first.jwk, second.jwk];
    assert.equal((await verifier.verify(await idpToken(second))).name, 'alice');
    assert.equal(jwks.fetches, 2, 'the unknown kid made it fetch the key set again');
  });

  it('within the cooldown an unknown kid is refused without a fetch, as a key this server does not have', async () => {
    jwks.keys = [first.jwk];
    const verifier = provider({ cooldownMs: 60_000 });
    await verifier.verify(await idpToken(first));
    const fetched = jwks.fetches;
    const stranger = await providerKey('k9');
    await refused(verifier.verify(await idpToken(stranger)), 'the token is signed by a key this server does not have (rotated out?)');
    assert.equal(jwks.fetches, fetched, 'no fetch storm from tokens with made-up kids');
  });

  it('issuer, audience, algorithm and expiry are checked', async () => {
    jwks.keys = [first.jwk];
    const verifier = provider();
    await refused(verifier.verify(await idpToken(first, {}, { audience: 'grafana' })), "wrong audience: the token is not for 'camrtc' (auth.jwt.audience)");
    await refused(verifier.verify(await idpToken(first, {}, { issuer: 'https://evil.example/' })), `wrong issuer: expected tokens issued by '${ISSUER}'`);
    await refused(verifier.verify(await idpToken(first, {}, { expiresIn: -60 })), 'the token has expired');
    // An HMAC token "signed" with the public key's text: the classic algorithm confusion, refused by the allow list.
    const confused = await new SignJWT({ camrtc: { view: ['*'] } })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now() + 60)
      .sign(new TextEncoder().encode(JSON.stringify(first.jwk)));
    await refused(verifier.verify(confused), /^the token is signed with an algorithm this server does not accept here \(RS256, .*ES256/);
  });

  it('the permissions claim: missing, or not a permissions map, is refused naming the claim', async () => {
    jwks.keys = [first.jwk];
    const verifier = provider();
    await refused(verifier.verify(await idpToken(first, { camrtc: undefined })), "the token has no 'camrtc' claim listing the cameras and actions it allows (auth.jwt.claim)");
    await refused(verifier.verify(await idpToken(first, { camrtc: { view: 'front' } })), /^the token's 'camrtc' claim is not a permissions map at view: /);
    await refused(verifier.verify(await idpToken(first, { camrtc: { fly: ['front'] } })), /^the token's 'camrtc' claim is not a permissions map: .*fly/);
    await refused(verifier.verify(await idpToken(first, { camrtc: ['front'] })), /^the token's 'camrtc' claim is not a permissions map/);
  });

  it('a configured claim name is read instead of camrtc', async () => {
    jwks.keys = [first.jwk];
    const verifier = new IdentityProviderJwt(JwtSchema.parse({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, claim: 'https://camrtc.example/perms' }));
    const token = await idpToken(first, { camrtc: undefined, 'https://camrtc.example/perms': { view: true } });
    assert.deepEqual((await verifier.verify(token)).permissions, { view: ['*'] });
  });

  it('a key set that cannot be fetched: the token cannot be checked now (said, not a crash)', async () => {
    const down = new IdentityProviderJwt(JwtSchema.parse({ jwksUrl: 'http://127.0.0.1:9/certs', issuer: ISSUER, audience: AUDIENCE }), { timeoutMs: 2000 });
    await refused(down.verify(await idpToken(first)), "the token cannot be checked now: the identity provider's key set could not be fetched");
  });

  it("Tokens sends the provider's tokens to it and camrtc's own to camrtc's keys", async () => {
    jwks.keys = [first.jwk];
    const viewer = ViewerTokens.withEphemeralKey();
    const tokens = new Tokens(viewer, provider());
    assert.equal((await tokens.verify(await idpToken(first))).name, 'alice');
    const own = await viewer.mint({ cameras: ['yard'], ttl: 60, action: 'view' });
    assert.deepEqual((await tokens.verify(own.token)).permissions, { view: ['yard'] });
    const other = await idpToken(first, {}, { issuer: 'https://other.example/' });
    await refused(tokens.verify(other), `wrong issuer: this server accepts tokens issued by 'camrtc' or '${ISSUER}'`);
  });
});

describe('identity provider JWTs with a shared secret', () => {
  const secret = 'a-shared-secret-of-at-least-32-characters';
  const verifier = new IdentityProviderJwt(JwtSchema.parse({ secret, issuer: ISSUER, audience: AUDIENCE }));
  const sign = (alg: string, key = secret) =>
    new SignJWT({ camrtc: { view: ['front'] } })
      .setProtectedHeader({ alg })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('bob')
      .setExpirationTime(now() + 60)
      .sign(new TextEncoder().encode(key));

  it('accepts HS256, HS384 and HS512 with the secret; refuses another secret', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) assert.equal((await verifier.verify(await sign(alg))).name, 'bob', alg);
    await refused(verifier.verify(await sign('HS256', 'another-secret-of-at-least-32-characters')), /^the token's signature does not verify/);
  });

  it('refuses a public-key algorithm', async () => {
    const key = await providerKey('x', 'RS256');
    const token = await new SignJWT({ camrtc: { view: ['front'] } })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now() + 60)
      .sign(key.privateKey);
    await refused(verifier.verify(token), 'the token is signed with an algorithm this server does not accept here (HS256, HS384, HS512)');
  });
});
