/**
 * The restream in the App: on by default (any free port when the HTTP port is 0, so servers in tests
 * never collide with each other nor with the demo camera's own RTSP server), off with
 * `rtsp.enabled: false`, a taken port stops the start with the flag to change, close() ends it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { loadConfig, type ConfigInput } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { RtspTestClient } from '../../helpers/rtspTestClient.js';

const base: ConfigInput = { host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'] } };

describe('the restream in the App', () => {
  it('on by default: the demo camera at rtsp://127.0.0.1:PORT/demo on a free port, not the demo camera\'s own; gone after close()', async () => {
    const app = await App.start(loadConfig(base), { logger: silentLogger() });
    let port: number;
    try {
      const m = /^rtsp:\/\/127\.0\.0\.1:(\d+)\/NAME$/.exec(app.rtspUrl ?? '');
      assert.ok(m, app.rtspUrl);
      port = Number(m[1]);
      assert.notEqual(port, 8554);
      assert.notEqual(`rtsp://127.0.0.1:${port}/demo`, app.demoCamera?.url);
      const client = await RtspTestClient.connect(port);
      try {
        const res = await client.request('DESCRIBE', `rtsp://127.0.0.1:${port}/demo`);
        assert.equal(res.status, 200);
        assert.match(res.body.toString(), /H264\/90000/);
      } finally {
        client.close();
      }
    } finally {
      await app.close();
    }
    const socket = net.connect(port, '127.0.0.1');
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });

  it('rtsp.enabled false: no restream', async () => {
    const app = await App.start(loadConfig({ ...base, rtsp: { enabled: false } }), { logger: silentLogger() });
    try {
      assert.equal(app.rtspUrl, undefined);
      assert.equal(app.restream, undefined);
    } finally {
      await app.close();
    }
  });

  it('a taken RTSP port stops the start, naming --rtsp-port and --no-rtsp, and leaves nothing listening', async () => {
    const squatter = net.createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const taken = (squatter.address() as net.AddressInfo).port;
    try {
      await assert.rejects(App.start(loadConfig({ ...base, rtsp: { port: taken } }), { logger: silentLogger() }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_CONFIG_INVALID');
        assert.match(err.message, new RegExp(`RTSP port ${taken} on 127\\.0\\.0\\.1 is already in use.*--rtsp-port.*--no-rtsp`));
        return true;
      });
    } finally {
      squatter.close();
    }
  });
});
