/**
 * DNS rebinding (issue 14): a page on http://evil.example:PORT whose name the attacker re-resolves to
 * 127.0.0.1 is same-origin with camrtc to the browser (its Origin host equals its Host), so the
 * origin check alone lets it list and watch the cameras. The Host header is what it cannot change:
 * every entry point refuses a name the server is not known by, and says which setting to add.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { rawRequest, rawUpgrade } from '../../helpers/rawHttp.js';

describe('DNS rebinding: requests for a name the server is not known by', () => {
  let app: App;
  let port: number;
  const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\n';

  before(async () => {
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'silent',
        publicNames: ['cams.example.org'],
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
      }),
      { logger: silentLogger() },
    );
    port = app.port;
  });
  after(async () => {
    await app.close();
  });

  const evil = (): Record<string, string> => ({ Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` });

  it('pages, the camera list, the player code and WHEP answer 421 naming --public-name, and no camera starts', async () => {
    const requests = [
      { path: '/' },
      { path: '/camera/demo' },
      { path: '/api/cameras' },
      { path: '/camrtc-player.js' },
      { path: '/whep/demo', method: 'OPTIONS' },
      { path: '/whep/demo', method: 'POST', body: offer, headers: { 'Content-Type': 'application/sdp' } },
    ];
    for (const r of requests) {
      const res = await rawRequest({ port, ...r, headers: { ...evil(), ...r.headers } });
      assert.equal(res.status, 421, `${r.method ?? 'GET'} ${r.path}`);
      assert.equal(res.headers['x-camrtc-error'], 'ERR_HOST_UNKNOWN');
      assert.match(res.body, /does not answer to the name 'evil\.example'/);
      assert.match(res.body, /--public-name evil\.example \(publicNames in the config file\)/);
      assert.doesNotMatch(res.body, /demo/, 'nothing about the cameras');
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    }
    assert.deepEqual(app.demoCamera!.requests, [], 'the demo camera received no RTSP request');
  });

  it('the /ws upgrade is refused with 421 and the same message, with or without an Origin', async () => {
    for (const headers of [evil(), { Host: `evil.example:${port}` }, { Host: `EVIL.example.:${port}`, Origin: `http://evil.example:${port}` }]) {
      const res = await rawUpgrade({ port, path: '/ws?watch=demo&id=v1', headers });
      assert.equal(res.status, 421);
      assert.equal(res.headers['x-camrtc-error'], 'ERR_HOST_UNKNOWN');
      assert.match(res.body, /--public-name evil\.example/);
    }
    assert.deepEqual(app.demoCamera!.requests, [], 'the demo camera received no RTSP request');
  });

  it('a Host header that is not a host name is refused too, without echoing it', async () => {
    const res = await rawRequest({ port, path: '/api/cameras', headers: { Host: 'evil<script>:80' } });
    assert.equal(res.status, 421);
    assert.doesNotMatch(res.body, /<script>/);
    assert.match(res.body, /--public-name NAME/);
  });

  it('localhost, loopback and other IP literals, the hostname and a configured public name work', async () => {
    const names = ['localhost', '127.0.0.1', '127.0.0.2', '[::1]', 'app.localhost', 'cams.example.org', hostname()];
    for (const name of names) {
      const host = `${name}:${port}`;
      const list = await rawRequest({ port, path: '/api/cameras', headers: { Host: host, Origin: `http://${host}` } });
      assert.equal(list.status, 200, host);
      assert.equal(list.headers['access-control-allow-origin'], `http://${host}`);
      assert.deepEqual((JSON.parse(list.body) as { name: string }[]).map((c) => c.name), ['demo']);
      const page = await rawRequest({ port, path: '/', headers: { Host: host } });
      assert.equal(page.status, 200, host);
      const ws = await rawUpgrade({ port, path: '/ws', headers: { Host: host, Origin: `http://${host}` } });
      assert.equal(ws.status, 101, host);
    }
  });
});
