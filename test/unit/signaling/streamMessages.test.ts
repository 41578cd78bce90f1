/**
 * The `stream` messages (docs/signaling.md, "Main and sub streams") over a real /ws: a watch that
 * asks for the sub stream (message or URL) gets it and is told so after the offer; a `stream`
 * request is answered with the stream the session sends; a camera without a sub stream always says
 * main; a malformed request is refused like any invalid message.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import { SignalingServer } from '../../../server/src/signaling/SignalingServer.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { parseClientMessage } from '../../../shared/protocol.js';
import { urlWatch, withUrlWatch } from '../../../shared/watchUrl.js';
import { FakeCamera, FakeDirectory, h264Track } from '../../integration/webrtc/helpers/FakeCamera.js';
import { TestClient } from './wsClient.js';

describe('signaling: main and sub streams', () => {
  const front = new FakeCamera('front', [h264Track(0)]);
  front.substream = new FakeCamera('front', [h264Track(0)]);
  const single = new FakeCamera('single', [h264Track(0)]);
  let http: Server;
  let signaling: SignalingServer;
  let url: string;
  const clients: TestClient[] = [];
  const connect = async (query = ''): Promise<TestClient> => {
    const client = await TestClient.open(url + query);
    clients.push(client);
    return client;
  };

  before(async () => {
    http = createServer((_req, res) => res.writeHead(404).end());
    signaling = new SignalingServer({ server: http, cameras: new FakeDirectory([front, single]), logger: silentLogger(), peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await signaling.close();
    await new Promise((resolve) => http.close(resolve));
  });

  it('watch with stream sub: the sub stream is leased, the main one not; `stream` says so after the offer', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 'w1', camera: 'front', stream: 'sub' });
    await client.next('offer', (m) => m.id === 'w1');
    const stream = await client.next('stream', (m) => m.id === 'w1');
    assert.deepEqual(stream, { type: 'stream', id: 'w1', stream: 'sub', streams: [{ name: 'main' }, { name: 'sub' }] });
    assert.deepEqual([front.leases.size, front.substream!.leases.size], [0, 1]);
    client.send({ type: 'stream', id: 'w1', stream: 'sub' });
    assert.equal((await client.next('stream', (m) => m.id === 'w1')).stream, 'sub', 'the stream it is on: answered at once');
    client.send({ type: 'stop', id: 'w1' });
    await client.next('closed', (m) => m.id === 'w1');
    assert.deepEqual([front.leases.size, front.substream!.leases.size], [0, 0]);
  });

  it('the watch URL carries the stream', async () => {
    const query = new URL(withUrlWatch(url, { camera: 'front', id: 'u1', h265: false, paused: false, stream: 'sub' })).search;
    assert.equal(urlWatch(`/ws${query}`)?.stream, 'sub');
    const client = await connect(query);
    assert.equal((await client.next('stream', (m) => m.id === 'u1')).stream, 'sub');
  });

  it('a camera without a sub stream: main, whatever is asked', async () => {
    const client = await connect();
    client.send({ type: 'watch', id: 's1', camera: 'single', stream: 'sub' });
    assert.deepEqual(await client.next('stream', (m) => m.id === 's1'), { type: 'stream', id: 's1', stream: 'main', streams: [{ name: 'main' }] });
    client.send({ type: 'stream', id: 's1', stream: 'sub' });
    assert.equal((await client.next('stream', (m) => m.id === 's1')).stream, 'main');
    assert.equal(single.leases.size, 1);
  });

  it('a stream name that is not main or sub is refused', async () => {
    assert.equal(parseClientMessage(JSON.stringify({ type: 'stream', id: 'x', stream: 'hd' })).ok, false);
    assert.equal(parseClientMessage(JSON.stringify({ type: 'watch', id: 'x', camera: 'front', stream: 'hd' })).ok, false);
    assert.equal(parseClientMessage(JSON.stringify({ type: 'stream', id: 'x', stream: 'main' })).ok, true);
    const client = await connect();
    client.send({ type: 'stream', id: 'nope', stream: 'hd' });
    const error = await client.next('error');
    assert.equal(error.code, 'ERR_SIGNALING_INVALID');
    assert.match(error.message, /stream/);
  });
});
