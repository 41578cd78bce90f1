/**
 * GET /api/cameras/NAME/snapshot.jpg on the real server, with the demo camera (a real RTSP camera on
 * loopback): who may ask (Basic, a viewer token in the URL, as Home Assistant sends them; refusals
 * that never tell whether a camera exists), the JPEG and its width, an offline camera's 503 with
 * its reason, and no new RTSP session while the camera is live.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { createHttpApp } from '../../../server/src/http/HttpServer.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { Snapshots } from '../../../server/src/snapshot/Snapshots.js';
import { jpegSize } from '../../helpers/jpeg.js';
import { distPath } from '../../helpers/paths.js';
import { clipsMissing } from '../../helpers/videoClips.js';
import { FakeCamera, h264Track } from '../webrtc/helpers/FakeCamera.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const KEY = 'snapshot-route-test-key-0123456789abcdef';

describe('GET /api/cameras/NAME/snapshot.jpg', { skip: clipsMissing('H264') }, () => {
  let app: App;
  const alice = basic('alice', 'pw-alice');
  const bob = basic('bob', 'pw-bob');

  before(async () => {
    const hash = await hashPassword('pw', 'scrypt');
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
        // Never reached: port 9 (discard) refuses at once on loopback.
        cameras: [{ name: 'yard', url: 'rtsp://127.0.0.1:9/yard' }],
        auth: {
          users: [
            { name: 'alice', passwordHash: await hashPassword('pw-alice', 'scrypt'), permissions: { view: ['demo', 'yard'] } },
            { name: 'bob', passwordHash: await hashPassword('pw-bob', 'scrypt'), permissions: { view: ['yard'] } },
            { name: 'root', passwordHash: hash, permissions: { admin: true, view: true } },
          ],
          anonymous: {},
          tokenKeys: [{ id: 'k1', secret: KEY }],
        },
      }),
      { logger: silentLogger() },
    );
  });
  after(async () => {
    await app.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers });
  const json = async (res: Response) => (await res.json()) as { code: string; message: string };

  it('needs the view permission: 401 asking for Basic, a wrong password 401, 403 alike for a camera known or not', async () => {
    const anonymous = await get('/api/cameras/demo/snapshot.jpg');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="camrtc"/);
    assert.equal((await json(anonymous)).code, 'ERR_AUTH_REQUIRED');
    const wrong = await get('/api/cameras/demo/snapshot.jpg', { Authorization: basic('alice', 'nope') });
    assert.equal(wrong.status, 401);
    assert.equal((await json(wrong)).code, 'ERR_AUTH_INVALID');
    const forbidden = await get('/api/cameras/demo/snapshot.jpg', { Authorization: bob });
    const forbiddenUnknown = await get('/api/cameras/nosuch/snapshot.jpg', { Authorization: bob });
    assert.deepEqual([forbidden.status, forbiddenUnknown.status], [403, 403]);
    assert.deepEqual(await json(forbidden), { code: 'ERR_FORBIDDEN', message: 'not allowed to watch demo' });
    assert.equal((await json(forbiddenUnknown)).message, 'not allowed to watch nosuch');
  });

  it('a JPEG of the demo camera (Basic), scaled with ?width=, a bad width 400; no new RTSP session while live', async () => {
    const first = await get('/api/cameras/demo/snapshot.jpg', { Authorization: alice });
    assert.equal(first.status, 200, await first.clone().text());
    assert.equal(first.headers.get('content-type'), 'image/jpeg');
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.deepEqual(jpegSize(Buffer.from(await first.arrayBuffer())), { width: 640, height: 360 });
    const sessions = (): number => app.demoCamera!.requests.filter((r) => r.method === 'DESCRIBE').length;
    const before = sessions();
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const res = await get(`/api/cameras/demo/snapshot.jpg?width=320&i=${i}`, { Authorization: alice });
      assert.equal(res.status, 200);
      assert.deepEqual(jpegSize(Buffer.from(await res.arrayBuffer())), { width: 320, height: 180 });
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1100)); // past the reuse time: each is made afresh
    }
    assert.equal(sessions(), before, 'the live camera got no new session');
    process.stdout.write(`# snapshot of the live demo camera (640x360, scaled to 320): ${times.map((t) => t.toFixed(0)).join(', ')} ms\n`);
    for (const width of ['abc', '8', '5000', '320.5']) {
      const bad = await get(`/api/cameras/demo/snapshot.jpg?width=${width}`, { Authorization: alice });
      assert.equal(bad.status, 400, width);
      assert.equal((await json(bad)).code, 'ERR_REQUEST_INVALID');
    }
  });

  it('a viewer token in the URL (?token=) works for its cameras only', async () => {
    const minted = await fetch(`${app.url}/api/tokens`, {
      method: 'POST',
      headers: { Authorization: basic('root', 'pw'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ cameras: ['demo'], ttl: '1h' }),
    });
    assert.equal(minted.status, 200);
    const { token } = (await minted.json()) as { token: string };
    const ok = await get(`/api/cameras/demo/snapshot.jpg?token=${encodeURIComponent(token)}`);
    assert.equal(ok.status, 200);
    assert.ok(jpegSize(Buffer.from(await ok.arrayBuffer())));
    const other = await get(`/api/cameras/yard/snapshot.jpg?token=${encodeURIComponent(token)}`);
    assert.equal(other.status, 403);
    const forged = await get(`/api/cameras/demo/snapshot.jpg?token=${encodeURIComponent(token.slice(0, -4))}AAAA`);
    assert.equal(forged.status, 401);
  });

  it('an offline camera: 503 at once with ERR_CAMERA_OFFLINE, its reason and Retry-After; an unknown one 404 for who may see it', async () => {
    const t0 = performance.now();
    const res = await get('/api/cameras/yard/snapshot.jpg', { Authorization: alice });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('x-camrtc-error'), 'ERR_CAMERA_OFFLINE');
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    const body = await json(res);
    assert.equal(body.code, 'ERR_CAMERA_OFFLINE');
    assert.match(body.message, /^camera 'yard' gives no picture: .*(refused|reach)/i);
    assert.ok(performance.now() - t0 < 5000, 'not after the whole wait');
    const invalid = await get(`/api/cameras/${'x'.repeat(500)}/snapshot.jpg`, { Authorization: bob });
    assert.equal(invalid.status, 404, 'a name no camera can have: nothing to hide, nothing echoed');
    assert.deepEqual(await json(invalid), { code: 'ERR_CAMERA_UNKNOWN', message: 'no camera has that name' });
    const unknown = await get('/api/cameras/nosuch/snapshot.jpg', { Authorization: basic('root', 'pw') });
    assert.equal(unknown.status, 404);
    assert.equal((await json(unknown)).code, 'ERR_CAMERA_UNKNOWN');
  });
});

describe('snapshot route without ffmpeg', () => {
  it('503 ERR_FFMPEG_MISSING, saying ffmpeg is needed', async () => {
    const camera = new FakeCamera('cam', [h264Track(0)]);
    const cameras = { get: (name: string) => (name === 'cam' ? camera : undefined), list: () => [camera.info()] };
    const snapshots = new Snapshots({ logger: silentLogger(), ffmpeg: () => undefined });
    const http = createServer(createHttpApp({ cameras, webRoot: distPath('public'), logger: silentLogger(), snapshots }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/api/cameras/cam/snapshot.jpg`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'ERR_FFMPEG_MISSING');
      assert.match(body.message, /snapshots need ffmpeg/);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      snapshots.close();
    }
  });
});
