import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import { SignalingServer } from '../../../server/src/signaling/SignalingServer.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { H265_UNSUPPORTED_MESSAGE } from '../../../server/src/session/ViewerSession.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../../shared/protocol.js';
import { withUrlWatch } from '../../../shared/watchUrl.js';
import { FakeCamera, FakeDirectory, h264Track, pcmaTrack } from '../../integration/webrtc/helpers/FakeCamera.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';
import { TestClient } from './wsClient.js';

const h265Track: Track = { ...h264Track(0), codec: 'H265', fmtp: { 'profile-id': '1' } };

describe('SignalingServer', () => {
  const front = new FakeCamera('front', [h264Track(0), pcmaTrack(1)]);
  const hevc = new FakeCamera('hevc', [h265Track]);
  const pending = new FakeCamera('pending'); // never described: watch waits, showing status
  const cameras = new FakeDirectory([front, hevc, pending]);
  let http: Server;
  let signaling: SignalingServer;
  let url: string;
  const clients: TestClient[] = [];

  const connect = async (headers?: Record<string, string>, query = ''): Promise<TestClient> => {
    const client = await TestClient.open(url + query, headers);
    clients.push(client);
    return client;
  };

  before(async () => {
    http = createServer((_req, res) => res.writeHead(404).end());
    signaling = new SignalingServer({
      server: http,
      cameras,
      logger: silentLogger(),
      peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }),
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await signaling.close();
    pending.close();
    await new Promise((resolve) => http.close(resolve));
  });

  it('answers hello with welcome and list with the cameras', async () => {
    const client = await connect();
    client.send({ type: 'hello', version: 1 });
    const welcome = await client.next('welcome');
    assert.equal(welcome.version, 1);
    client.send({ type: 'list' });
    const { cameras: list } = await client.next('cameras');
    assert.deepEqual(list.map((c) => c.name), ['front', 'hevc', 'pending']);
    assert.deepEqual(list[0].codecs, ['H264', 'PCMA']);
  });

  it('never sends camera credentials: status errors and camera list are redacted', async () => {
    pending.setStatus({ state: 'retrying', error: { code: 'ERR_RTSP_CONNECT', message: 'cannot reach rtsp://admin:hunter2@10.0.0.9/stream' } });
    const client = await connect();
    client.send({ type: 'list' });
    const listed = await client.next('cameras');
    client.send({ type: 'watch', id: 'p1', camera: 'pending' });
    const status = await client.next('status', (m) => m.id === 'p1');
    assert.equal(status.state, 'retrying');
    assert.equal(status.error?.code, 'ERR_RTSP_CONNECT');
    for (const text of [JSON.stringify(listed), JSON.stringify(status)]) {
      assert.doesNotMatch(text, /hunter2/);
      assert.match(text, /rtsp:\/\/admin:\*\*\*@10\.0\.0\.9/);
    }
    pending.setStatus({ state: 'connecting' });
    const next = await client.next('status', (m) => m.id === 'p1');
    assert.equal(next.state, 'connecting');
    assert.equal(next.camera, 'pending');
  });

  it('malformed JSON gets an error reply and the socket keeps working', async () => {
    const client = await connect();
    client.send('{"type": "hello",');
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_SIGNALING_INVALID');
    assert.match(error.message, /not valid JSON/);
    client.send({ type: 'hello', version: 1 });
    await client.next('welcome');
  });

  it('unknown message type and hostile fields get error replies', async () => {
    const client = await connect();
    client.send({ type: 'reboot-camera' });
    assert.equal((await client.next('error')).code, 'ERR_SIGNALING_INVALID');
    client.send({ type: 'watch', id: '../../etc/passwd', camera: 'front' });
    assert.equal((await client.next('error')).code, 'ERR_SIGNALING_INVALID');
    client.send('{"type":"list","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    await client.next('cameras');
    client.send([1, 2, 3]);
    assert.equal((await client.next('error')).code, 'ERR_SIGNALING_INVALID');
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.match((await client.next('error', (m) => /binary/.test(m.message))).message, /binary/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('a message over 64 KiB gets ERR_LIMIT and the socket keeps working; one over 1 MiB closes it with 1009', async () => {
    const client = await connect();
    client.send({ type: 'answer', id: 'a', sdp: 'x'.repeat(MAX_MESSAGE_BYTES + 10) });
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_LIMIT');
    assert.match(error.message, /65536 bytes/);
    client.send({ type: 'hello', version: 1 });
    await client.next('welcome');
    client.send('x'.repeat(MAX_FRAME_BYTES + 1));
    const { code } = await client.closed;
    assert.equal(code, 1009);
    const other = await connect();
    other.send({ type: 'hello', version: 1 });
    await other.next('welcome');
  });

  it('a socket that keeps sending oversize messages gets errors, then is closed with 1008', async () => {
    const client = await connect();
    const big = JSON.stringify({ type: 'list', pad: 'x'.repeat(MAX_MESSAGE_BYTES) });
    for (let i = 0; i < 25; i++) client.send(big);
    const { code } = await client.closed;
    assert.equal(code, 1008);
    const errors = client.messages.filter((m) => m.type === 'error');
    assert.ok(errors.length >= 2 && errors.every((e) => e.type === 'error' && e.code === 'ERR_LIMIT'), `${errors.length} ERR_LIMIT errors before the close`);
  });

  it('unknown camera gets ERR_CAMERA_UNKNOWN for that session', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'w1', camera: 'garage' });
    const error = await client.next('error');
    assert.equal(error.id, 'w1');
    assert.equal(error.code, 'ERR_CAMERA_UNKNOWN');
    assert.match(error.message, /garage/);
  });

  it('answers an answer for an unknown session with an error', async () => {
    const client = await connect();
    client.send({ type: 'answer', id: 'nope', sdp: 'v=0' });
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_SIGNALING_INVALID');
    assert.equal(error.id, 'nope');
  });

  it('rate limit: messages over the burst get ERR_SIGNALING_RATE, the socket stays open', async () => {
    const client = await connect();
    for (let i = 0; i < 55; i++) client.send({ type: 'list' });
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_SIGNALING_RATE');
    const lists = client.messages.filter((m) => m.type === 'cameras').length;
    assert.ok(lists <= 50 + 2, `at most the burst is answered (${lists})`);
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  it('a socket that keeps flooding is closed with 1008; others are unaffected', async () => {
    const bystander = await connect();
    const client = await connect();
    for (let i = 0; i < 200; i++) client.send({ type: 'list' });
    const { code } = await client.closed;
    assert.equal(code, 1008);
    bystander.send({ type: 'hello', version: 1 });
    await bystander.next('welcome');
  });

  it('at most 8 sessions per socket', async () => {
    const client = await connect();
    for (let i = 0; i < 9; i++) client.send({ type: 'watch', id: `s${i}`, camera: 'pending' });
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_LIMIT');
    assert.equal(error.id, 's8');
    client.send({ type: 'stop', id: 's0' });
    await client.next('closed', (m) => m.id === 's0');
    client.send({ type: 'watch', id: 's9', camera: 'pending' });
    await client.next('status', (m) => m.id === 's9');
  });

  it('watch sends status then an H.264 offer; closing the socket detaches the viewer', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'v1', camera: 'front' });
    await client.next('status', (m) => m.id === 'v1');
    const offer = await client.next('offer');
    assert.equal(offer.id, 'v1');
    assert.match(offer.sdp, /H264\/90000/);
    assert.match(offer.sdp, /packetization-mode=1/);
    assert.equal(front.sinks.size, 1);
    await client.close();
    await waitFor(() => front.sinks.size === 0, 'the session detaches from the camera');
  });

  it('a socket whose URL asks to watch gets welcome, status and the offer without sending anything', async () => {
    const client = await connect(undefined, `?${new URL(withUrlWatch(url, { camera: 'front', id: 'u1', h265: false, paused: false })).searchParams}`);
    assert.equal((await client.next('welcome')).version, 1);
    await client.next('status', (m) => m.id === 'u1');
    const offer = await client.next('offer', (m) => m.id === 'u1');
    assert.match(offer.sdp, /H264\/90000/);
    assert.equal((await client.next('playback', (m) => m.id === 'u1')).state, 'playing');
    // From then on the socket speaks the usual protocol, for this session and others.
    client.send({ type: 'stop', id: 'u1' });
    await client.next('closed', (m) => m.id === 'u1');
    client.send({ type: 'watch', id: 'u2', camera: 'front' });
    await client.next('offer', (m) => m.id === 'u2');
    await client.close();
    await waitFor(() => front.sinks.size === 0, 'the sessions detach from the camera');
  });

  it('a URL watch carries the h265 capability and the paused state', async () => {
    const client = await connect(undefined, '?watch=hevc&id=u3&h265=1&paused=1');
    const offer = await client.next('offer', (m) => m.id === 'u3');
    assert.match(offer.sdp, /H265\/90000/);
    assert.equal((await client.next('playback', (m) => m.id === 'u3')).state, 'paused');
    await client.close();
    await waitFor(() => hevc.sinks.size === 0, 'the session detaches from the camera');
  });

  it('a URL watch of an unknown camera or with a bad session id gets the same errors as a watch message', async () => {
    const unknown = await connect(undefined, '?watch=nosuch&id=u4');
    assert.equal((await unknown.next('error')).code, 'ERR_CAMERA_UNKNOWN');
    const badId = await connect(undefined, '?watch=front&id=');
    const error = await badId.next('error');
    assert.equal(error.code, 'ERR_SIGNALING_INVALID');
    assert.match(error.message, /\bid\b/);
    // The socket stays usable.
    badId.send({ type: 'watch', id: 'u5', camera: 'front' });
    await badId.next('offer', (m) => m.id === 'u5');
    await Promise.all([unknown.close(), badId.close()]);
    await waitFor(() => front.sinks.size === 0, 'the session detaches from the camera');
  });

  it('a ticket that is malformed is refused like any bad field; an unknown one just gets a fresh offer', async () => {
    const hostile = await connect(undefined, `?watch=front&id=t1&ticket=${encodeURIComponent('"><x')}`);
    const error = await hostile.next('error');
    assert.equal(error.code, 'ERR_SIGNALING_INVALID');
    assert.match(error.message, /ticket/);
    const unknown = await connect(undefined, '?watch=front&id=t2&ticket=no-such-ticket');
    const offer = await unknown.next('offer', (m) => m.id === 't2');
    assert.match(offer.sdp, /a=setup:active/);
    // An answer to a page offer this session does not hold is ignored: no error, the session waits on.
    unknown.send({ type: 'answer', id: 't2', sdp: 'v=0\r\n', ticket: 'no-such-ticket' });
    unknown.send({ type: 'candidate', id: 't2', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' } });
    unknown.send({ type: 'stats', id: 't2' });
    assert.equal((await unknown.next('stats')).stats.connection, 'new');
    assert.deepEqual(unknown.messages.filter((m) => m.type === 'error'), []);
    await Promise.all([hostile.close(), unknown.close()]);
    await waitFor(() => front.sinks.size === 0, 'the session detaches from the camera');
  });

  it('stop ends a session: closed reply and the camera sink is removed', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'v2', camera: 'front' });
    await client.next('offer');
    client.send({ type: 'stop', id: 'v2' });
    await client.next('closed', (m) => m.id === 'v2');
    assert.equal(front.sinks.size, 0);
  });

  it('H.265 camera without the h265 capability: ERR_CODEC_UNSUPPORTED with advice', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'h1', camera: 'hevc' });
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_CODEC_UNSUPPORTED');
    assert.equal(error.message, H265_UNSUPPORTED_MESSAGE);
    // The session's state says it too: unplayable for this browser, whatever the camera is for others.
    const status = client.messages.find((m) => m.type === 'status' && m.id === 'h1' && m.state === 'unplayable');
    assert.deepEqual(status, { type: 'status', id: 'h1', camera: 'hevc', state: 'unplayable', error: { code: 'ERR_CODEC_UNSUPPORTED', message: H265_UNSUPPORTED_MESSAGE } });
    await client.next('closed', (m) => m.id === 'h1');
    assert.equal(hevc.sinks.size, 0);
    assert.equal(hevc.leases.size, 0, 'its lease released');
  });

  it('H.265 camera with the h265 capability gets an H.265 offer', async () => {
    const client = await connect();
    client.send({ type: 'hello', version: 1, capabilities: { h265: true } });
    client.send({ type: 'watch', id: 'h2', camera: 'hevc' });
    const offer = await client.next('offer');
    assert.match(offer.sdp, /H265\/90000/);
  });

  it('refuses sockets opened by pages of another origin, accepts same-origin ones', async () => {
    await assert.rejects(TestClient.open(url, { Origin: 'http://evil.example' }), /HTTP 403/);
    const host = new URL(url).host;
    const ok = await connect({ Origin: `http://${host}` });
    ok.send({ type: 'hello', version: 1 });
    await ok.next('welcome');
  });

  it('refuses upgrades on other paths', async () => {
    await assert.rejects(TestClient.open(url.replace('/ws', '/other')), /HTTP 404/);
  });
});

describe('SignalingServer.close', () => {
  it('closes every socket with 1001, ends the sessions and is idempotent', async () => {
    const camera = new FakeCamera('front', [h264Track(0)]);
    const http = createServer();
    const signaling = new SignalingServer({ server: http, cameras: new FakeDirectory([camera]), logger: silentLogger(), peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const client = await TestClient.open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`);
    client.send({ type: 'watch', id: 'c1', camera: 'front' });
    await client.next('offer');
    const closing = signaling.close();
    assert.equal(signaling.close(), closing);
    await closing;
    const { code } = await client.closed;
    assert.equal(code, 1001);
    assert.ok(client.messages.some((m) => m.type === 'closed' && m.id === 'c1'), 'sessions are told closed');
    assert.equal(camera.sinks.size, 0);
    assert.equal(signaling.clientCount, 0);
    await new Promise((resolve) => http.close(resolve));
  });
});
