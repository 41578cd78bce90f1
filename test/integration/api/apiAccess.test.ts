/**
 * Who may use the control API: the `admin` permission from the one access decision. With an auth
 * section, a user without it gets 403 and a client without proof 401; an admin of some cameras
 * administers those only. Without one, only clients on loopback are admins.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { api } from '../../helpers/controlApi.js';

const basic = (user: string, password: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const URL_OF = 'rtsp://127.0.0.1:9/x';

describe('control API access with an auth section', () => {
  let app: App;
  let port: number;
  before(async () => {
    const hash = await hashPassword('pw', 'scrypt');
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: false,
        logLevel: 'silent',
        webrtc: { udpPort: 0 },
        cameras: [
          { name: 'yard', url: URL_OF },
          { name: 'garage', url: URL_OF },
        ],
        auth: {
          users: [
            { name: 'root', passwordHash: hash, permissions: { admin: true, view: true } },
            { name: 'watcher', passwordHash: hash, permissions: { view: true } },
            { name: 'yardkeeper', passwordHash: hash, permissions: { admin: ['yard*'], view: true } },
          ],
        },
      }),
      { logger: silentLogger() },
    );
    port = app.port;
  });
  after(async () => {
    await app.close();
  });

  it('no proof: 401 on every route, even from loopback', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/cameras/yard'],
      ['GET', '/api/openapi.json'],
      ['POST', '/api/cameras', { name: 'x', url: URL_OF }],
      ['PUT', '/api/cameras/yard', { url: URL_OF }],
      ['PATCH', '/api/cameras/yard', { transport: 'tcp' }],
      ['DELETE', '/api/cameras/yard'],
      ['GET', '/api/cameras/yard/viewers'],
      ['DELETE', '/api/cameras/yard/viewers/0123456789abcdef'],
    ] as const) {
      const res = await api(port, method, path, body);
      assert.equal(res.status, 401, `${method} ${path}: ${res.body}`);
      assert.equal(res.json().code, 'ERR_AUTH_REQUIRED');
    }
  });

  it('a user without admin: 403 ERR_FORBIDDEN, for a camera known or not', async () => {
    for (const path of ['/api/cameras/yard', '/api/cameras/nosuch', '/api/openapi.json']) {
      const res = await api(port, 'GET', path, undefined, basic('watcher', 'pw'));
      assert.equal(res.status, 403, path);
      assert.equal(res.json().code, 'ERR_FORBIDDEN');
    }
    const post = await api(port, 'POST', '/api/cameras', { name: 'x', url: URL_OF }, basic('watcher', 'pw'));
    assert.equal(post.status, 403);
    const wrong = await api(port, 'GET', '/api/cameras/yard', undefined, basic('root', 'nope'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json().code, 'ERR_AUTH_INVALID');
  });

  it('an admin of yard* administers yard, not garage, and may add yard2 but not porch', async () => {
    const keeper = basic('yardkeeper', 'pw');
    assert.equal((await api(port, 'GET', '/api/cameras/yard', undefined, keeper)).status, 200);
    const garage = await api(port, 'GET', '/api/cameras/garage', undefined, keeper);
    assert.equal(garage.status, 403);
    assert.equal(garage.json().message, 'not allowed to administer garage');
    assert.equal((await api(port, 'POST', '/api/cameras', { name: 'porch', url: URL_OF }, keeper)).status, 403);
    assert.equal(app.cameras.get('porch'), undefined);
    const added = await api(port, 'POST', '/api/cameras', { name: 'yard2', url: URL_OF }, keeper);
    assert.equal(added.status, 201, added.body);
    assert.equal(added.json().persisted, false, 'no configuration file: at run time only');
    assert.equal((await api(port, 'DELETE', '/api/cameras/yard2', undefined, keeper)).status, 200);
  });

  it('an admin uses every route', async () => {
    const root = basic('root', 'pw');
    assert.equal((await api(port, 'GET', '/api/openapi.json', undefined, root)).status, 200);
    assert.equal((await api(port, 'PATCH', '/api/cameras/garage', { transport: 'tcp' }, root)).status, 200);
    assert.equal(app.cameras.configOf('garage')?.transport, 'tcp');
    assert.equal((await api(port, 'GET', '/api/cameras/garage/viewers', undefined, root)).body, '[]');
  });
});

describe('control API access without an auth section', () => {
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it('answers loopback clients only', { skip: lan === undefined ? 'this machine has no non-loopback IPv4 address' : false }, async () => {
    const app = await App.start(loadConfig({ host: '0.0.0.0', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 } }), {
      logger: silentLogger(),
    });
    try {
      const local = await api(app.port, 'GET', '/api/cameras/demo');
      assert.equal(local.status, 200);
      const remote = await fetch(`http://${lan}:${app.port}/api/cameras/demo`);
      assert.equal(remote.status, 401);
      assert.equal(((await remote.json()) as { code: string }).code, 'ERR_AUTH_REQUIRED');
      const change = await fetch(`http://${lan}:${app.port}/api/cameras`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', url: URL_OF }) });
      assert.equal(change.status, 401);
      assert.equal(app.cameras.get('x'), undefined);
    } finally {
      await app.close();
    }
  });
});
