/**
 * The control API on the real server, started from a configuration file: every route, what a
 * program sees (status, code, message naming the field), the viewers of a camera (a werift peer
 * standing in for a browser watches a second in-project RTSP camera), the end codes viewers read
 * when their camera is removed or changed, and the file keeping its comments. No answer carries a
 * password.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { receiverPeer } from '../../../examples/ws-viewer.js';
import { api, startFromFile, startTestCamera, waitForVideo, watchWithPeer, type FileServer } from '../../helpers/controlApi.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const YARD_PASSWORD = 'yard-s3cret-pw';
const PORCH_PASSWORD = 'porch-s3cret-pw';

function noSecrets(text: string): void {
  for (const secret of [YARD_PASSWORD, PORCH_PASSWORD, 'hunter2-leak']) assert.ok(!text.includes(secret), `an answer carries a password: ${text}`);
}

describe('control API', () => {
  let server: FileServer;
  let port: number;
  let cam: { camera: DemoCamera; url: string };

  before(async () => {
    cam = await startTestCamera();
    server = await startFromFile(
      [
        '# camrtc test configuration',
        'cameras:',
        '  # the yard camera: never reachable (port 9 refuses at once)',
        `  yard:`,
        `    url: rtsp://admin:${YARD_PASSWORD}@127.0.0.1:9/yard   # keep this comment`,
        '    transport: tcp',
        '',
      ].join('\n'),
    );
    port = server.app.port;
  });
  after(async () => {
    await server.app.close();
    await cam.camera.close();
  });

  it('GET /api/cameras/NAME: state, codecs, bitrate, viewers, last error and settings, the URL without credentials', async () => {
    const res = await api(port, 'GET', '/api/cameras/yard');
    assert.equal(res.status, 200);
    noSecrets(res.body);
    const body = res.json();
    assert.equal(body.name, 'yard');
    assert.equal(body.state, 'idle');
    assert.equal(body.viewers, 0);
    assert.equal(body.bitrateIn, 0);
    assert.equal(body.lastError, null);
    assert.deepEqual(body.config, { url: 'rtsp://127.0.0.1:9/yard', username: 'admin', hasPassword: true, transport: 'tcp', preload: false, idleTimeoutMs: 10000, recording: false });
    // The list keeps its shape (and its filtering, in HttpServer.ts).
    const list = await api(port, 'GET', '/api/cameras');
    assert.deepEqual((JSON.parse(list.body) as { name: string }[]).map((c) => c.name).sort(), ['demo', 'yard']);
  });

  it('POST adds a camera that is watchable at once, written to the file with its comments kept', async () => {
    const url = cam.url.replace('rtsp://', `rtsp://viewer:${PORCH_PASSWORD}@`);
    const res = await api(port, 'POST', '/api/cameras', { name: 'porch', url, transport: 'tcp' });
    assert.equal(res.status, 201, res.body);
    noSecrets(res.body);
    assert.equal(res.headers.location, '/api/cameras/porch');
    const body = res.json();
    assert.equal(body.persisted, true);
    assert.deepEqual(body.config, { url: cam.url, username: 'viewer', hasPassword: true, transport: 'tcp', preload: false, idleTimeoutMs: 10000, recording: false });

    const file = readFileSync(server.file, 'utf8');
    assert.match(file, /^# camrtc test configuration$/m);
    assert.match(file, /# the yard camera: never reachable/);
    assert.match(file, /# keep this comment/);
    assert.match(file, /^ {2}porch:\n {4}url: rtsp:\/\/viewer:porch-s3cret-pw@127\.0\.0\.1:\d+\/cam\n {4}transport: tcp$/m, file);
    assert.equal(statSync(server.file).mode & 0o777, 0o640, 'the file keeps its mode');

    const viewer = await watchWithPeer(port, 'porch');
    try {
      await waitForVideo(viewer, 60);
      const state = (await api(port, 'GET', '/api/cameras/porch')).json();
      assert.equal(state.state, 'live');
      assert.deepEqual(state.codecs, ['H264', 'PCMA']);
      assert.equal(state.viewers, 1);
      assert.ok((state.bitrateIn as number) > 10_000, `bitrate in ${state.bitrateIn}`);
    } finally {
      await viewer.close();
    }
  });

  it('GET .../viewers lists each viewer (ws and WHEP) with address, duration, bytes, loss and RTT; DELETE disconnects one', async () => {
    const viewer = await watchWithPeer(port, 'porch', 'p1');
    const whepPeer = receiverPeer(['127.0.0.1']);
    try {
      await waitForVideo(viewer, 60);
      whepPeer.addTransceiver('video', { direction: 'recvonly' });
      await whepPeer.setLocalDescription(await whepPeer.createOffer());
      const whep = await fetch(`http://127.0.0.1:${port}/whep/porch`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: whepPeer.localDescription!.sdp });
      assert.equal(whep.status, 201);
      await whepPeer.setRemoteDescription({ type: 'answer', sdp: await whep.text() });
      // Connected before it is closed: werift leaves a 30 s timer behind a peer closed mid-handshake.
      await waitFor(() => whepPeer.connectionState === 'connected', 'the WHEP viewer connected');

      const res = await api(port, 'GET', '/api/cameras/porch/viewers');
      assert.equal(res.status, 200);
      const list = JSON.parse(res.body) as Array<Record<string, unknown>>;
      assert.deepEqual(list.map((v) => v.transport).sort(), ['whep', 'ws']);
      const ws = list.find((v) => v.transport === 'ws')!;
      assert.match(String(ws.id), /^[a-f0-9]{16}$/);
      assert.equal(ws.address, '127.0.0.1');
      assert.equal(ws.connection, 'connected');
      assert.ok((ws.durationSeconds as number) >= 0);
      assert.ok((ws.bytesSent as number) > 10_000, `bytes sent ${ws.bytesSent}`);
      for (const key of ['packetsLost', 'fractionLost', 'rttMs']) assert.ok(key in ws && (ws[key] === null || typeof ws[key] === 'number'), key);
      assert.ok(!res.body.includes(new URL(whep.headers.get('location')!, 'http://x').pathname.split('/').pop()!), 'the WHEP session URL (its capability) is not shown');

      const gone = await api(port, 'DELETE', `/api/cameras/porch/viewers/${String(ws.id)}`);
      assert.equal(gone.status, 200, gone.body);
      const error = await viewer.client.next('error', (m) => m.id === 'p1');
      assert.equal(error.code, 'ERR_VIEWER_DISCONNECTED');
      assert.equal(error.message, 'an administrator disconnected this viewer');
      await viewer.client.next('closed', (m) => m.id === 'p1');
      const after = JSON.parse((await api(port, 'GET', '/api/cameras/porch/viewers')).body) as Array<{ transport: string }>;
      assert.deepEqual(after.map((v) => v.transport), ['whep']);
      const again = await api(port, 'DELETE', `/api/cameras/porch/viewers/${String(ws.id)}`);
      assert.equal(again.status, 404);
      assert.equal(again.json().code, 'ERR_VIEWER_UNKNOWN');
    } finally {
      await viewer.close();
      await whepPeer.close();
    }
  });

  it('PATCH and PUT change a camera: its viewers read ERR_CAMERA_CHANGED and watch the changed source at once', async () => {
    const viewer = await watchWithPeer(port, 'porch', 'c1');
    try {
      await waitForVideo(viewer, 30);
      const patched = await api(port, 'PATCH', '/api/cameras/porch', { transport: 'udp', idleTimeoutMs: 2000 });
      assert.equal(patched.status, 200, patched.body);
      noSecrets(patched.body);
      assert.equal((patched.json().config as { transport: string }).transport, 'udp');
      const error = await viewer.client.next('error', (m) => m.id === 'c1');
      assert.equal(error.code, 'ERR_CAMERA_CHANGED');
      await viewer.client.next('closed', (m) => m.id === 'c1');
      const file = readFileSync(server.file, 'utf8');
      assert.match(file, /porch:\n {4}url: rtsp:\/\/viewer:porch-s3cret-pw@[^\n]+\n {4}transport: udp\n {4}idleTimeoutMs: 2000/, file);
      assert.match(file, /# keep this comment/);
    } finally {
      await viewer.close();
    }
    // What the player does on ERR_CAMERA_CHANGED: watch again, and the changed camera plays.
    const again = await watchWithPeer(port, 'porch', 'c2');
    try {
      await waitForVideo(again, 30);
    } finally {
      await again.close();
    }
    const put = await api(port, 'PUT', '/api/cameras/porch', { url: cam.url });
    assert.equal(put.status, 200, put.body);
    const config = put.json().config as Record<string, unknown>;
    assert.equal(config.transport, 'auto', 'PUT: what is left out takes its default');
    assert.equal(config.hasPassword, false);
    assert.match(readFileSync(server.file, 'utf8'), /porch:\n {4}url: rtsp:\/\/127\.0\.0\.1:\d+\/cam\n(?! {4})/);
    // PATCH with a password source replaces the others; the answer only says there is one.
    const withPassword = await api(port, 'PATCH', '/api/cameras/porch', { passwordEnv: 'PATH' });
    assert.equal(withPassword.status, 200, withPassword.body);
    assert.deepEqual([(withPassword.json().config as Record<string, unknown>).hasPassword, (withPassword.json().config as Record<string, unknown>).passwordEnv], [true, 'PATH']);
    noSecrets(withPassword.body);
    assert.ok(!withPassword.body.includes(process.env.PATH!), 'the password read from the environment is not shown');
  });

  it('DELETE removes a camera: its viewer reads ERR_CAMERA_REMOVED, the file loses it and keeps its comments', async () => {
    const viewer = await watchWithPeer(port, 'porch', 'r1');
    try {
      await waitForVideo(viewer, 30);
      const res = await api(port, 'DELETE', '/api/cameras/porch');
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(res.json(), { name: 'porch', removed: true, persisted: true });
      const error = await viewer.client.next('error', (m) => m.id === 'r1');
      assert.deepEqual(error, { type: 'error', id: 'r1', code: 'ERR_CAMERA_REMOVED', message: "camera 'porch' was removed" });
      await viewer.client.next('closed', (m) => m.id === 'r1');
    } finally {
      await viewer.close();
    }
    assert.equal((await api(port, 'GET', '/api/cameras/porch')).status, 404);
    await waitFor(() => cam.camera.clientCount === 0, 'TEARDOWN to the removed camera');
    const file = readFileSync(server.file, 'utf8');
    assert.doesNotMatch(file, /porch/);
    assert.match(file, /# the yard camera: never reachable/);
    assert.match(file, /# keep this comment/);
  });

  it('bad requests get 4xx with the code and the field named, never a 500, never the password', async () => {
    const url = 'rtsp://127.0.0.1:9/x';
    const cases: Array<{ what: string; method: string; path: string; body?: unknown; headers?: Record<string, string>; status: number; code: string; message?: RegExp }> = [
      { what: 'no Content-Type', method: 'POST', path: '/api/cameras', body: '{"name":"x"}', headers: { 'Content-Type': '' }, status: 415, code: 'ERR_REQUEST_INVALID', message: /application\/json/ },
      { what: 'a form post', method: 'POST', path: '/api/cameras', body: 'name=x&url=rtsp://h/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 415, code: 'ERR_REQUEST_INVALID' },
      { what: 'text/plain', method: 'PUT', path: '/api/cameras/yard', body: '{}', headers: { 'Content-Type': 'text/plain' }, status: 415, code: 'ERR_REQUEST_INVALID' },
      { what: 'not JSON', method: 'POST', path: '/api/cameras', body: '{"name":', status: 400, code: 'ERR_REQUEST_INVALID', message: /not valid JSON/ },
      { what: 'a list', method: 'POST', path: '/api/cameras', body: [], status: 400, code: 'ERR_REQUEST_INVALID', message: /JSON object/ },
      { what: 'no url', method: 'POST', path: '/api/cameras', body: { name: 'x' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^url: / },
      { what: 'a bad name', method: 'POST', path: '/api/cameras', body: { name: '../etc', url }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^name: camera names use letters/ },
      { what: 'an http URL', method: 'POST', path: '/api/cameras', body: { name: 'x', url: 'http://127.0.0.1/' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^url: must be an rtsp:\/\/ or rtsps:\/\/ URL/ },
      { what: 'a bad transport', method: 'POST', path: '/api/cameras', body: { name: 'x', url, transport: 'pigeon' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^transport: / },
      { what: 'a misspelt setting', method: 'POST', path: '/api/cameras', body: { name: 'x', url, pasword: 'hunter2-leak' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^pasword: not a camera setting/ },
      { what: 'a bad value beside a password', method: 'POST', path: '/api/cameras', body: { name: 'x', url, password: 'hunter2-leak', idleTimeoutMs: 'soon' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^idleTimeoutMs: / },
      { what: 'an unset passwordEnv', method: 'POST', path: '/api/cameras', body: { name: 'x', url, passwordEnv: 'CAMRTC_TEST_NEVER_SET' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /passwordEnv: the environment variable CAMRTC_TEST_NEVER_SET is not set/ },
      { what: 'two password sources', method: 'POST', path: '/api/cameras', body: { name: 'x', url, password: 'hunter2-leak', passwordEnv: 'PATH' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /give one of password, passwordFile and passwordEnv/ },
      { what: 'a taken name', method: 'POST', path: '/api/cameras', body: { name: 'yard', url }, status: 409, code: 'ERR_CAMERA_EXISTS' },
      { what: 'a huge body', method: 'POST', path: '/api/cameras', body: { name: 'x', url, pad: 'x'.repeat(20_000) }, status: 413, code: 'ERR_LIMIT' },
      { what: 'a rename', method: 'PUT', path: '/api/cameras/yard', body: { name: 'other', url }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^name: renaming is not supported/ },
      { what: 'PUT without url', method: 'PUT', path: '/api/cameras/yard', body: { transport: 'tcp' }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^url: / },
      { what: 'a negative timeout', method: 'PATCH', path: '/api/cameras/yard', body: { idleTimeoutMs: -1 }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^idleTimeoutMs: / },
      { what: 'PATCH removing the url', method: 'PATCH', path: '/api/cameras/yard', body: { url: null }, status: 400, code: 'ERR_REQUEST_INVALID', message: /^url: / },
      { what: 'GET an unknown camera', method: 'GET', path: '/api/cameras/nosuch', status: 404, code: 'ERR_CAMERA_UNKNOWN', message: /no camera named 'nosuch'/ },
      { what: 'PUT an unknown camera', method: 'PUT', path: '/api/cameras/nosuch', body: { url }, status: 404, code: 'ERR_CAMERA_UNKNOWN' },
      { what: 'PATCH an unknown camera', method: 'PATCH', path: '/api/cameras/nosuch', body: { url }, status: 404, code: 'ERR_CAMERA_UNKNOWN' },
      { what: 'DELETE an unknown camera', method: 'DELETE', path: '/api/cameras/nosuch', status: 404, code: 'ERR_CAMERA_UNKNOWN' },
      { what: 'viewers of an unknown camera', method: 'GET', path: '/api/cameras/nosuch/viewers', status: 404, code: 'ERR_CAMERA_UNKNOWN' },
      { what: 'an unknown viewer', method: 'DELETE', path: '/api/cameras/yard/viewers/0123456789abcdef', status: 404, code: 'ERR_VIEWER_UNKNOWN' },
      { what: 'a malformed viewer id', method: 'DELETE', path: '/api/cameras/yard/viewers/..%2F..', status: 404, code: 'ERR_VIEWER_UNKNOWN' },
      { what: 'the built-in demo camera', method: 'DELETE', path: '/api/cameras/demo', status: 409, code: 'ERR_CONFIG_INVALID', message: /built-in demo camera/ },
      { what: 'a change from another origin', method: 'POST', path: '/api/cameras', body: { name: 'x', url }, headers: { Origin: 'https://evil.example' }, status: 403, code: 'ERR_FORBIDDEN' },
      { what: 'a DELETE from another origin', method: 'DELETE', path: '/api/cameras/yard', headers: { Origin: 'https://evil.example' }, status: 403, code: 'ERR_FORBIDDEN' },
    ];
    const before = readFileSync(server.file, 'utf8');
    for (const c of cases) {
      const res = await api(port, c.method, c.path, c.body, c.headers);
      assert.equal(res.status, c.status, `${c.what}: ${res.status} ${res.body}`);
      noSecrets(res.body);
      // HttpServer's CORS check refuses other origins before this API in plain text; both say 403.
      if (c.headers?.Origin) continue;
      const body = res.json();
      assert.equal(body.code, c.code, `${c.what}: ${res.body}`);
      assert.equal(res.headers['x-camrtc-error'], c.code);
      if (c.message) assert.match(String(body.message), c.message, c.what);
    }
    const fields = await api(port, 'POST', '/api/cameras', { name: 'x', url: 'ftp://h/', transport: 'pigeon', pasword: 'p' });
    assert.deepEqual((fields.json().fields as string[]).sort(), ['pasword', 'transport', 'url'], 'every invalid field is listed');
    assert.equal(readFileSync(server.file, 'utf8'), before, 'no refused request changed the file');
    assert.ok((await api(port, 'GET', '/api/cameras/yard')).status === 200, 'the server keeps serving');
  });

  it('a change sent by a page of this very origin is accepted (same-origin admin page)', async () => {
    const res = await api(port, 'POST', '/api/cameras', { name: 'same', url: 'rtsp://127.0.0.1:9/same' }, { Origin: `http://127.0.0.1:${port}` });
    assert.equal(res.status, 201, res.body);
    assert.equal((await api(port, 'DELETE', '/api/cameras/same', undefined, { Origin: `http://127.0.0.1:${port}` })).status, 200);
  });
});
