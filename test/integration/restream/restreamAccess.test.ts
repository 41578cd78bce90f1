/**
 * Who may read the RTSP restream (docs/security.md): the web side's users and tokens, action `view`,
 * decided on DESCRIBE, SETUP and PLAY; refusals as RTSP players expect them (401 with a Basic
 * challenge, 403); credentials never in the log. And hostile clients: garbage, huge heads, too many
 * connections from one address end those connections, not the server.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { ViewerTokens } from '../../../server/src/auth/ViewerTokens.js';
import { CameraConfigSchema } from '../../../server/src/config/Config.js';
import { MAX_HEAD_BYTES } from '../../../server/src/rtsp/message.js';
import { RtspTestClient } from '../../helpers/rtspTestClient.js';
import { framesWithin, playCamera, rtpPayload, startRig, startsKeyframe, type Rig } from './restreamRig.js';

const KEY = 'restream-test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('who may read the restream', () => {
  let rig: Rig;
  let tokens: ViewerTokens;
  const url = (camera: string, query = ''): string => `rtsp://127.0.0.1:${rig.port}/${camera}${query}`;

  before(async () => {
    const hash = await hashPassword('alice-pw', 'scrypt');
    rig = await startRig({
      auth: {
        users: [
          { name: 'alice', passwordHash: hash, permissions: { view: ['front'] } },
          { name: 'bob', passwordHash: hash, permissions: { view: ['yard'], admin: true } },
        ],
        tokenKeys: [{ id: 'k1', secret: KEY }],
      },
    });
    rig.cameras.add(CameraConfigSchema.parse({ name: 'yard', url: rig.cameraUrl, transport: 'tcp', idleTimeoutMs: 100 }));
    tokens = new ViewerTokens([{ id: 'k1', secret: KEY }]);
  });
  after(async () => {
    await rig.close();
  });

  async function describeAs(camera: string, headers: Record<string, string> = {}, query = ''): Promise<{ status: number; challenge?: string }> {
    const client = await RtspTestClient.connect(rig.port);
    try {
      const res = await client.request('DESCRIBE', url(camera, query), headers);
      return { status: res.status, challenge: res.headers.get('WWW-Authenticate') };
    } finally {
      client.close();
    }
  }

  it('OPTIONS needs nothing; DESCRIBE without credentials gets 401 with a Basic challenge, and starts no camera session', async () => {
    const client = await RtspTestClient.connect(rig.port);
    try {
      assert.equal((await client.request('OPTIONS', url('front'))).status, 200);
    } finally {
      client.close();
    }
    assert.deepEqual(await describeAs('front'), { status: 401, challenge: 'Basic realm="camrtc"' });
    assert.equal(rig.demo.requests.length, 0, 'the camera was not asked anything');
  });

  it('a wrong password, an unknown user and a Digest answer get 401; a user without view on the camera 403, the same for a camera that does not exist', async () => {
    assert.equal((await describeAs('front', { Authorization: basic('alice', 'wrong') })).status, 401);
    assert.equal((await describeAs('front', { Authorization: basic('mallory', 'alice-pw') })).status, 401);
    const digest = 'Digest username="alice", realm="camrtc", nonce="00", uri="rtsp://x/front", response="00000000000000000000000000000000"';
    assert.deepEqual(await describeAs('front', { Authorization: digest }), { status: 401, challenge: 'Basic realm="camrtc"' });
    assert.deepEqual(await describeAs('front', { Authorization: basic('bob', 'alice-pw') }), { status: 403, challenge: undefined });
    assert.equal((await describeAs('back', { Authorization: basic('bob', 'alice-pw') })).status, 403, 'no hint whether the camera exists');
    assert.equal((await describeAs('yard-2', { Authorization: basic('bob', 'alice-pw') })).status, 403);
    assert.equal(rig.demo.requests.length, 0);
  });

  it('the right user plays: Basic checked on DESCRIBE, SETUP and PLAY', async () => {
    const p = await playCamera(rig.port, 'front', { Authorization: basic('alice', 'alice-pw') });
    try {
      const [first] = await framesWithin(p.client, 0, 1);
      assert.ok(startsKeyframe(rtpPayload(first)));
      // What the connection proved does not widen: another camera is still refused.
      assert.equal((await p.client.request('DESCRIBE', url('yard'))).status, 403);
    } finally {
      p.client.close();
    }
  });

  it('a viewer token in ?token= opens DESCRIBE, and SETUP and PLAY follow on the same connection without it', async () => {
    const { token } = await tokens.mint({ cameras: ['front'], ttl: 300, action: 'view' });
    const client = await RtspTestClient.connect(rig.port);
    try {
      const d = await client.request('DESCRIBE', url('front', `?token=${token}`));
      assert.equal(d.status, 200);
      const s = await client.request('SETUP', `${url('front')}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      assert.equal(s.status, 200);
      const session = s.headers.get('Session')!.split(';')[0];
      assert.equal((await client.request('PLAY', url('front'), { Session: session })).status, 200);
      await framesWithin(client, 0, 3);
      assert.equal((await client.request('DESCRIBE', url('yard'))).status, 403, 'the token is for front only');
    } finally {
      client.close();
    }
    // Without the token, a fresh connection proves nothing.
    assert.equal((await describeAs('front')).status, 401);
  });

  it('a token as the Basic password (rtsp://token:JWT@host/...) works; an expired or forged token gets 401', async () => {
    const { token } = await tokens.mint({ cameras: ['front'], ttl: 300, action: 'view' });
    assert.equal((await describeAs('front', { Authorization: basic('token', token) })).status, 200);
    const expired = await new ViewerTokens([{ id: 'k1', secret: KEY }], { now: () => Date.now() - 3_600_000 }).mint({ cameras: ['front'], ttl: 60, action: 'view' });
    assert.equal((await describeAs('front', {}, `?token=${expired.token}`)).status, 401);
    const forged = await new ViewerTokens([{ id: 'k1', secret: `${KEY}-other` }]).mint({ cameras: ['front'], ttl: 60, action: 'view' });
    assert.equal((await describeAs('front', { Authorization: basic('token', forged.token) })).status, 401);
    const playback = await tokens.mint({ cameras: ['front'], ttl: 60, action: 'playback' });
    assert.equal((await describeAs('front', {}, `?token=${playback.token}`)).status, 403, 'a token for another action');
  });

  it('no password or token reaches the log', async () => {
    const { token } = await tokens.mint({ cameras: ['front'], ttl: 300, action: 'view' });
    await describeAs('front', {}, `?token=${token}`);
    await describeAs('front', { Authorization: basic('alice', 'alice-pw') });
    await describeAs('front', { Authorization: basic('alice', 'wrong-secret-pw') });
    const log = rig.logLines.join('\n');
    assert.ok(rig.logLines.some((l) => l.includes('credentials refused')), 'the refusal is logged');
    for (const secret of ['alice-pw', 'wrong-secret-pw', token.split('.')[2], Buffer.from('alice:alice-pw').toString('base64')]) {
      assert.ok(!log.includes(secret), `the log holds a secret: ${secret.slice(0, 8)}...`);
    }
  });
});

describe('hostile RTSP clients', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ restream: { maxConnectionsPerAddress: 4 } });
  });
  after(async () => {
    await rig.close();
  });

  async function raw(bytes: Buffer | string): Promise<string> {
    const socket = net.connect(rig.port, '127.0.0.1');
    await once(socket, 'connect');
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(bytes);
    await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 3000))]);
    socket.destroy();
    return got;
  }

  it('a viewer keeps playing while others send garbage, a head larger than the limit, and more connections than one address may hold', async () => {
    const viewer = await playCamera(rig.port);
    try {
      await framesWithin(viewer.client, 0, 5);
      assert.match(await raw('GARBAGE \x00\x01\x02 nonsense\r\n\r\n'), /^RTSP\/1\.0 400/);
      const huge = `DESCRIBE rtsp://127.0.0.1/front RTSP/1.0\r\nCSeq: 1\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES + 10)}\r\n\r\n`;
      const answer = await raw(huge);
      assert.ok(answer === '' || /^RTSP\/1\.0 400/.test(answer), answer.slice(0, 80));
      // The viewer holds one connection; three more are allowed, the fifth is closed at once.
      const extra: net.Socket[] = [];
      for (let i = 0; i < 4; i++) {
        const s = net.connect(rig.port, '127.0.0.1');
        s.on('error', () => undefined);
        await once(s, 'connect');
        extra.push(s);
      }
      await Promise.race([once(extra[3], 'close'), new Promise((_, reject) => setTimeout(() => reject(new Error('the fifth connection stayed open')), 3000))]);
      assert.ok(!extra[0].destroyed && !extra[2].destroyed);
      for (const s of extra) s.destroy();
      const before = viewer.client.frames.get(0)!.length;
      await framesWithin(viewer.client, 0, before + 20);
    } finally {
      viewer.client.close();
    }
  });
});
