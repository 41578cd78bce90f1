/**
 * Scoped viewer tokens on the real server: POST /api/tokens (who may mint, what a bad request hears),
 * then the minted token at every entry point: WHEP with `Authorization: Bearer`, the signaling URL's
 * `token=`, a `watch` message's `token`; its camera, its origin and its expiry hold everywhere. An
 * identity provider's JWT (shared secret) is accepted the same way. No log line carries a token.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { createLogger } from '../../../server/src/log/logger.js';
import { receiverPeer } from '../../../examples/ws-viewer.js';
import { rawRequest, type RawResponse } from '../../helpers/rawHttp.js';
import { TestClient } from '../../unit/signaling/wsClient.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const KEY = 'integration-test-token-key-0123456789';
const IDP_SECRET = 'integration-test-idp-secret-0123456789';
const IDP = 'https://idp.example/';
const SHOP = 'http://shop.example:8000';

/** A logger writing to memory: what an operator would read. */
function capturedLogger() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ level: 'debug', destination: stream }), lines };
}

/**
 * A real WHEP offer (werift), so an admitted POST gets its 201. Only the HTTP answer matters here:
 * the offering peer is closed and its candidates dropped, so no session ever connects.
 */
let offerSdp: string | undefined;
async function whepOffer(): Promise<string> {
  if (offerSdp) return offerSdp;
  const pc = receiverPeer(['127.0.0.1']);
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  offerSdp = pc.localDescription!.sdp.replace(/^a=(candidate|end-of-candidates).*\r\n/gm, '');
  await pc.close();
  return offerSdp;
}

/**
 * Waits for the server's WebRTC warm-up (WebRtcWarmUp) to finish before closing it: closed in the
 * middle of its DTLS handshake, werift's flight retransmissions would keep the test process alive ~30 s.
 */
async function warmUpDone(lines: readonly string[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !lines.some((l) => l.includes('WebRTC warm-up'))) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 700));
}

function json(res: RawResponse): { code?: string; message?: string; token?: string; expiresAt?: string } {
  return JSON.parse(res.body) as never;
}

describe('POST /api/tokens without an auth section', () => {
  let app: App;
  let lines: string[];
  before(async () => {
    const captured = capturedLogger();
    lines = captured.lines;
    app = await App.start(
      loadConfig({ host: '127.0.0.1', port: 0, demo: true, webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 }, cameras: [{ name: 'yard', url: 'rtsp://127.0.0.1:9/yard' }] }),
      { logger: captured.logger },
    );
  });
  after(async () => {
    await warmUpDone(lines);
    await app.close();
  });

  it('mints from loopback with a key made at start (said once in the log), and the token narrows what its bearer may watch', async () => {
    const res = await rawRequest({
      port: app.port,
      path: '/api/tokens',
      method: 'POST',
      headers: { Host: `127.0.0.1:${app.port}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ cameras: ['demo'], ttl: '5m' }),
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const { token, expiresAt } = json(res);
    assert.match(token!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const lifetime = Date.parse(expiresAt!) - Date.now();
    assert.ok(lifetime > 290_000 && lifetime <= 300_000, `expires in ${lifetime} ms`);
    assert.equal(lines.filter((l) => l.includes('no auth.tokenKeys configured')).length, 1);

    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws?token=${token}`);
    client.send({ type: 'watch', id: 'y1', camera: 'yard' });
    assert.deepEqual(await client.next('error'), { type: 'error', id: 'y1', code: 'ERR_FORBIDDEN', message: 'not allowed to watch yard' });
    client.send({ type: 'watch', id: 'd1', camera: 'demo' });
    assert.equal((await client.next('offer')).id, 'd1');
    await client.close();
    for (const line of lines) assert.ok(!line.includes(token!.split('.')[2]), `a log line carries the token: ${line}`);
  });
});

describe('viewer tokens with an auth section', () => {
  let app: App;
  let port: number;
  let lines: string[];

  before(async () => {
    const captured = capturedLogger();
    lines = captured.lines;
    const hash = await hashPassword('pw-admin', 'scrypt');
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
        allowedOrigins: [SHOP, 'http://other.example:8000'],
        cameras: [{ name: 'yard', url: 'rtsp://127.0.0.1:9/yard' }],
        auth: {
          users: [
            { name: 'root', passwordHash: hash, permissions: { admin: true } },
            { name: 'viewer', passwordHash: hash, permissions: { view: true } },
            { name: 'demo-admin', passwordHash: hash, permissions: { admin: ['demo'] } },
          ],
          anonymous: {},
          tokenKeys: [{ id: 'k1', secret: KEY }],
          jwt: { secret: IDP_SECRET, issuer: IDP, audience: 'camrtc' },
        },
      }),
      { logger: captured.logger },
    );
    port = app.port;
  });
  after(async () => {
    await warmUpDone(lines);
    await app.close();
  });

  const mint = (body: unknown, headers: Record<string, string> = { Authorization: basic('root', 'pw-admin') }) =>
    rawRequest({
      port,
      path: '/api/tokens',
      method: 'POST',
      headers: { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const token = async (body: Record<string, unknown>): Promise<string> => {
    const res = await mint(body);
    assert.equal(res.status, 200, res.body);
    return json(res).token!;
  };
  const whep = async (camera: string, authorization: string, origin?: string) => {
    const res = await rawRequest({
      port,
      path: `/whep/${camera}`,
      method: 'POST',
      body: await whepOffer(),
      headers: { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/sdp', Authorization: authorization, ...(origin ? { Origin: origin } : {}) },
    });
    if (res.status === 201) await rawRequest({ port, path: String(res.headers.location), method: 'DELETE', headers: { Host: `127.0.0.1:${port}` } });
    return res;
  };

  it('minting needs an admin: 401 without proof, 403 for a viewer, 200 for an admin', async () => {
    const anonymous = await mint({ cameras: ['demo'], ttl: '1h' }, {});
    assert.equal(anonymous.status, 401);
    assert.deepEqual(json(anonymous), { code: 'ERR_AUTH_REQUIRED', message: 'log in to administer this server' });
    const viewer = await mint({ cameras: ['demo'], ttl: '1h' }, { Authorization: basic('viewer', 'pw-admin') });
    assert.equal(viewer.status, 403);
    assert.deepEqual(json(viewer), { code: 'ERR_FORBIDDEN', message: 'not allowed to administer this server' });
    const wrong = await mint({ cameras: ['demo'], ttl: '1h' }, { Authorization: basic('root', 'nope') });
    assert.equal(wrong.status, 401);
    assert.equal(json(wrong).code, 'ERR_AUTH_INVALID');
    assert.equal((await mint({ cameras: ['demo'], ttl: '1h' })).status, 200);
  });

  it('a token never grants more than its minter may administer', async () => {
    const demoAdmin = { Authorization: basic('demo-admin', 'pw-admin') };
    assert.equal((await mint({ cameras: ['demo'], ttl: '1h' }, demoAdmin)).status, 200);
    for (const cameras of [['*'], ['yard'], ['demo', 'de*']]) {
      const res = await mint({ cameras, ttl: '1h' }, demoAdmin);
      assert.equal(res.status, 403, JSON.stringify(cameras));
      assert.equal(json(res).code, 'ERR_FORBIDDEN');
      assert.match(json(res).message!, /^not allowed to mint a token for '(\*|yard|de\*)': a token cannot grant more than its minter may administer$/);
    }
  });

  it('a bad request gets 400 naming the field; not JSON 415 or 400; another origin 403', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ttl: '1h' }, /^cameras: /],
      [{ cameras: [], ttl: '1h' }, /^cameras: name at least one camera$/],
      [{ cameras: ['a b'], ttl: '1h' }, /^cameras\.0: a camera name or glob/],
      [{ cameras: ['demo'] }, /^ttl: /],
      [{ cameras: ['demo'], ttl: '1y' }, /^ttl: "1y" is not a duration/],
      [{ cameras: ['demo'], ttl: '90d' }, /^ttl: 90d is longer than the 30 days/],
      [{ cameras: ['demo'], ttl: '1h', origin: 'https://shop.example/cart' }, /^origin: an origin is scheme:\/\/host\[:port\]/],
      [{ cameras: ['demo'], ttl: '1h', action: 'delete' }, /^action: /],
      [{ cameras: ['demo'], ttl: '1h', admin: true }, /admin/],
      [[1, 2], /^body: /],
    ];
    for (const [body, message] of cases) {
      const res = await mint(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(json(res).code, 'ERR_REQUEST_INVALID');
      assert.match(json(res).message!, message, JSON.stringify(body));
    }
    const notJson = await mint('{"cameras": [', {});
    assert.equal(notJson.status, 401, 'proof first: an anonymous client learns nothing from its body');
    const broken = await mint('{"cameras": [');
    assert.equal(broken.status, 400);
    assert.deepEqual(json(broken), { code: 'ERR_REQUEST_INVALID', message: 'body: not valid JSON' });
    const form = await mint('cameras=demo', { Authorization: basic('root', 'pw-admin'), 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const crossSite = await mint({ cameras: ['demo'], ttl: '1h' }, { Authorization: basic('root', 'pw-admin'), Origin: SHOP });
    assert.equal(crossSite.status, 403, 'an embedding page may not mint, even from an allowed origin');
  });

  it('WHEP with Authorization: Bearer: its camera plays (201), another is refused (403), a garbage token 401', async () => {
    const demoToken = await token({ cameras: ['demo'], ttl: '1h', subject: 'visitor-1' });
    assert.equal((await whep('demo', `Bearer ${demoToken}`)).status, 201);
    const other = await whep('yard', `Bearer ${demoToken}`);
    assert.equal(other.status, 403);
    assert.equal(other.headers['x-camrtc-error'], 'ERR_FORBIDDEN');
    assert.equal(other.body, 'not allowed to watch yard');
    const garbage = await whep('demo', 'Bearer nonsense');
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body, 'the token is not a JWT (three base64url parts separated by dots)');
  });

  it('signaling: the URL token and a watch token admit their camera only', async () => {
    const demoToken = await token({ cameras: ['demo'], ttl: '1h' });
    const byUrl = await TestClient.open(`ws://127.0.0.1:${port}/ws?watch=demo&id=u1&token=${demoToken}`);
    assert.equal((await byUrl.next('offer')).id, 'u1');
    await byUrl.close();

    const yardByUrl = await TestClient.open(`ws://127.0.0.1:${port}/ws?watch=yard&id=u2&token=${demoToken}`);
    assert.deepEqual(await yardByUrl.next('error'), { type: 'error', id: 'u2', code: 'ERR_FORBIDDEN', message: 'not allowed to watch yard' });
    await yardByUrl.close();

    const anonymous = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
    anonymous.send({ type: 'watch', id: 'w1', camera: 'yard', token: demoToken });
    assert.deepEqual(await anonymous.next('error'), { type: 'error', id: 'w1', code: 'ERR_FORBIDDEN', message: 'not allowed to watch yard' });
    anonymous.send({ type: 'watch', id: 'w2', camera: 'demo', token: demoToken });
    assert.equal((await anonymous.next('offer')).id, 'w2');
    await anonymous.close();
  });

  it('a token bound to an origin is refused to pages of another origin', async () => {
    const shopToken = await token({ cameras: ['demo'], ttl: '1h', origin: SHOP });
    const fromShop = await TestClient.open(`ws://127.0.0.1:${port}/ws?watch=demo&id=o1&token=${shopToken}`, { Origin: SHOP });
    assert.equal((await fromShop.next('offer')).id, 'o1');
    await fromShop.close();
    const fromOther = await TestClient.open(`ws://127.0.0.1:${port}/ws?watch=demo&id=o2&token=${shopToken}`, { Origin: 'http://other.example:8000' });
    const refused = await fromOther.next('error');
    assert.equal(refused.code, 'ERR_FORBIDDEN');
    assert.equal(refused.message, `not allowed to watch demo from http://other.example:8000: this token is for pages on ${SHOP}`);
    await fromOther.close();
    assert.equal((await whep('demo', `Bearer ${shopToken}`, 'http://other.example:8000')).status, 403);
  });

  it('an expired token is refused as expired on WHEP and on the socket', async () => {
    const short = await token({ cameras: ['demo'], ttl: '1s' });
    await new Promise((r) => setTimeout(r, 1100));
    const res = await whep('demo', `Bearer ${short}`);
    assert.equal(res.status, 401);
    assert.equal(res.headers['x-camrtc-error'], 'ERR_AUTH_INVALID');
    assert.equal(res.body, 'the token has expired');
    const client = await TestClient.open(`ws://127.0.0.1:${port}/ws?watch=demo&id=e1&token=${short}`);
    assert.deepEqual(await client.next('error'), { type: 'error', code: 'ERR_AUTH_INVALID', message: 'not allowed to watch demo: the token has expired' });
    assert.equal((await client.closed).code, 1008);
  });

  it("an identity provider's JWT (shared secret) admits what its camrtc claim lists", async () => {
    const idp = (claims: Record<string, unknown>, audience = 'camrtc') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(IDP)
        .setAudience(audience)
        .setSubject('carol')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(IDP_SECRET));
    assert.equal((await whep('demo', `Bearer ${await idp({ camrtc: { view: ['de*'] } })}`)).status, 201);
    assert.equal((await whep('yard', `Bearer ${await idp({ camrtc: { view: ['de*'] } })}`)).status, 403);
    const wrongAudience = await whep('demo', `Bearer ${await idp({ camrtc: { view: ['*'] } }, 'grafana')}`);
    assert.equal(wrongAudience.status, 401);
    assert.equal(wrongAudience.body, "wrong audience: the token is not for 'camrtc' (auth.jwt.audience)");
    const malformed = await whep('demo', `Bearer ${await idp({ camrtc: { view: 'demo' } })}`);
    assert.equal(malformed.status, 401);
    assert.match(malformed.body, /^the token's 'camrtc' claim is not a permissions map at view/);
  });

  it('no log line carries a token, even partly', async () => {
    const minted = await token({ cameras: ['demo'], ttl: '1h', subject: 'log-check' });
    await whep('demo', `Bearer ${minted}`);
    await whep('yard', `Bearer ${minted}`);
    assert.ok(lines.some((l) => l.includes('minted a viewer token') && l.includes('user:root')), 'minting is logged, by whom');
    const signature = minted.split('.')[2];
    const payload = minted.split('.')[1];
    for (const line of lines) {
      assert.ok(!line.includes(signature.slice(0, 12)) && !line.includes(payload.slice(0, 24)), `a log line carries a token: ${line}`);
      assert.ok(!/eyJ[\w-]{10,}/.test(line), `a log line carries something like a JWT: ${line}`);
    }
  });
});
