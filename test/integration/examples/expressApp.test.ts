/**
 * examples/express-app.ts: an Express app with camrtc mounted under /cams. A werift viewer watches
 * the demo camera through the app's server (signaling and WHEP under the prefix), the app logs the
 * viewer joining and leaving, and the app's own routes, 404s and headers stay the app's while
 * camrtc's routes keep their host, origin and access checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RtpPacket } from 'werift';
import WebSocket from 'ws';
import { startExampleApp, type ExampleApp } from '../../../examples/express-app.js';
import { naluType, watchOverWebSocket } from '../../../examples/ws-viewer.js';
import { watchOverWhep } from '../../../examples/whep-viewer.js';
import { rawRequest, rawUpgrade } from '../../helpers/rawHttp.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

describe('examples/express-app.ts: camrtc inside an Express app', () => {
  let example: ExampleApp;
  let port: number;
  const lines: string[] = [];

  before(async () => {
    example = await startExampleApp({
      port: 0,
      log: (line) => lines.push(line),
      camrtc: { logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'] } },
    });
    port = Number(new URL(example.url).port);
  });
  after(async () => {
    await example?.close();
  });

  it("serves the app's own page with the player from /cams, and the app's routes and 404s stay its own", async () => {
    const home = await fetch(`${example.url}/`);
    assert.equal(home.status, 200);
    const html = await home.text();
    assert.match(html, /<script type="module" src="\/cams\/camrtc-player\.js"><\/script>/);
    assert.match(html, /<camrtc-player server="\/cams" camera="demo" controls>/);

    const hello = await fetch(`${example.url}/hello`);
    assert.deepEqual(await hello.json(), { hello: 'from the app', cameras: [{ name: 'demo', state: 'idle', viewers: 0 }] });
    for (const path of ['/nope', '/cams/nope', '/api/cameras', '/camrtc-player.js', '/whep/demo']) {
      const res = await fetch(`${example.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), 'my app has no such page', `${path}: the app's own 404`);
      assert.equal(res.headers.get('x-content-type-options'), null, `${path}: no camrtc header on the app's answers`);
    }

    const player = await fetch(`${example.url}/cams/camrtc-player.js`);
    assert.equal(player.status, 200);
    assert.match(player.headers.get('content-type') ?? '', /javascript/);
    assert.equal(player.headers.get('access-control-allow-origin'), '*');
    assert.equal(player.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await player.text(), /camrtc-player/);
    const cameras = await fetch(`${example.url}/cams/api/cameras`);
    assert.deepEqual(await cameras.json(), [{ name: 'demo', state: 'idle' }]);
    // Not enabled in the example: the control API and /metrics are the app's 404s.
    assert.equal((await fetch(`${example.url}/cams/api/openapi.json`)).status, 404);
    assert.equal((await fetch(`${example.url}/cams/metrics`)).status, 404);
  });

  it("camrtc's routes keep their checks: an unknown host name gets 421 there, another origin 403, while the app answers both", async () => {
    const evil = { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` };
    for (const path of ['/cams/api/cameras', '/cams/camrtc-player.js']) {
      const res = await rawRequest({ port, path, headers: evil });
      assert.equal(res.status, 421, path);
      assert.equal(res.headers['x-camrtc-error'], 'ERR_HOST_UNKNOWN');
    }
    assert.equal((await rawUpgrade({ port, path: '/cams/ws', headers: evil })).status, 421);
    const app = await rawRequest({ port, path: '/hello', headers: evil });
    assert.equal(app.status, 200, 'the app decides about its own routes');

    const otherOrigin = { Origin: 'http://other.example' };
    assert.equal((await rawUpgrade({ port, path: '/cams/ws', headers: otherOrigin })).status, 403);
    assert.equal((await rawRequest({ port, path: '/cams/api/cameras', headers: otherOrigin })).status, 403);
    // Signaling lives under the prefix only.
    assert.equal((await rawUpgrade({ port, path: '/ws' })).status, 404);
    assert.deepEqual(example.camrtc.listCameras().map((c) => c.state), ['idle'], 'no refused request started the camera');
  });

  it('a werift viewer receives frames over /cams/ws; the app logs it joining and leaving', async () => {
    const video: RtpPacket[] = [];
    const audio: RtpPacket[] = [];
    const watching = await watchOverWebSocket({
      url: `ws://127.0.0.1:${port}/cams/ws`,
      camera: 'demo',
      iceAddresses: ['127.0.0.1'],
      onVideo: (p) => video.push(p.clone()),
      onAudio: (p) => audio.push(p.clone()),
    });
    try {
      await waitFor(() => video.filter((p) => p.header.marker).length >= 10 && audio.length > 0, 'ten video frames through the app', 15_000);
      assert.ok([5, 7].includes(naluType(video[0].payload)), 'the first packet starts a keyframe');
      const viewers = await example.camrtc.listViewers('demo');
      assert.equal(viewers.length, 1);
      assert.equal(viewers[0].transport, 'ws');
      assert.ok(viewers[0].framesSent > 0);
      assert.ok(lines.some((l) => new RegExp(`^viewer ${viewers[0].id} joined demo \\(ws from 127\\.0\\.0\\.1\\)$`).test(l)), lines.join('\n'));
      assert.ok(lines.includes('camera demo is live'), lines.join('\n'));
      const hello = (await (await fetch(`${example.url}/hello`)).json()) as { cameras: { viewers: number }[] };
      assert.equal(hello.cameras[0].viewers, 1);
    } finally {
      await watching.close();
    }
    await waitFor(() => lines.some((l) => /^viewer [0-9a-f]{16} left demo after [\d.]+ s$/.test(l)), 'the app logs the viewer leaving', 5_000);
  });

  it('WHEP works under /cams/whep, with session URLs under the prefix', async () => {
    const video: RtpPacket[] = [];
    const watching = await watchOverWhep({
      endpoint: `http://127.0.0.1:${port}/cams/whep/demo`,
      iceAddresses: ['127.0.0.1'],
      onVideo: (p) => video.push(p.clone()),
    });
    try {
      assert.match(watching.sessionUrl, /^http:\/\/127\.0\.0\.1:\d+\/cams\/whep\/demo\/[a-f0-9]{32}$/);
      await waitFor(() => video.filter((p) => p.header.marker).length >= 10, 'ten video frames over WHEP through the app', 15_000);
      await waitFor(() => lines.some((l) => / joined demo \(whep from /.test(l)), 'the app logs the WHEP viewer', 5_000);
    } finally {
      await watching.close();
    }
  });

  it('close() ends the viewers and gives the paths back to the app', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/cams/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await example.camrtc.close();
    assert.equal(await closed, 1001, 'going away');
    const res = await fetch(`${example.url}/cams/camrtc-player.js`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'my app has no such page');
    assert.equal((await fetch(`${example.url}/hello`)).status, 200);
  });
});
