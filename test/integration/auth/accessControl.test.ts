/**
 * One access decision at every entry point (issue 14): the camera list, the pages, WHEP and the
 * signaling socket refuse the same things with the same words, and never tell whether a camera or a
 * user exists. Real HTTP, real WebSocket, real password hashes; the demo camera counts the RTSP
 * requests a refused client caused (none).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { rawRequest } from '../../helpers/rawHttp.js';
import { TestClient } from '../../unit/signaling/wsClient.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\n';

describe('access control: one decision at every entry point', () => {
  let app: App;
  let port: number;
  const alice = basic('alice', 'correct horse');

  before(async () => {
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'silent',
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
        // Never reached: port 9 (discard) refuses at once on loopback.
        cameras: [
          { name: 'yard', url: 'rtsp://127.0.0.1:9/yard' },
          { name: 'garage', url: 'rtsp://127.0.0.1:9/garage' },
        ],
        auth: {
          users: [{ name: 'alice', passwordHash: await hashPassword('correct horse', 'scrypt'), permissions: { view: ['demo', 'gar*'] } }],
          anonymous: { view: ['yard'] },
        },
      }),
      { logger: silentLogger() },
    );
    port = app.port;
  });
  after(async () => {
    await app.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => rawRequest({ port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } });

  it('/api/cameras lists only what the client may watch', async () => {
    const anonymous = await get('/api/cameras');
    assert.equal(anonymous.status, 200);
    assert.deepEqual((JSON.parse(anonymous.body) as { name: string }[]).map((c) => c.name), ['yard']);
    const asAlice = await get('/api/cameras', { Authorization: alice });
    assert.deepEqual((JSON.parse(asAlice.body) as { name: string }[]).map((c) => c.name).sort(), ['demo', 'garage']);
  });

  it('a wrong password and an unknown user get the same 401, which never says which', async () => {
    const wrong = await get('/api/cameras', { Authorization: basic('alice', 'wrong') });
    const nobody = await get('/api/cameras', { Authorization: basic('mallory', 'wrong') });
    for (const res of [wrong, nobody]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers['x-camrtc-error'], 'ERR_AUTH_INVALID');
      assert.deepEqual(JSON.parse(res.body), { code: 'ERR_AUTH_INVALID', message: 'wrong user name or password' });
    }
  });

  it('camera pages: anonymous goes to the login page, a user sees "not allowed" for a camera known or not', async () => {
    const page = await get('/camera/demo');
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/login?next=%2Fcamera%2Fdemo');
    const unknown = await get('/camera/nosuch');
    assert.equal(unknown.status, 303, 'an unknown camera is not told apart from a forbidden one');

    const forbidden = await get('/camera/yard', { Authorization: alice });
    const forbiddenUnknown = await get('/camera/nosuch', { Authorization: alice });
    for (const [res, name] of [[forbidden, 'yard'], [forbiddenUnknown, 'nosuch']] as const) {
      assert.equal(res.status, 403);
      assert.equal(res.headers['x-camrtc-error'], 'ERR_FORBIDDEN');
      assert.match(res.body, new RegExp(`<h1>Not allowed to watch ${name}</h1>`));
    }
    const allowed = await get('/camera/garage', { Authorization: alice });
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, /camrtc-player/);
    const open = await get('/camera/yard');
    assert.equal(open.status, 200, 'the anonymous entry opens yard to everyone');
  });

  it('WHEP: 401 with WWW-Authenticate without proof, 403 for a camera the user may not watch', async () => {
    const post = (camera: string, headers: Record<string, string> = {}) =>
      rawRequest({ port, path: `/whep/${camera}`, method: 'POST', body: OFFER, headers: { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/sdp', ...headers } });
    const anonymous = await post('demo');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['x-camrtc-error'], 'ERR_AUTH_REQUIRED');
    assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/);
    assert.equal(anonymous.body, 'log in to watch demo');
    const forbidden = await post('yard', { Authorization: alice });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body, 'not allowed to watch yard');
    const badToken = await post('demo', { Authorization: 'Bearer abc.def.ghi' });
    assert.equal(badToken.status, 401);
    assert.equal(badToken.headers['x-camrtc-error'], 'ERR_AUTH_INVALID');
    assert.doesNotMatch(badToken.body, /abc\.def/, 'the token is not echoed');
    assert.deepEqual(app.demoCamera!.requests, [], 'no refused client started the camera');
  });

  it('signaling: each watch is decided; `list` shows only what the socket may watch', async () => {
    const url = `ws://127.0.0.1:${port}/ws`;
    const anonymous = await TestClient.open(url);
    anonymous.send({ type: 'list' });
    assert.deepEqual((await anonymous.next('cameras')).cameras.map((c) => c.name), ['yard']);
    anonymous.send({ type: 'watch', id: 'v1', camera: 'demo' });
    const refused = await anonymous.next('error');
    assert.deepEqual(refused, { type: 'error', id: 'v1', code: 'ERR_AUTH_REQUIRED', message: 'log in to watch demo' });
    anonymous.send({ type: 'watch', id: 'v2', camera: 'nosuch' });
    assert.equal((await anonymous.next('error')).message, 'log in to watch nosuch');
    anonymous.send({ type: 'watch', id: 'v3', camera: 'demo', token: 'not-a-token' });
    const badToken = await anonymous.next('error');
    assert.equal(badToken.code, 'ERR_AUTH_INVALID');
    assert.equal(badToken.id, 'v3');
    await anonymous.close();
    assert.deepEqual(app.demoCamera!.requests, [], 'no refused watch started the camera');

    // A non-browser app proves itself on the upgrade (Authorization), then watches.
    const asAlice = await TestClient.open(url, { Authorization: alice });
    asAlice.send({ type: 'watch', id: 'a1', camera: 'yard' });
    assert.equal((await asAlice.next('error')).message, 'not allowed to watch yard');
    asAlice.send({ type: 'watch', id: 'a2', camera: 'demo' });
    const offer = await asAlice.next('offer');
    assert.equal(offer.id, 'a2');
    await asAlice.close();
  });

  it('signaling: proof that is not valid on the upgrade is said in an error, then the socket closes', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${port}/ws?watch=demo&id=v1`, { Authorization: basic('alice', 'nope') });
    const error = await client.next('error');
    assert.deepEqual(error, { type: 'error', code: 'ERR_AUTH_INVALID', message: 'not allowed to watch demo: wrong user name or password' });
    assert.equal((await client.closed).code, 1008);
  });
});

describe('loopback rights and a reverse proxy on the same machine', () => {
  it('without an auth section, /metrics answers loopback but not a request a proxy forwarded', async () => {
    const app = await App.start(loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { udpPort: 0 } }), { logger: silentLogger() });
    try {
      const headers = { Host: `127.0.0.1:${app.port}` };
      assert.equal((await rawRequest({ port: app.port, path: '/metrics', headers })).status, 200);
      const proxies: Record<string, string>[] = [{ 'X-Forwarded-For': '203.0.113.9' }, { Forwarded: 'for=203.0.113.9' }, { 'X-Real-IP': '203.0.113.9' }];
      for (const proxy of proxies) {
        const res = await rawRequest({ port: app.port, path: '/metrics', headers: { ...headers, ...proxy } });
        assert.equal(res.status, 401, JSON.stringify(proxy));
        assert.equal(res.headers['x-camrtc-error'], 'ERR_AUTH_REQUIRED');
      }
    } finally {
      await app.close();
    }
  });
});
