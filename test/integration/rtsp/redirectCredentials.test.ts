/**
 * A camera (or whoever answers in its place) redirects camrtc elsewhere to collect the camera's
 * password. Credentials go only to the scheme, host and port they were configured for: a second
 * scripted server on another port records every Authorization header it receives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../server/src/errors.js';
import { RtspSession } from '../../../server/src/rtsp/RtspSession.js';
import { parseTransport } from '../../../server/src/rtsp/headers/Transport.js';
import type { RtspRequest } from '../../../server/src/rtsp/message.js';
import { FAKE_SDP, FakeRtspServer, rtpPacket, type FakeConnection } from './FakeRtspServer.js';

const USER = 'admin';
const PASSWORD = 'Cam3ra-S3cret';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** A server that wants credentials for everything and records what it was sent. */
async function credentialCollector(): Promise<{ server: FakeRtspServer; authorizations: () => string[] }> {
  const server = await FakeRtspServer.start((req, conn) => {
    conn.reply(req, 401, { 'WWW-Authenticate': 'Basic realm="collector"' });
  });
  return { server, authorizations: () => server.requests.flatMap((r) => r.headers.getAll('Authorization')) };
}

/** A camera checking Basic credentials on every request but OPTIONS; `redirect` answers DESCRIBE of some paths with a 302. */
function basicCamera(redirect: (req: RtspRequest) => string | undefined) {
  return (req: RtspRequest, conn: FakeConnection): void => {
    if (req.method === 'OPTIONS') return conn.reply(req, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
    if (req.headers.get('Authorization') !== BASIC) return conn.reply(req, 401, { 'WWW-Authenticate': 'Basic realm="cam"' });
    const location = req.method === 'DESCRIBE' ? redirect(req) : undefined;
    if (location !== undefined) return conn.reply(req, 302, { Location: location });
    switch (req.method) {
      case 'DESCRIBE':
        return conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, FAKE_SDP);
      case 'SETUP': {
        const asked = parseTransport(req.headers.get('Transport') ?? '');
        assert.ok(!(asked instanceof CamrtcError));
        const [rtp, rtcp] = asked.interleaved!;
        return conn.reply(req, 200, { Session: 'S1', Transport: `RTP/AVP/TCP;unicast;interleaved=${rtp}-${rtcp}` });
      }
      case 'PLAY':
        conn.reply(req, 200, { Session: 'S1' });
        return conn.sendInterleaved(0, rtpPacket(96, 7));
      default:
        return conn.reply(req, 200, { Session: 'S1' });
    }
  };
}

function session(url: string): RtspSession {
  return new RtspSession({ url, cameraName: 'porch', transport: 'tcp', connectTimeoutMs: 2000, readTimeoutMs: 2000 });
}

test('a redirect to the same host on another port is followed without the credentials, and its 401 says why', async () => {
  const collector = await credentialCollector();
  const camera = await FakeRtspServer.start(basicCamera(() => collector.server.url('/grab')));
  const s = session(camera.url('/stream', `${USER}:${PASSWORD}@`));
  try {
    await assert.rejects(s.start(), (err: unknown) => {
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_RTSP_REDIRECT_CREDENTIALS');
      assert.match(err.message, /redirected to rtsp:\/\/127\.0\.0\.1:\d+\/grab, which asks for credentials/);
      assert.match(err.message, new RegExp(`only to rtsp://127\\.0\\.0\\.1:${camera.port}, never to another host, port or scheme`));
      assert.ok(!err.message.includes(PASSWORD));
      return true;
    });
    // The camera itself did get the credentials (the test would pass vacuously otherwise).
    assert.ok(camera.requests.some((r) => r.headers.get('Authorization') === BASIC));
    assert.ok(collector.server.requests.length > 0, 'the redirect was followed');
    assert.deepEqual(collector.authorizations(), []);
  } finally {
    await s.close();
    await camera.close();
    await collector.server.close();
  }
});

test('a redirect before any authentication (at OPTIONS) does not hand the credentials over either', async () => {
  const collector = await credentialCollector();
  const camera = await FakeRtspServer.start((req, conn) => conn.reply(req, 301, { Location: collector.server.url('/grab') }));
  const s = session(camera.url('/stream', `${USER}:${PASSWORD}@`));
  try {
    await assert.rejects(s.start(), { code: 'ERR_RTSP_REDIRECT_CREDENTIALS' });
    assert.deepEqual(collector.authorizations(), []);
  } finally {
    await s.close();
    await camera.close();
    await collector.server.close();
  }
});

test('a redirect to the same scheme, host and port keeps the credentials', async () => {
  const camera = await FakeRtspServer.start(basicCamera((req) => (req.uri.endsWith('/old') ? req.uri.replace('/old', '/stream') : undefined)));
  const s = session(camera.url('/old', `${USER}:${PASSWORD}@`));
  try {
    await s.start();
    assert.equal(s.state, 'playing');
    const describes = camera.requests.filter((r) => r.method === 'DESCRIBE' && r.uri === camera.url('/stream'));
    assert.ok(describes.some((r) => r.headers.get('Authorization') === BASIC), 'the redirected DESCRIBE carried the credentials');
  } finally {
    await s.close();
    await camera.close();
  }
});

test("a redirect elsewhere that names its own user gets that user, never the configured password", async () => {
  const collector = await credentialCollector();
  const camera = await FakeRtspServer.start(basicCamera(() => collector.server.url('/grab', 'guest:guestpw@')));
  const s = session(camera.url('/stream', `${USER}:${PASSWORD}@`));
  try {
    // The collector refuses everyone: with credentials of its own, that reads as a wrong password.
    await assert.rejects(s.start(), { code: 'ERR_RTSP_AUTH' });
    assert.deepEqual(collector.authorizations(), [`Basic ${Buffer.from('guest:guestpw').toString('base64')}`]);
  } finally {
    await s.close();
    await camera.close();
    await collector.server.close();
  }
});

test('without configured credentials, a 401 after a redirect is the usual "needs a user and password"', async () => {
  const collector = await credentialCollector();
  const camera = await FakeRtspServer.start((req, conn) => conn.reply(req, 302, { Location: collector.server.url('/grab') }));
  const s = session(camera.url('/stream'));
  try {
    await assert.rejects(s.start(), (err: unknown) => err instanceof CamrtcError && err.code === 'ERR_RTSP_AUTH' && /needs a user and password/.test(err.message));
  } finally {
    await s.close();
    await camera.close();
    await collector.server.close();
  }
});
