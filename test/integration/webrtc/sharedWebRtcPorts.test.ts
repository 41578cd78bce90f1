/**
 * The server's WebRTC ports as a firewall or `docker run -p` sees them: every viewer of the App (over
 * /ws, WHEP, the offer broker's spares) on one UDP port, counted from /proc; a viewer that leaves
 * takes its state along; hostile datagrams and TCP connections create no state and disturb nobody.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection } from 'werift';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { MAX_ROUTES_PER_CHANNEL } from '../../../server/src/webrtc/ice/UdpMux.js';
import { watchOverWebSocket, type Watching } from '../../../examples/ws-viewer.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { bindingRequest, bindingSuccess, iceCredentials } from '../../helpers/stun.js';
import { udpKernelDrops, udpSocketPorts, udpSocketsReadable } from '../../helpers/udpSockets.js';
import { waitFor } from './helpers/waitFor.js';

const VIEWERS = 5;

interface Watcher {
  frames: number;
  watching: Watching;
}

const frame = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([payload.length >> 8, payload.length & 0xff]), payload]);

/**
 * Sends `count` datagrams made by `make`, 50 per millisecond or so: as fast as the server (in this
 * process) reads them, so the kernel's receive buffer does not drop most of them before it does.
 */
async function spray(socket: UdpSocket, port: number, count: number, make: (i: number) => Buffer): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    for (let j = i; j < Math.min(count, i + 50); j++) socket.send(make(j), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The process's UDP sockets once they stopped changing for `ms` (werift's warm-up at start holds two for a moment). */
async function settledUdpSockets(ms = 1_000): Promise<number[]> {
  let last = udpSocketPorts();
  let since = Date.now();
  while (Date.now() - since < ms) {
    await new Promise((r) => setTimeout(r, 50));
    const now = udpSocketPorts();
    if (now.join() !== last.join()) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/** Resolves when the server closed the connection. */
function closedBy(socket: Socket, ms = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function tcpConnect(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  return socket;
}

describe('the WebRTC ports of the server', { skip: udpSocketsReadable() ? false : 'needs Linux /proc to count sockets' }, () => {
  let app: App;
  const watchers: Watcher[] = [];
  const peers: RTCPeerConnection[] = [];
  before(async () => {
    app = await App.start(
      loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0, tcpPort: 0 } }),
      { logger: silentLogger() },
    );
  });
  after(async () => {
    for (const w of watchers) await w.watching.close();
    for (const pc of peers) await pc.close();
    await app.close();
  });

  async function watch(): Promise<Watcher> {
    const watcher: Watcher = { frames: 0, watching: undefined as unknown as Watching };
    watcher.watching = await watchOverWebSocket({
      url: `ws://127.0.0.1:${app.port}/ws`,
      camera: 'demo',
      iceAddresses: ['127.0.0.1'],
      onVideo: (p) => {
        if (p.header.marker) watcher.frames++;
      },
    });
    watchers.push(watcher);
    return watcher;
  }

  async function allAdvance(list: Watcher[], frames: number, what: string): Promise<void> {
    const from = list.map((w) => w.frames);
    await waitFor(() => list.every((w, i) => w.frames - from[i] >= frames), what, 10_000);
  }

  it(`${VIEWERS} viewers over /ws play the demo while the server holds one UDP socket: the port it announces`, async () => {
    const port = app.iceMux!.udpPort!;
    const before = await settledUdpSockets();
    assert.equal(before.filter((p) => p === port).length, 1);
    for (let i = 0; i < VIEWERS; i++) await watch();
    await allAdvance(watchers, 10, `${VIEWERS} viewers decode 10 frames`);
    const ports = udpSocketPorts();
    assert.equal(ports.filter((p) => p === port).length, 1);
    // Each viewer app (in this process too) has a socket of its own; the server's viewers have none.
    // (Before them: the shared one and the demo camera's RTP/RTCP pair.)
    const opened = ports.filter((p) => !before.includes(p));
    assert.equal(opened.length, VIEWERS, `UDP sockets opened with the viewers: ${opened.join(', ')} (before: ${before.join(', ')})`);
    assert.ok(app.iceMux!.stats.sessions >= VIEWERS);
  });

  it('a viewer that leaves takes its routes along, and the others keep playing', async () => {
    const { routes, sessions } = app.iceMux!.stats;
    const leaving = watchers.shift()!;
    await leaving.watching.close();
    await waitFor(() => app.iceMux!.stats.sessions < sessions && app.iceMux!.stats.routes < routes, 'the viewer gone from the mux');
    await allAdvance(watchers, 10, 'the other viewers decode 10 more frames');
  });

  it('hostile datagrams (garbage, unknown ufrags, forged integrity, a flood) make no state and disturb no viewer', async () => {
    // A WHEP viewer whose ICE credentials the attacker is assumed to know but its password.
    const pc = loopbackPeer({ bundlePolicy: 'max-bundle' });
    peers.push(pc);
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const response = await fetch(`http://127.0.0.1:${app.port}/whep/demo`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
    assert.equal(response.status, 201);
    const answer = await response.text();
    const port = app.iceMux!.udpPort!;
    assert.match(answer, new RegExp(`a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 ${port} typ host`), 'WHEP answers with the shared port');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const { ufrag, password } = iceCredentials(answer);
    await waitFor(() => pc.connectionState === 'connected', 'WHEP viewer connected');

    const attacker = createSocket('udp4');
    await new Promise<void>((r) => attacker.bind(0, '127.0.0.1', r));
    const answers: Buffer[] = [];
    attacker.on('message', (m) => answers.push(m));
    try {
      const start = app.iceMux!.stats;
      const kernelDrops = udpKernelDrops(port);
      const garbage = 4_000;
      const unknown = 4_000;
      const forged = 1_000;
      await spray(attacker, port, garbage, () => randomBytes(1 + Math.floor(Math.random() * 1200)));
      await spray(attacker, port, unknown, () => bindingRequest(randomBytes(8).toString('hex'), 'whatever'));
      await spray(attacker, port, forged, () => bindingRequest(ufrag, 'not-the-password-at-all'));
      // Each one read and dropped by the mux, or dropped by the kernel when the receive buffer was full.
      const dropped = (): number => app.iceMux!.stats.droppedDatagrams - start.droppedDatagrams + udpKernelDrops(port) - kernelDrops;
      await waitFor(() => dropped() >= garbage + unknown + forged, 'every datagram dropped').catch((err: Error) => {
        throw new Error(`${err.message}: ${dropped()} of ${garbage + unknown + forged}, ${JSON.stringify(app.iceMux!.stats)}`);
      });
      assert.ok(app.iceMux!.stats.droppedDatagrams - start.droppedDatagrams > (garbage + unknown + forged) / 2, 'most reached the mux');
      const after = app.iceMux!.stats;
      // (Sessions are made by viewers only: the offer broker may have made a spare meanwhile.)
      assert.equal(after.routes, start.routes, 'no route for any of them');
      assert.equal(answers.length, 0, 'nothing answered');
      await allAdvance(watchers, 10, 'every viewer decodes 10 more frames after the flood');

      // The same socket with the password is a viewer's own address: answered, and routed from then on.
      attacker.send(bindingRequest(ufrag, password), port, '127.0.0.1');
      await waitFor(() => answers.some((a) => bindingSuccess(a, password)), 'a binding success response');
      assert.equal(app.iceMux!.stats.routes, start.routes + 1);

      // One viewer's addresses are bounded however many a peer that knows the password brings.
      const many: UdpSocket[] = [];
      for (let i = 0; i < MAX_ROUTES_PER_CHANNEL + 8; i++) {
        const s = createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
        s.send(bindingRequest(ufrag, password), port, '127.0.0.1');
        many.push(s);
      }
      await waitFor(() => app.iceMux!.stats.routes >= start.routes + MAX_ROUTES_PER_CHANNEL - 2, 'the requests routed');
      await new Promise((r) => setTimeout(r, 300));
      const whepRoutes = app.iceMux!.stats.routes - (start.routes - 1);
      assert.ok(whepRoutes <= MAX_ROUTES_PER_CHANNEL, `${whepRoutes} routes for one viewer`);
      for (const s of many) s.close();
      await allAdvance(watchers, 5, 'the /ws viewers still play');
    } finally {
      attacker.close();
    }
  });

  it('the ICE-TCP port closes garbage, an oversized first frame and forged requests, and answers a signed one', async () => {
    const port = app.iceMux!.tcpPort!;
    const pc = peers[0];
    const { ufrag, password } = iceCredentials(pc.remoteDescription!.sdp);
    const refused = app.iceMux!.stats.tcpRefused;
    const cases: Array<[string, Buffer]> = [
      ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['a frame over the limit', Buffer.from([0xff, 0xff, 0x00])],
      ['an unknown ufrag', frame(bindingRequest(randomBytes(8).toString('hex'), password))],
      ['a forged request', frame(bindingRequest(ufrag, 'not-the-password-at-all'))],
    ];
    for (const [what, bytes] of cases) {
      const socket = await tcpConnect(port);
      socket.write(bytes);
      assert.ok(await closedBy(socket), `${what}: the connection stays open`);
    }
    assert.equal(app.iceMux!.stats.tcpRefused, refused + cases.length);

    const socket = await tcpConnect(port);
    try {
      let received = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
      socket.write(frame(bindingRequest(ufrag, password)));
      const answered = (): boolean => received.length >= 2 && received.length >= 2 + received.readUInt16BE(0) && bindingSuccess(received.subarray(2, 2 + received.readUInt16BE(0)), password) !== undefined;
      await waitFor(answered, 'a framed binding success response');
    } finally {
      socket.destroy();
    }
    assert.equal(app.iceMux!.stats.tcpPending, 0);
  });
});

describe('without the shared UDP port (udpPort: off)', { skip: udpSocketsReadable() ? false : 'needs Linux /proc to count sockets' }, () => {
  it('each viewer of the server binds a socket of its own (what the count above rules out)', async () => {
    const app = await App.start(
      loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 'off' } }),
      { logger: silentLogger() },
    );
    const watchings: Watching[] = [];
    try {
      assert.equal(app.iceMux, undefined);
      const before = await settledUdpSockets();
      const frames = [0, 0];
      for (const i of [0, 1]) {
        watchings.push(
          await watchOverWebSocket({
            url: `ws://127.0.0.1:${app.port}/ws`,
            camera: 'demo',
            iceAddresses: ['127.0.0.1'],
            onVideo: (p) => {
              if (p.header.marker) frames[i]++;
            },
          }),
        );
      }
      await waitFor(() => frames.every((f) => f >= 5), 'two viewers decode 5 frames');
      const opened = udpSocketPorts().filter((p) => !before.includes(p));
      assert.ok(opened.length >= 4, `UDP sockets opened with two viewers: ${opened.join(', ')}`);
    } finally {
      for (const w of watchings) await w.close();
      await app.close();
    }
  });
});
