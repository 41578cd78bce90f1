import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHttpApp, type TestHttpApp } from '../../helpers/httpApp.js';
import { FakeCamera, FakeDirectory, h264Track } from './helpers/FakeCamera.js';

describe('HTTP server', () => {
  const front = new FakeCamera('front', [h264Track(0)]);
  let app: TestHttpApp;
  let base: string;

  before(async () => {
    front.setStatus({ state: 'offline', error: { code: 'ERR_RTSP_AUTH', message: '401 for rtsp://admin:s3cret@192.0.2.7/live' } });
    app = await startHttpApp(new FakeDirectory([front]));
    base = app.base;
  });

  after(async () => {
    await app.close();
  });

  it('GET /healthz answers ok', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('GET /api/cameras lists cameras without credentials', async () => {
    const res = await fetch(`${base}/api/cameras`);
    const text = await res.text();
    assert.doesNotMatch(text, /s3cret/);
    const cameras = JSON.parse(text) as { name: string; state: string; error?: { code: string } }[];
    assert.deepEqual(cameras.map((c) => [c.name, c.state, c.error?.code]), [['front', 'offline', 'ERR_RTSP_AUTH']]);
  });

  it('GET / is the grid page and loads the app bundle', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await res.text();
    assert.match(html, /data-page="grid"/);
    assert.match(html, /src="\/app\.js"/);
    const js = await fetch(`${base}/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  it('GET /camera/:name is the camera page for a known camera, 404 page otherwise', async () => {
    const ok = await fetch(`${base}/camera/front`);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /data-page="camera"/);
    const missing = await fetch(`${base}/camera/garage`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /no such camera/i);
    const hostile = await fetch(`${base}/camera/..%2f..%2fetc%2fpasswd`);
    assert.equal(hostile.status, 404);
  });

  it('serves the player module with CORS so other sites can embed it', async () => {
    const res = await fetch(`${base}/camrtc-player.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  it('unknown routes: JSON 404 under /api, the 404 page elsewhere', async () => {
    const api = await fetch(`${base}/api/nothing`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /json/);
    const page = await fetch(`${base}/nothing-here`);
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  });
});
