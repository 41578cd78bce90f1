/**
 * TURN REST on the real server: every way a viewer starts (the signaling `offer` and `answer`, WHEP's
 * 201, the camera page's offer) hands an admitted viewer its ICE servers with a TURN credential made
 * for it (username `<expiry>:<who>`, credential HMAC-SHA1 of the shared secret), and the policy; a
 * refused viewer gets none. The secret appears in no log line (at trace level), no message, no API
 * answer and no page; the credentials themselves are never logged either.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { createLogger } from '../../../server/src/log/logger.js';
import type { IceServerInfo, ServerMessage } from '../../../shared/protocol.js';
import { receiverPeer } from '../../../examples/ws-viewer.js';
import { rawRequest } from '../../helpers/rawHttp.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { waitFor } from './helpers/waitFor.js';

const SECRET = 'integration-turn-secret-5f1c2a9e';
const TURN_URL = 'turn:127.0.0.1:3478?transport=udp';
const TTL = 900;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** What coturn checks: the credential is the HMAC of the username, and the username's expiry is ahead. */
function assertCredential(server: IceServerInfo | undefined, who: string): void {
  assert.ok(server, 'a TURN server is handed out');
  assert.deepEqual(server.urls, [TURN_URL]);
  const match = /^(\d+):(.+)$/.exec(server.username ?? '');
  assert.ok(match, `username is <expiry>:<who> (${server.username})`);
  assert.equal(match[2], who);
  const expiry = Number(match[1]) - Math.floor(Date.now() / 1000);
  assert.ok(expiry > TTL - 10 && expiry <= TTL, `valid for the configured ttl from now (${expiry} s)`);
  assert.equal(server.credential, createHmac('sha1', SECRET).update(server.username!).digest('base64'));
}

describe('TURN credentials are handed to admitted viewers only, and the secret never leaves the server', () => {
  let app: App;
  let port: number;
  const logLines: string[] = [];
  const seen: string[] = [];
  const handedOut: string[] = [];
  const alice = basic('alice', 'correct horse');
  const bob = basic('bob', 'battery staple');
  const get = (path: string, headers: Record<string, string> = {}) => rawRequest({ port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } });

  before(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString().split('\n').filter((l) => l.trim()));
        done();
      },
    });
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'trace',
        webrtc: {
          iceServers: [],
          iceHostAddresses: ['127.0.0.1'],
          udpPort: 0,
          // No TURN server listens here: the server's own peers leave it out (forServer), browsers get it.
          turn: { urls: [TURN_URL], secret: SECRET, ttlSeconds: TTL, forServer: false },
          iceTransportPolicy: 'relay',
        },
        cameras: [{ name: 'yard', url: 'rtsp://127.0.0.1:9/yard' }],
        auth: {
          users: [
            { name: 'alice', passwordHash: await hashPassword('correct horse', 'scrypt'), permissions: { view: ['demo'], admin: true } },
            { name: 'bob', passwordHash: await hashPassword('battery staple', 'scrypt'), permissions: { view: ['yard'] } },
          ],
        },
      }),
      { logger: createLogger({ level: 'trace', destination }) },
    );
    port = app.port;
  });

  after(async () => {
    await app.close();
    // Everything that left the server, and every log line: neither the secret nor a credential in a log.
    for (const text of seen) assert.ok(!text.includes(SECRET), `the secret is not in: ${text.slice(0, 200)}`);
    assert.ok(logLines.length > 20, `the server logged (${logLines.length} lines at trace level)`);
    for (const line of logLines) {
      assert.ok(!line.includes(SECRET), `the secret is not in the log line: ${line.slice(0, 300)}`);
      for (const credential of handedOut) assert.ok(!line.includes(credential), `no TURN credential in the log line: ${line.slice(0, 300)}`);
    }
    assert.ok(handedOut.length >= 4, `credentials were handed out (${handedOut.length}): the offer, the answer, WHEP, the page`);
  });

  function keep(client: TestClient): void {
    client.ws.on('message', (data) => {
      seen.push(data.toString());
      const message = JSON.parse(data.toString()) as ServerMessage;
      if ((message.type === 'offer' || message.type === 'answer') && message.iceServers) {
        for (const s of message.iceServers) if (s.credential) handedOut.push(s.credential);
      }
    });
  }

  it('signaling: the offer carries the ICE servers, a credential for this viewer and the policy', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${port}/ws`, { Authorization: alice });
    keep(client);
    try {
      client.send({ type: 'watch', id: 'a1', camera: 'demo' });
      const offer = await client.next('offer');
      assert.equal(offer.iceTransportPolicy, 'relay');
      assert.equal(offer.iceServers?.length, 1);
      assertCredential(offer.iceServers?.[0], 'user:alice');
      assert.doesNotMatch(offer.sdp, /typ relay/, "the server's own peers use no TURN with forServer: false");

      // A client-made offer: the answer carries them too (a client may set them before its setLocalDescription).
      const pc = receiverPeer(['127.0.0.1']);
      pc.addTransceiver('video', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      client.send({ type: 'watch', id: 'a2', camera: 'demo', offer: pc.localDescription!.sdp });
      const answer = await client.next('answer');
      assertCredential(answer.iceServers?.[0], 'user:alice');
      assert.equal(answer.iceTransportPolicy, 'relay');
      await pc.close();
    } finally {
      await client.close();
    }
  });

  it('signaling: a refused watch gets an error and no ICE servers, whoever asks', async () => {
    const askers: Record<string, string>[] = [{ Authorization: bob }, {}];
    for (const headers of askers) {
      const client = await TestClient.open(`ws://127.0.0.1:${port}/ws`, headers);
      keep(client);
      try {
        client.send({ type: 'watch', id: 'r1', camera: 'demo' });
        const error = await client.next('error');
        assert.match(error.code, /^ERR_(FORBIDDEN|AUTH_REQUIRED)$/);
        client.send({ type: 'list' });
        await client.next('cameras');
        assert.ok(client.messages.every((m) => !('iceServers' in m) && m.type !== 'offer'), JSON.stringify(client.messages));
      } finally {
        await client.close();
      }
    }
  });

  it('WHEP: the 201 carries the TURN server as a Link header with the credential; a 403 carries none', async () => {
    const pc = receiverPeer(['127.0.0.1']);
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const post = (authorization: string) =>
      fetch(`http://127.0.0.1:${port}/whep/demo`, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: authorization }, body: pc.localDescription!.sdp });
    try {
      const res = await post(alice);
      assert.equal(res.status, 201);
      const link = res.headers.get('link') ?? '';
      seen.push(link, await res.text());
      const parsed = /^<([^>]+)>; rel="ice-server"; username="([^"]+)"; credential="([^"]+)"; credential-type="password"$/.exec(link);
      assert.ok(parsed, `one ice-server Link (${link})`);
      assertCredential({ urls: [parsed[1]], username: parsed[2], credential: parsed[3] }, 'user:alice');
      handedOut.push(parsed[3]);
      await fetch(`http://127.0.0.1:${port}${res.headers.get('location')}`, { method: 'DELETE' });

      const refused = await post(bob);
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('link'), null);
      seen.push(await refused.text());
    } finally {
      await pc.close();
    }
  });

  it("the camera page's offer carries the viewer's credential; a refused page carries none", async () => {
    const demo = app.cameras.get('demo')!;
    const lease = demo.acquire();
    try {
      await waitFor(() => demo.status.state === 'live', 'the demo camera is live (pages then come with an offer)');
      const page = await get('/camera/demo', { Authorization: alice });
      assert.equal(page.status, 200);
      seen.push(page.body);
      const attribute = /data-offer="([^"]*)"/.exec(page.body)?.[1];
      assert.ok(attribute, 'the page of a live camera carries an offer');
      const offer = JSON.parse(attribute.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c)))) as { iceServers?: IceServerInfo[]; iceTransportPolicy?: string };
      assertCredential(offer.iceServers?.[0], 'user:alice');
      assert.equal(offer.iceTransportPolicy, 'relay');
      handedOut.push(offer.iceServers![0]!.credential!);
      assert.equal(page.headers['cache-control'], 'no-store', 'a page with a credential is never cached');

      const refused = await get('/camera/demo', { Authorization: bob });
      assert.equal(refused.status, 403);
      seen.push(refused.body);
      assert.doesNotMatch(refused.body, /data-offer|iceServers|turn:/);
    } finally {
      lease.release();
    }
  });

  it('the control API and the camera list never show the secret', async () => {
    for (const path of ['/api/cameras', '/api/cameras/demo', '/api/viewers', '/api/openapi.json', '/metrics']) {
      const res = await get(path, { Authorization: alice });
      seen.push(res.body);
      assert.ok(res.status < 500, `${path}: ${res.status}`);
    }
  });
});
