/**
 * camrtc as a library (server/src/index.ts): options checked by the configuration file's schema
 * (the field named, never a password), cameras added, changed and removed at run time with their
 * state as events, and camrtc mounted in an Express app with app.use(handler): the app's own
 * middleware and routes around it keep working, the control API and /metrics answer under the mount
 * path when asked, and an app can list and disconnect viewers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { CamrtcError, createCamrtc, type Camrtc, type CameraStateEvent, type ViewerEvent, type ViewerLeftEvent } from '../../../server/src/index.js';
import type { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { watchOverWebSocket } from '../../../examples/ws-viewer.js';
import { api, startTestCamera } from '../../helpers/controlApi.js';
import { distPath } from '../../helpers/paths.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

async function refusal(promise: Promise<unknown>): Promise<CamrtcError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CamrtcError, `a CamrtcError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('createCamrtc: options', () => {
  it('names the field that is wrong, as the configuration file does, without echoing a password', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ cameras: [{ name: 'front', url: 'http://192.0.2.1/x' }] }, /cameras\.0\.url: must be an rtsp:\/\/ or rtsps:\/\/ URL/],
      [{ cameras: [{ name: 'front', url: 'rtsp://admin:hunter2-leak@192.0.2.1/x', transport: 'pigeon' }] }, /cameras\.0\.transport/],
      [{ mountPath: 'cams' }, /mountPath: a path like \/cams/],
      [{ port: 8080 }, /port: not a camrtc option \(the app's own server listens/],
      [{ cameras: [{ name: 'a', url: 'rtsp://192.0.2.1/a' }, { name: 'a', url: 'rtsp://192.0.2.1/b' }] }, /camera 'a' is configured twice/],
      [{ webrtc: { iceServers: 'stun:x' } }, /webrtc\.iceServers/],
    ];
    for (const [options, message] of cases) {
      const error = await refusal(createCamrtc(options as Parameters<typeof createCamrtc>[0]));
      assert.equal(error.code, 'ERR_CONFIG_INVALID');
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /hunter2-leak/);
    }
  });

  it('serves no demo camera unless asked', async () => {
    const camrtc = await createCamrtc({ logLevel: 'silent' });
    try {
      assert.deepEqual(camrtc.listCameras(), []);
      assert.equal(camrtc.mountPath, '/');
      assert.deepEqual({ ...camrtc.paths }, { player: '/camrtc-player.js', signaling: '/ws', whep: '/whep', cameras: '/api/cameras', server: '/' });
    } finally {
      await camrtc.close();
    }
  });
});

describe('createCamrtc: close()', () => {
  it('lets the process exit at once, even right after start (the WebRTC warm-up is not cut mid-handshake)', async () => {
    // Closed 100 ms after start, during the warm-up's DTLS handshake: werift's flight retries used to
    // hold the process 33 s after close().
    const script = `import { createCamrtc } from ${JSON.stringify(pathToFileURL(distPath('server/src/index.js')).href)};
      const camrtc = await createCamrtc({ logLevel: 'silent' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await camrtc.close();`;
    const started = Date.now();
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (err) => (err ? reject(err) : resolve())),
    );
    const ms = Date.now() - started;
    assert.ok(ms < 5_000, `the process exited ${ms} ms after start`);
  });
});

describe('createCamrtc: cameras at run time', () => {
  let camrtc: Camrtc;
  let cam: { camera: DemoCamera; url: string };
  const states: CameraStateEvent[] = [];

  before(async () => {
    cam = await startTestCamera('/porch');
    camrtc = await createCamrtc({ logLevel: 'silent', mountPath: '/cams/' });
    camrtc.on('cameraState', (event) => states.push(event));
  });
  after(async () => {
    await camrtc.close();
    await cam.camera.close();
  });

  it('adds a camera and tells its state as it goes live', async () => {
    const added = await camrtc.addCamera({ name: 'porch', url: cam.url, transport: 'tcp', preload: true });
    assert.equal(added.name, 'porch');
    assert.equal(added.viewers, 0);
    assert.equal(added.recording, false);
    await waitFor(() => states.some((s) => s.camera === 'porch' && s.state === 'live'), 'porch live', 10_000);
    assert.deepEqual(states[0], { camera: 'porch', state: 'connecting' }, 'the state it starts in, first');
    assert.deepEqual(camrtc.listCameras().map((c) => [c.name, c.state, c.codecs]), [['porch', 'live', ['H264', 'PCMA']]]);
    assert.equal(camrtc.mountPath, '/cams');
  });

  it('refuses a bad camera naming the field, and a taken name', async () => {
    const bad = await refusal(camrtc.addCamera({ name: 'yard', url: 'ftp://192.0.2.1/x' }));
    assert.equal(bad.code, 'ERR_REQUEST_INVALID');
    assert.match(bad.message, /^url: /);
    const taken = await refusal(camrtc.addCamera({ name: 'porch', url: cam.url }));
    assert.equal(taken.code, 'ERR_CAMERA_EXISTS');
    const unknown = await refusal(camrtc.updateCamera('nope', { preload: false }));
    assert.equal(unknown.code, 'ERR_CAMERA_UNKNOWN');
  });

  it('changes a camera (a new camera under the name, its state told again) and removes it', async () => {
    const before = states.length;
    const changed = await camrtc.updateCamera('porch', { idleTimeoutMs: 2_000, preload: null });
    assert.equal(changed.name, 'porch');
    // The changed camera does not preload any more: it starts idle (the old one closes).
    await waitFor(() => states.slice(before).some((s) => s.camera === 'porch' && s.state === 'idle'), 'the changed camera, idle', 5_000);
    await camrtc.removeCamera('porch');
    assert.deepEqual(camrtc.listCameras(), []);
    assert.equal((await refusal(camrtc.removeCamera('porch'))).code, 'ERR_CAMERA_UNKNOWN');
  });
});

describe('createCamrtc: app.use(camrtc.handler) in an Express app, control API and metrics on', () => {
  let camrtc: Camrtc;
  let server: Server;
  let port: number;
  const seenByApp: string[] = [];
  const joined: ViewerEvent[] = [];
  const left: ViewerLeftEvent[] = [];

  before(async () => {
    camrtc = await createCamrtc({
      logLevel: 'silent',
      demo: true,
      mountPath: '/cams',
      controlApi: true,
      metrics: true,
      webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'] },
    });
    camrtc.on('viewerJoined', (v) => joined.push(v));
    camrtc.on('viewerLeft', (v) => left.push(v));
    const app = express();
    app.locals.name = 'host';
    app.use((req, _res, next) => {
      seenByApp.push(req.path);
      next();
    });
    app.use(camrtc.handler);
    // After camrtc: the request is the app's again (its express, its locals).
    app.use((req, res, next) => {
      if (req.app !== app || req.app.locals.name !== 'host') return res.status(500).send('camrtc kept the request');
      next();
    });
    app.get('/api/users', (_req, res) => {
      res.json(['ann']);
    });
    server = createServer(app);
    camrtc.attach(server, { http: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await camrtc.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("the app's middleware sees every request and its own /api routes answer", async () => {
    const users = await fetch(`http://127.0.0.1:${port}/api/users`);
    assert.equal(users.status, 200);
    assert.deepEqual(await users.json(), ['ann']);
    const cameras = await fetch(`http://127.0.0.1:${port}/cams/api/cameras`);
    assert.deepEqual(await cameras.json(), [{ name: 'demo', state: 'idle' }]);
    assert.deepEqual(seenByApp, ['/api/users', '/cams/api/cameras']);
    assert.throws(() => camrtc.attach(server), /already attached to this server/);
    const missing = await fetch(`http://127.0.0.1:${port}/cams/nothing`);
    assert.equal(missing.status, 404, "the app's (express's) own 404");
    assert.doesNotMatch(await missing.text(), /camrtc/);
  });

  it('the control API answers under the mount path (Location included) and the demo camera stays built in', async () => {
    const list = await api(port, 'GET', '/cams/api/cameras/demo');
    assert.equal(list.status, 200);
    assert.equal(list.json().name, 'demo');
    const added = await api(port, 'POST', '/cams/api/cameras', { name: 'yard', url: 'rtsp://192.0.2.1/yard', transport: 'tcp' });
    assert.equal(added.status, 201);
    assert.equal(added.headers.location, '/cams/api/cameras/yard');
    assert.deepEqual(camrtc.listCameras().map((c) => c.name), ['demo', 'yard']);
    const refused = await api(port, 'POST', '/cams/api/cameras', { name: 'yard2', url: 'nope' });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json().fields, ['url']);
    assert.equal((await api(port, 'DELETE', '/cams/api/cameras/demo')).status, 409);
    assert.equal((await api(port, 'DELETE', '/cams/api/cameras/yard')).status, 200);
    // Not through a proxy without an auth section: admin is loopback only.
    const remote = await api(port, 'GET', '/cams/api/cameras/demo', undefined, { 'X-Forwarded-For': '203.0.113.9' });
    assert.equal(remote.status, 401);
  });

  it('lists a viewer, disconnects it, and tells both in events; /metrics counts it', async () => {
    let packets = 0;
    const watching = await watchOverWebSocket({ url: `ws://127.0.0.1:${port}/cams/ws`, camera: 'demo', iceAddresses: ['127.0.0.1'], onVideo: () => packets++ });
    try {
      // Connected first: a peer connection closed in the middle of its DTLS handshake keeps werift's
      // retransmission timers (and this test's process) alive for 30 s.
      await waitFor(() => packets > 10, 'video through the app', 15_000);
      assert.equal(joined.length, 1, 'viewerJoined');
      const [viewer] = await camrtc.listViewers();
      assert.equal(viewer.id, joined[0].id);
      assert.equal(viewer.camera, 'demo');
      assert.equal(viewer.address, '127.0.0.1');
      const metrics = await api(port, 'GET', '/cams/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /^camrtc_/m);
      assert.equal(await camrtc.disconnectViewer(viewer.id), true);
      await waitFor(() => left.length === 1, 'viewerLeft', 5_000);
      assert.equal(left[0].id, viewer.id);
      assert.ok(left[0].durationSeconds >= 0);
      assert.equal(await camrtc.disconnectViewer(viewer.id), false);
      assert.deepEqual(await camrtc.listViewers('demo'), []);
    } finally {
      await watching.close();
    }
  });
});
