/**
 * A hostile client that opens sockets and never watches (issue 14): before the per-address limit,
 * 256 idle sockets from one address took every slot and the next viewer got 503. Now one address
 * holds at most MAX_CLIENTS_PER_ADDRESS sockets, a viewer from another address still gets its offer
 * and plays (a werift peer as the browser), and the idle sockets are closed after the watch timeout
 * with a reason a person can read. Loopback only: 127.0.0.2 is "another client".
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { MAX_CLIENTS, MAX_CLIENTS_PER_ADDRESS, SignalingServer } from '../../../server/src/signaling/SignalingServer.js';
import type { ServerMessage } from '../../../shared/protocol.js';
import { withUrlWatch } from '../../../shared/watchUrl.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { repoRoot } from '../../helpers/paths.js';
import { rawUpgrade } from '../../helpers/rawHttp.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { FakeCamera, FakeDirectory, h264Track } from '../webrtc/helpers/FakeCamera.js';
import { H264FrameSource } from '../webrtc/helpers/h264Frames.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const WATCH_TIMEOUT_MS = 3_000;
/** More than the whole server's MAX_CLIENTS: enough to lock everyone out without per-address limits. */
const HOSTILE_SOCKETS = MAX_CLIENTS + 44;

interface HostileSocket {
  ws: WebSocket;
  messages: ServerMessage[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens one socket and never watches; resolves with it, or with the HTTP status it was refused with. */
function openIdle(url: string): Promise<HostileSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: ServerMessage[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as ServerMessage));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

describe('idle signaling sockets from one address', () => {
  const camera = new FakeCamera('front', [h264Track(0)]);
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  let http: Server;
  let signaling: SignalingServer;
  let port: number;
  let url: string;
  const idle: HostileSocket[] = [];
  const clients: TestClient[] = [];
  const browser = loopbackPeer();

  before(async () => {
    http = createServer();
    signaling = new SignalingServer({
      server: http,
      cameras: new FakeDirectory([camera]),
      logger: silentLogger(),
      peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }),
      watchTimeoutMs: WATCH_TIMEOUT_MS,
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    url = `ws://127.0.0.1:${port}/ws`;
  });

  after(async () => {
    for (const s of idle) s.ws.terminate();
    await Promise.all(clients.map((c) => c.close()));
    await browser.close();
    await signaling.close();
    await new Promise((resolve) => http.close(resolve));
  });

  it(`${HOSTILE_SOCKETS} idle sockets from 127.0.0.1: ${MAX_CLIENTS_PER_ADDRESS} open, the rest refused with 429`, async () => {
    const refused: number[] = [];
    // In batches, so the test does not flood a shared machine with connects at once.
    for (let i = 0; i < HOSTILE_SOCKETS; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, HOSTILE_SOCKETS - i) }, () => openIdle(url)));
      for (const r of batch) {
        if (typeof r === 'number') refused.push(r);
        else idle.push(r);
      }
    }
    assert.equal(idle.length, MAX_CLIENTS_PER_ADDRESS);
    assert.equal(refused.length, HOSTILE_SOCKETS - MAX_CLIENTS_PER_ADDRESS);
    assert.ok(refused.every((s) => s === 429), `refused with ${[...new Set(refused)].join(', ')}`);
    const refusal = await rawUpgrade({ port, path: '/ws' });
    assert.equal(refusal.status, 429);
    assert.equal(refusal.headers['x-camrtc-error'], 'ERR_LIMIT');
    assert.match(refusal.body, new RegExp(`at most ${MAX_CLIENTS_PER_ADDRESS} signaling sockets per client address`));
  });

  it('a viewer from another address still gets its offer and plays while they are open', async () => {
    const viewer = await TestClient.open(url, {}, { localAddress: '127.0.0.2' });
    clients.push(viewer);
    assert.ok(signaling.clientCount > MAX_CLIENTS_PER_ADDRESS, 'the idle sockets are still open');
    const received: RtpPacket[] = [];
    browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp)));
    viewer.send({ type: 'hello', version: 1 });
    viewer.send({ type: 'watch', id: 'v1', camera: 'front' });
    const offer = await viewer.next('offer');
    await browser.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await browser.setLocalDescription(await browser.createAnswer());
    viewer.send({ type: 'answer', id: 'v1', sdp: browser.localDescription!.sdp });
    await waitFor(() => browser.connectionState === 'connected', 'the viewer connected');
    await waitFor(() => camera.sinks.size === 1, 'the viewer subscribed to the camera');
    // Frames until some arrive (bounded): the first ones may be sent before DTLS is fully up.
    for (let i = 0; i < 100 && received.length === 0; i++) {
      camera.push(clip.nextFrame());
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(received.length > 0, 'the viewer receives the camera');
  });

  it('the idle sockets are closed after the watch timeout with 1008 and a reason; watching sockets stay', async () => {
    // A camera-page socket watches from its URL: it counts as watching at once.
    const page = await TestClient.open(withUrlWatch(url, { camera: 'front', id: 'p1', h265: false, paused: false }), {}, { localAddress: '127.0.0.3' });
    clients.push(page);
    const closes = await Promise.all(idle.map((s) => s.closed));
    for (const [i, close] of closes.entries()) {
      assert.equal(close.code, 1008);
      assert.match(close.reason, /no camera watched within 3 s/);
      const error = idle[i].messages.find((m) => m.type === 'error');
      assert.equal(error?.type === 'error' && error.code, 'ERR_SIGNALING_IDLE');
    }
    await new Promise((r) => setTimeout(r, WATCH_TIMEOUT_MS + 200));
    assert.equal(clients[0].ws.readyState, WebSocket.OPEN, 'the viewer that watched is still connected');
    assert.equal(page.ws.readyState, WebSocket.OPEN, 'the page that watched from its URL is still connected');
    await waitFor(() => signaling.clientCount === 2, 'only the two watching sockets are counted');
    const again = await openIdle(url);
    assert.notEqual(typeof again, 'number', '127.0.0.1 may open sockets again');
    if (typeof again !== 'number') idle.push(again);
  });
});
