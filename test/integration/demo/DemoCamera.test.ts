import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { DemoCamera, type DemoCameraOptions } from '../../../server/src/demo/DemoCamera.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { parseSessionDescription } from '../../../server/src/sdp/SessionDescription.js';
import { parseTransport } from '../../../server/src/rtsp/headers/Transport.js';
import { parseRtpInfo } from '../../../server/src/rtsp/headers/RtpInfo.js';
import { parseWwwAuthenticate } from '../../../server/src/rtsp/headers/WwwAuthenticate.js';
import { Authenticator } from '../../../server/src/rtsp/auth.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { repoRoot } from '../../helpers/paths.js';
import { FakeStream } from '../../helpers/fakeStream.js';
import { RtspTestClient, rtpSeq, rtpSsrc } from '../../helpers/rtspTestClient.js';

const CLIP = join(repoRoot, 'server', 'assets', 'demo.h264');
const TCP0 = { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' };

/** Runs `fn` with a listening camera and closes it and every client afterwards. */
async function withCamera(
  options: Omit<DemoCameraOptions, 'streams'> & { streams?: DemoCameraOptions['streams'] },
  fn: (ctx: { cam: DemoCamera; url: string; port: number; client: () => Promise<RtspTestClient> }) => Promise<void>,
): Promise<void> {
  const cam = new DemoCamera({ streams: options.streams ?? [new FakeStream()], ...options });
  const { url, port } = await cam.listen();
  const clients: RtspTestClient[] = [];
  try {
    await fn({ cam, url, port, client: async () => {
      const c = await RtspTestClient.connect(port);
      clients.push(c);
      return c;
    } });
  } finally {
    for (const c of clients) c.close();
    await cam.close();
  }
}

async function setupAndPlay(c: RtspTestClient, url: string, transport = TCP0): Promise<{ session: string; setup: Awaited<ReturnType<RtspTestClient['request']>>; play: Awaited<ReturnType<RtspTestClient['request']>> }> {
  const setup = await c.request('SETUP', `${url}/trackID=0`, transport);
  assert.equal(setup.status, 200);
  const session = setup.headers.get('Session')!.split(';')[0];
  const play = await c.request('PLAY', url, { Session: session });
  assert.equal(play.status, 200);
  return { session, setup, play };
}

test('DESCRIBE answers an SDP that camrtc reads back as one H264 track under the Content-Base', { timeout: 10_000 }, async () => {
  await withCamera({ streams: [new H264ClipStream({ file: CLIP })] }, async ({ url, client }) => {
    const c = await client();
    const res = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'application/sdp');
    const base = res.headers.get('Content-Base')!;
    assert.equal(base, `${url}/`);
    const sdp = parseSessionDescription(res.body.toString('utf8'), base);
    assert.ok(!(sdp instanceof CamrtcError));
    assert.equal(sdp.tracks.length, 1);
    const [t] = sdp.tracks;
    assert.deepEqual([t.kind, t.codec, t.clockRate, t.payloadType, t.control], ['video', 'H264', 90000, 96, `${url}/trackID=0`]);
    assert.equal(t.fmtp['packetization-mode'], '1');
    assert.ok(t.fmtp['sprop-parameter-sets'], 'parameter sets in the SDP');
  });
});

test('TCP interleaved: PLAY gives RTP packets with continuous sequence numbers starting at RTP-Info seq', { timeout: 10_000 }, async () => {
  await withCamera({ streams: [new H264ClipStream({ file: CLIP })] }, async ({ url, client }) => {
    const c = await client();
    const { setup, play } = await setupAndPlay(c, url);
    const transport = parseTransport(setup.headers.get('Transport')!);
    assert.ok(!(transport instanceof CamrtcError));
    assert.deepEqual(transport.interleaved, [0, 1]);
    const info = parseRtpInfo(play.headers.get('RTP-Info')!);
    assert.ok(!(info instanceof CamrtcError));
    assert.equal(info[0].url, `${url}/trackID=0`);
    const packets = await c.waitFrames(0, 25);
    assert.equal(rtpSeq(packets[0]), info[0].seq);
    for (let i = 1; i < packets.length; i++) assert.equal(rtpSeq(packets[i]), (rtpSeq(packets[i - 1]) + 1) & 0xffff, `packet ${i}`);
    assert.ok(packets.every((p) => rtpSsrc(p) === transport.ssrc && (p[1] & 0x7f) === 96));
  });
});

test('UDP: SETUP with client_port sends RTP to the client from the announced server port', { timeout: 10_000 }, async () => {
  const stream = new FakeStream();
  await withCamera({ streams: [stream] }, async ({ url, client }) => {
    const udp = dgram.createSocket('udp4');
    try {
      udp.bind(0, '127.0.0.1');
      await once(udp, 'listening');
      const port = udp.address().port;
      const c = await client();
      const { setup } = await setupAndPlay(c, url, { Transport: `RTP/AVP;unicast;client_port=${port}-${port + 1}` });
      const t = parseTransport(setup.headers.get('Transport')!);
      assert.ok(!(t instanceof CamrtcError));
      assert.equal(t.protocol, 'UDP');
      const received = once(udp, 'message');
      stream.push(1);
      const [msg, rinfo] = (await received) as [Buffer, dgram.RemoteInfo];
      assert.equal(rtpSeq(msg), 1000);
      assert.equal(rinfo.port, t.serverPort![0]);
    } finally {
      udp.close();
    }
  });
});

test('Digest auth: 401 with a challenge, then 200 with the right credentials, 401 with a wrong password', { timeout: 10_000 }, async () => {
  await withCamera({ auth: { username: 'viewer', password: 's3cret', scheme: 'digest' } }, async ({ url, client }) => {
    const c = await client();
    assert.equal((await c.request('OPTIONS', url)).status, 200, 'OPTIONS needs no credentials');
    const first = await c.request('DESCRIBE', url);
    assert.equal(first.status, 401);
    const challenges = parseWwwAuthenticate(first.headers.getAll('WWW-Authenticate'));
    assert.ok(!(challenges instanceof CamrtcError));
    assert.equal(challenges[0].scheme, 'Digest');
    const good = Authenticator.fromChallenges(challenges, { username: 'viewer', password: 's3cret' });
    const bad = Authenticator.fromChallenges(challenges, { username: 'viewer', password: 'nope' });
    assert.ok(!(good instanceof CamrtcError) && !(bad instanceof CamrtcError));
    assert.equal((await c.request('DESCRIBE', url, { Authorization: bad.authorization('DESCRIBE', url) })).status, 401);
    assert.equal((await c.request('DESCRIBE', url, { Authorization: good.authorization('DESCRIBE', url) })).status, 200);
    const setup = await c.request('SETUP', `${url}/trackID=0`, { ...TCP0, Authorization: good.authorization('SETUP', `${url}/trackID=0`) });
    assert.equal(setup.status, 200);
  });
});

test('Basic auth: 401 with a Basic challenge, then 200', { timeout: 10_000 }, async () => {
  await withCamera({ auth: { username: 'u', password: 'p', scheme: 'basic' } }, async ({ url, client }) => {
    const c = await client();
    const first = await c.request('DESCRIBE', url);
    assert.equal(first.status, 401);
    assert.match(first.headers.get('WWW-Authenticate')!, /^Basic realm=/);
    const ok = await c.request('DESCRIBE', url, { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    assert.equal(ok.status, 200);
  });
});

test('dropConnections closes every client socket, like a camera reboot, and the camera keeps listening', { timeout: 10_000 }, async () => {
  await withCamera({}, async ({ cam, url, client }) => {
    const a = await client();
    const b = await client();
    await setupAndPlay(a, url);
    const closed = Promise.all([once(a.socket, 'close'), once(b.socket, 'close')]);
    cam.dropConnections();
    await closed;
    const again = await client();
    assert.equal((await again.request('OPTIONS', url)).status, 200);
  });
});

test('close() is idempotent, closes the streams and refuses a second listen', { timeout: 10_000 }, async () => {
  const stream = new FakeStream();
  const cam = new DemoCamera({ streams: [stream] });
  await cam.listen();
  assert.equal(stream.started, true);
  await Promise.all([cam.close(), cam.close()]);
  assert.equal(cam.closed, true);
  assert.equal(stream.closed, true);
  await assert.rejects(cam.listen(), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CLOSED');
});
