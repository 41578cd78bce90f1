/**
 * The test camera (test/helpers/faultyCamera.ts) misbehaving on purpose, against the whole server (App, as `npm start`
 * builds it): each fault must show on /api/cameras as a state and a readable error, with the
 * server up and the other cameras live. What a user sees, not internals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { App } from '../../../server/src/App.js';
import { loadConfig, type ConfigInput } from '../../../server/src/config/Config.js';
import { FaultyCamera, type CameraFaults, type FaultyCameraOptions } from '../../helpers/faultyCamera.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { repoRoot } from '../../helpers/paths.js';

interface CameraInfo {
  name: string;
  state: string;
  error?: { code: string; message: string };
}

const PASSWORD = 'Fault-Pa55word';

function clipCamera(faults: CameraFaults, extra: Partial<FaultyCameraOptions> = {}): FaultyCamera {
  return new FaultyCamera({ streams: [new H264ClipStream({ file: join(repoRoot, 'server', 'assets', 'demo.h264'), fps: 25 })], faults, ...extra });
}

describe('faulty cameras: the server stays up and says what is wrong', () => {
  const cams: Record<string, FaultyCamera> = {
    good: clipCamera({}),
    dropped: clipCamera({}),
    silentKeepalive: clipCamera({ neverAnswer: ['GET_PARAMETER'] }, { sessionTimeoutS: 6 }),
    garbage: clipCamera({ garbageOnly: true }),
    redirectLoop: clipCamera({ redirectLoop: true }),
    unauthorizedLoop: clipCamera({ alwaysUnauthorized: true }, { auth: { username: 'admin', password: PASSWORD, scheme: 'digest' } }),
    truncated: clipCamera({ truncateInterleavedAfter: 30 }),
  };
  let app: App;
  let base: string;

  before(async () => {
    const cameras: ConfigInput['cameras'] = [];
    for (const [name, cam] of Object.entries(cams)) {
      const { url } = await cam.listen();
      const withCreds = name === 'unauthorizedLoop' ? url.replace('rtsp://', `rtsp://admin:${PASSWORD}@`) : url;
      cameras.push({ name, url: withCreds, transport: 'tcp', preload: true });
    }
    app = await App.start(loadConfig({ host: '127.0.0.1', port: 0, demo: false, logLevel: 'silent', cameras, webrtc: { iceHostAddresses: ['127.0.0.1'], udpPort: 0 } }), { logger: silentLogger() });
    base = `http://127.0.0.1:${app.port}`;
  });

  after(async () => {
    await app?.close();
    for (const cam of Object.values(cams)) await cam.close();
  });

  async function cameras(): Promise<CameraInfo[]> {
    const res = await fetch(`${base}/api/cameras`);
    assert.equal(res.status, 200);
    return (await res.json()) as CameraInfo[];
  }

  async function waitForCamera(name: string, check: (c: CameraInfo) => boolean, what: string, timeoutMs = 8000): Promise<CameraInfo> {
    const deadline = Date.now() + timeoutMs;
    let last: CameraInfo | undefined;
    while (Date.now() < deadline) {
      last = (await cameras()).find((c) => c.name === name);
      if (last && check(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`camera ${name}: ${what}; last seen ${JSON.stringify(last)}`);
  }

  const retryingWith = (code: string) => (c: CameraInfo) => c.state !== 'live' && c.error?.code === code;

  it('garbage instead of answers: retrying with ERR_RTSP_PROTOCOL "does not speak RTSP"', async () => {
    const c = await waitForCamera('garbage', retryingWith('ERR_RTSP_PROTOCOL'), 'no protocol error');
    assert.match(c.error!.message, /camera 'garbage' does not speak RTSP/);
  });

  it('redirect loop: gives up with ERR_RTSP_REDIRECT after three redirects', async () => {
    const c = await waitForCamera('redirectLoop', retryingWith('ERR_RTSP_REDIRECT'), 'no redirect error');
    assert.match(c.error!.message, /redirected more than 3 times/);
  });

  it('401 loop: ERR_RTSP_AUTH "wrong user or password", one retry per attempt, password never shown', async () => {
    const c = await waitForCamera('unauthorizedLoop', retryingWith('ERR_RTSP_AUTH'), 'no auth error');
    assert.match(c.error!.message, /401 Unauthorized: wrong user or password for camera 'unauthorizedLoop'/);
    const describes = cams.unauthorizedLoop.requests.filter((r) => r.method === 'DESCRIBE').length;
    const attempts = cams.unauthorizedLoop.requests.filter((r) => r.method === 'OPTIONS').length;
    assert.ok(describes <= 2 * attempts, `${describes} DESCRIBE for ${attempts} connection attempts: a 401 must be retried once, never looped`);
    assert.ok(!JSON.stringify(await cameras()).includes(PASSWORD));
  });

  it('connection dropped mid-stream: retrying with ERR_RTSP_CONNECTION_LOST, then live again', async () => {
    await waitForCamera('dropped', (c) => c.state === 'live', 'never live');
    cams.dropped.dropConnections();
    const c = await waitForCamera('dropped', retryingWith('ERR_RTSP_CONNECTION_LOST'), 'the drop was not seen');
    assert.match(c.error!.message, /camera 'dropped' closed the connection/);
    await waitForCamera('dropped', (x) => x.state === 'live', 'did not come back after the drop');
  });

  it('truncated interleaved frame: ERR_RTSP_CONNECTION_LOST naming the truncated frame', async () => {
    const c = await waitForCamera('truncated', retryingWith('ERR_RTSP_CONNECTION_LOST'), 'the truncated frame was not reported');
    assert.match(c.error!.message, /in the middle of an interleaved media frame \(truncated frame\)/);
  });

  it('keepalives never answered: the camera stays live (keepalives are not awaited)', async () => {
    await waitForCamera('silentKeepalive', (c) => c.state === 'live', 'never live');
    const deadline = Date.now() + 6000;
    while (cams.silentKeepalive.requests.filter((r) => r.method === 'GET_PARAMETER').length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(cams.silentKeepalive.requests.filter((r) => r.method === 'GET_PARAMETER').length >= 2, 'no keepalive sent');
    const c = (await cameras()).find((x) => x.name === 'silentKeepalive')!;
    assert.equal(c.state, 'live', JSON.stringify(c));
  });

  it('through all of it the server answers and the healthy camera is live', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await waitForCamera('good', (c) => c.state === 'live', 'the healthy camera is not live');
  });
});
