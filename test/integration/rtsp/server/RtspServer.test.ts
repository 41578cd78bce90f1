// The RTSP server component against a raw test client on loopback (test/helpers/rtspTestClient.ts,
// which is independent of camrtc's RtspSession): sessions, PAUSE/PLAY per client, several clients,
// misbehaving clients, limits and timeouts, RTCP feedback, hooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseTransport } from '../../../../server/src/rtsp/headers/Transport.js';
import { serializeInterleaved } from '../../../../server/src/rtsp/message.js';
import { RtspServer, type RtspServerOptions } from '../../../../server/src/rtsp/server/RtspServer.js';
import type { ServerSession, SessionCloseReason } from '../../../../server/src/rtsp/server/ServerSession.js';
import { response } from '../../../../server/src/rtsp/server/ServerResponse.js';
import { FakeStream } from '../../../helpers/fakeStream.js';
import { RtspTestClient, rtpSeq } from '../../../helpers/rtspTestClient.js';

const TCP0 = { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' };

class KeyframeStream extends FakeStream {
  keyframeRequests = 0;
  requestKeyframe(): void {
    this.keyframeRequests++;
  }
}

interface Ctx {
  server: RtspServer;
  url: string;
  port: number;
  streams: FakeStream[];
  client: () => Promise<RtspTestClient>;
}

/** A server with `streams` mounted at /cam (default one FakeStream), closed with its clients afterwards. */
async function withServer(options: RtspServerOptions & { streams?: FakeStream[] }, fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const streams = options.streams ?? [new FakeStream()];
  const server = new RtspServer(options);
  const { port } = await server.listen();
  await server.mount('/cam', { tracks: streams });
  const clients: RtspTestClient[] = [];
  try {
    await fn({ server, url: server.urlOf('/cam'), port, streams, client: async () => {
      const c = await RtspTestClient.connect(port);
      clients.push(c);
      return c;
    } });
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
}

async function setupAndPlay(c: RtspTestClient, url: string, transport: Record<string, string> = TCP0, track = 0): Promise<string> {
  const setup = await c.request('SETUP', `${url}/trackID=${track}`, transport);
  assert.equal(setup.status, 200, `SETUP answered ${setup.status}`);
  const session = setup.headers.get('Session')!.split(';')[0];
  assert.equal((await c.request('PLAY', url, { Session: session })).status, 200);
  return session;
}

/** An OPTIONS round trip: whatever the server wrote to `c` before its answer has arrived by then. */
async function flush(c: RtspTestClient, url: string): Promise<void> {
  await c.request('OPTIONS', url);
}

test('every playing client gets the same packets; PAUSE stops them for that client only, PLAY resumes it', { timeout: 10_000 }, async () => {
  await withServer({}, async ({ url, client, streams: [stream] }) => {
    const a = await client();
    const b = await client();
    const sa = await setupAndPlay(a, url);
    await setupAndPlay(b, url);
    stream.push(5);
    const [pa, pb] = await Promise.all([a.waitFrames(0, 5), b.waitFrames(0, 5)]);
    assert.deepEqual(pa.map(rtpSeq), [1000, 1001, 1002, 1003, 1004]);
    assert.deepEqual(pb.map(rtpSeq), pa.map(rtpSeq));
    assert.equal((await a.request('PAUSE', url, { Session: sa })).status, 200);
    stream.push(3);
    await b.waitFrames(0, 8);
    await flush(a, url);
    assert.equal(a.frames.get(0)!.length, 5, 'paused client got nothing more');
    assert.equal((await a.request('PLAY', url, { Session: sa })).status, 200);
    stream.push(1);
    const after = await a.waitFrames(0, 6);
    assert.equal(rtpSeq(after[5]), 1008);
    assert.equal((await b.waitFrames(0, 9)).length, 9);
  });
});

test('errors: unknown session 454, unknown path 404, ANNOUNCE 405, unknown method 501, no CSeq 400, multicast SETUP without multicast 461, SRTP 461', { timeout: 10_000 }, async () => {
  await withServer({}, async ({ url, client, server }) => {
    const c = await client();
    assert.equal((await c.request('PLAY', url, { Session: 'NOPE' })).status, 454);
    assert.equal((await c.request('TEARDOWN', url)).status, 454);
    assert.equal((await c.request('DESCRIBE', `${url}/other`)).status, 404);
    assert.equal((await c.request('SETUP', `${url}/trackID=7`, TCP0)).status, 404);
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, { ...TCP0, Session: 'NOPE' })).status, 454);
    assert.equal((await c.request('ANNOUNCE', url)).status, 405);
    assert.equal((await c.request('FROBNICATE', url)).status, 501);
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/AVP;multicast' })).status, 461);
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/SAVP/TCP;interleaved=0-1' })).status, 461);
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, { Transport: 'garbage' })).status, 400);
    c.socket.write('OPTIONS * RTSP/1.0\r\n\r\n');
    assert.equal((await c.request('OPTIONS', url)).status, 400, 'the CSeq-less request is answered 400 (its answer comes first)');
    const session = await setupAndPlay(c, url);
    assert.equal((await c.request('GET_PARAMETER', url, { Session: session })).status, 200);
    assert.equal([...server.sessions].length, 1);
    assert.equal((await c.request('TEARDOWN', url, { Session: session })).status, 200);
    assert.equal((await c.request('PLAY', url, { Session: session })).status, 454, 'a torn-down session is gone');
    assert.equal([...server.sessions].length, 0);
  });
});

test('a session belongs to its connection: another client naming its id gets 454 and cannot tear it down', { timeout: 10_000 }, async () => {
  await withServer({}, async ({ url, client, streams: [stream] }) => {
    const owner = await client();
    const intruder = await client();
    const session = await setupAndPlay(owner, url);
    assert.equal((await intruder.request('TEARDOWN', url, { Session: session })).status, 454);
    assert.equal((await intruder.request('PAUSE', url, { Session: session })).status, 454);
    stream.push(1);
    await owner.waitFrames(0, 1);
  });
});

test('two tracks over one connection: channels the client asks for twice are replaced by free ones', { timeout: 10_000 }, async () => {
  const video = new FakeStream({}, 0x1111);
  const audio = new FakeStream({ kind: 'audio', codec: 'PCMA', clockRate: 8000, payloadType: 8, fmtp: undefined }, 0x2222);
  await withServer({ streams: [video, audio] }, async ({ url, client }) => {
    const c = await client();
    const s1 = await c.request('SETUP', `${url}/trackID=0`, TCP0);
    const session = s1.headers.get('Session')!.split(';')[0];
    const s2 = await c.request('SETUP', `${url}/trackID=1`, { ...TCP0, Session: session });
    const t2 = parseTransport(s2.headers.get('Transport')!);
    assert.ok(!(t2 instanceof CamrtcError));
    assert.deepEqual(t2.interleaved, [2, 3]);
    assert.equal(t2.ssrc, 0x2222);
    assert.equal((await c.request('PLAY', url, { Session: session })).status, 200);
    video.push(2);
    audio.push(3);
    assert.equal((await c.waitFrames(0, 2)).length, 2);
    assert.equal((await c.waitFrames(2, 3)).length, 3);
  });
});

test('a client that does not read is dropped once its unsent data passes the limit; the other client plays on', { timeout: 10_000 }, async () => {
  await withServer({ maxWriteBufferBytes: 256 * 1024 }, async ({ server, url, client, streams: [stream] }) => {
    const slow = await client();
    const good = await client();
    await setupAndPlay(slow, url);
    await setupAndPlay(good, url);
    slow.socket.pause();
    const closed = once(slow.socket, 'close');
    let pushed = 0;
    while (server.connectionCount > 1 && pushed < 2000) {
      stream.push(20, 30_000);
      pushed += 20;
      // Let the good client read, as a real one does.
      await sleep(1);
    }
    assert.equal(server.connectionCount, 1, `still connected after ${pushed} packets of 30 kB`);
    // A paused socket does not see the end of its stream until it reads again.
    slow.socket.resume();
    await closed;
    const frames = await good.waitFrames(0, pushed);
    assert.equal(frames.length, pushed, 'the reading client got every packet');
  });
});

test('a client that sends garbage gets 400 and is disconnected; another client keeps every packet', { timeout: 10_000 }, async () => {
  await withServer({}, async ({ url, port, client, streams: [stream] }) => {
    const good = await client();
    await setupAndPlay(good, url);
    stream.push(3);
    const bad = net.connect(port, '127.0.0.1');
    await once(bad, 'connect');
    let answer = '';
    bad.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    // A start line that is not RTSP, then noise.
    bad.write('GARBAGE\u0000\u00ff NOT RTSP\r\n\r\n\u0001\u0002');
    await once(bad, 'close');
    assert.match(answer, /^RTSP\/1\.0 400 Bad Request\r\n/);
    stream.push(3);
    const frames = await good.waitFrames(0, 6);
    assert.deepEqual(frames.map(rtpSeq), [1000, 1001, 1002, 1003, 1004, 1005]);
    assert.equal((await good.request('OPTIONS', url)).status, 200);
  });
});

test('session timeout: a silent client\'s session ends, its packets stop and its connection is closed', { timeout: 10_000 }, async () => {
  await withServer({ sessionTimeoutS: 1 }, async ({ server, url, client, streams: [stream] }) => {
    const c = await client();
    const setup = await c.request('SETUP', `${url}/trackID=0`, TCP0);
    assert.match(setup.headers.get('Session')!, /;timeout=1$/);
    const id = setup.headers.get('Session')!.split(';')[0];
    assert.equal((await c.request('PLAY', url, { Session: id })).status, 200);
    const reasons: SessionCloseReason[] = [];
    [...server.sessions][0].on('close', (r) => reasons.push(r));
    const started = Date.now();
    await once(c.socket, 'close');
    const elapsed = Date.now() - started;
    assert.deepEqual(reasons, ['timeout']);
    assert.ok(elapsed >= 900 && elapsed < 4000, `closed after ${elapsed} ms`);
    stream.push(1);
    assert.equal([...server.sessions].length, 0);
  });
});

test('requests and RTCP receiver reports keep a session alive past its timeout', { timeout: 10_000 }, async () => {
  await withServer({ sessionTimeoutS: 1 }, async ({ server, url, client, streams: [stream] }) => {
    const byRtcp = await client();
    const byRequest = await client();
    await setupAndPlay(byRtcp, url);
    const s2 = await setupAndPlay(byRequest, url);
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 9]);
    for (let i = 0; i < 8; i++) {
      await sleep(300);
      byRtcp.socket.write(serializeInterleaved(1, rr));
      await byRequest.request('GET_PARAMETER', url, { Session: s2 });
    }
    assert.equal([...server.sessions].length, 2, 'both sessions alive after 2.4 s');
    stream.push(1);
    await Promise.all([byRtcp.waitFrames(0, 1), byRequest.waitFrames(0, 1)]);
  });
});

test('a connection that never sends a request is closed after the session timeout', { timeout: 10_000 }, async () => {
  await withServer({ sessionTimeoutS: 1 }, async ({ server, port }) => {
    const idle = net.connect(port, '127.0.0.1');
    await once(idle, 'connect');
    const started = Date.now();
    await once(idle, 'close');
    assert.ok(Date.now() - started >= 900);
    while (server.connectionCount > 0) await sleep(10);
  });
});

test('more sessions on one connection than the limit: 453', { timeout: 10_000 }, async () => {
  await withServer({ maxSessionsPerConnection: 2 }, async ({ url, client }) => {
    const c = await client();
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, TCP0)).status, 200);
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/AVP/TCP;interleaved=4-5' })).status, 200);
    assert.equal((await c.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/AVP/TCP;interleaved=6-7' })).status, 453);
  });
});

for (const transport of ['tcp', 'udp'] as const) {
  test(`a PLI from a ${transport} client reaches the track's requestKeyframe, once per compound packet`, { timeout: 10_000 }, async () => {
    const stream = new KeyframeStream({}, 0xabcdef01);
    await withServer({ streams: [stream] }, async ({ server, url, client }) => {
      const c = await client();
      const udp = dgram.createSocket('udp4');
      try {
        const pli = Buffer.alloc(12);
        pli[0] = 0x81;
        pli[1] = 206;
        pli.writeUInt16BE(2, 2);
        pli.writeUInt32BE(0x42, 4);
        pli.writeUInt32BE(0xabcdef01, 8);
        const other = Buffer.from(pli);
        other.writeUInt32BE(0x99, 8);
        const requested = once(server, 'keyframeRequest');
        if (transport === 'tcp') {
          await setupAndPlay(c, url);
          c.socket.write(serializeInterleaved(1, other));
          c.socket.write(serializeInterleaved(1, Buffer.concat([pli, pli])));
        } else {
          // The client's RTCP socket: the server knows the session by the port it named.
          udp.bind(0, '127.0.0.1');
          await once(udp, 'listening');
          const p = udp.address().port;
          const setup = await c.request('SETUP', `${url}/trackID=0`, { Transport: `RTP/AVP;unicast;client_port=${p - 1}-${p}` });
          const t = parseTransport(setup.headers.get('Transport')!);
          assert.ok(!(t instanceof CamrtcError) && t.serverPort);
          udp.send(other, t.serverPort[1], '127.0.0.1');
          udp.send(Buffer.concat([pli, pli]), t.serverPort[1], '127.0.0.1');
        }
        await requested;
        await flush(c, url);
        assert.equal(stream.keyframeRequests, 1, 'a PLI naming another SSRC is not for this track');
      } finally {
        udp.close();
      }
    });
  });
}

test('request hooks run in order around the server: answer, alter, or leave a request unanswered', { timeout: 10_000 }, async () => {
  const seen: string[] = [];
  await withServer({
    hooks: [
      (req) => {
        seen.push(req.method);
        return undefined;
      },
      async (req, _ctx, next) => {
        if (req.method === 'GET_PARAMETER') return null;
        if (req.method === 'DESCRIBE' && req.uri.endsWith('/old')) return response(301, { Location: req.uri.replace(/\/old$/, '/cam') });
        const res = await next();
        res?.headers.set('X-Hooked', req.method);
        return res;
      },
    ],
  }, async ({ server, url, client }) => {
    const c = await client();
    const moved = await c.request('DESCRIBE', `${server.origin}/old`);
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get('Location'), `${server.origin}/cam`);
    const options = await c.request('OPTIONS', url);
    assert.equal(options.headers.get('X-Hooked'), 'OPTIONS');
    assert.equal(await c.requestOrSilence('GET_PARAMETER', url, 300), undefined);
    assert.equal((await c.request('DESCRIBE', url)).status, 200, 'the connection still answers after an unanswered request');
    assert.deepEqual(seen, ['DESCRIBE', 'OPTIONS', 'GET_PARAMETER', 'DESCRIBE']);
  });
});

test('a packet hook filters one delivery: the other client gets the packets unchanged', { timeout: 10_000 }, async () => {
  const dropEven = new Set<number>();
  await withServer({
    packetHooks: [
      (info) => {
        if (info.trackIndex !== 0 || !info.session || dropEven.size > 0) return undefined;
        dropEven.add(1);
        return (packet, send) => {
          if (rtpSeq(packet) % 2 === 1) send(packet);
        };
      },
    ],
  }, async ({ url, client, streams: [stream] }) => {
    const filtered = await client();
    const plain = await client();
    await setupAndPlay(filtered, url);
    await setupAndPlay(plain, url);
    stream.push(6);
    assert.deepEqual((await plain.waitFrames(0, 6)).map(rtpSeq), [1000, 1001, 1002, 1003, 1004, 1005]);
    assert.deepEqual((await filtered.waitFrames(0, 3)).map(rtpSeq), [1001, 1003, 1005]);
  });
});

test('unmount ends the sessions of the mount; DESCRIBE then answers 404', { timeout: 10_000 }, async () => {
  await withServer({}, async ({ server, url, client }) => {
    const c = await client();
    await setupAndPlay(c, url);
    const [session] = [...server.sessions];
    const ended = once(session, 'close');
    server.unmount('/cam');
    assert.deepEqual(await ended, ['unmounted']);
    assert.equal((await c.request('DESCRIBE', url)).status, 404);
  });
});

test('close() ends every session and connection, is idempotent and refuses a second listen', { timeout: 10_000 }, async () => {
  const stream = new FakeStream();
  const server = new RtspServer();
  const { port } = await server.listen();
  await server.mount('/cam', { tracks: [stream] });
  const c = await RtspTestClient.connect(port);
  await setupAndPlay(c, server.urlOf('/cam'));
  const [session] = [...server.sessions];
  const ended = once(session, 'close');
  const disconnected = once(c.socket, 'close');
  await Promise.all([server.close(), server.close()]);
  assert.deepEqual(await ended, ['server-closed']);
  await disconnected;
  assert.equal(stream.listenerCount('packet'), 0, 'nothing listens to the track any more');
  await assert.rejects(server.listen(), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CLOSED');
});

test('listen on a port in use rejects and leaves nothing open; listen can then be retried', { timeout: 10_000 }, async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const busy = (blocker.address() as net.AddressInfo).port;
  const server = new RtspServer({ port: busy });
  try {
    await assert.rejects(server.listen(), { code: 'EADDRINUSE' });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const { port } = await server.listen();
    assert.equal(port, busy);
  } finally {
    await server.close();
    if (blocker.listening) blocker.close();
  }
});

test('a session can be sent its own RTP and RTCP outside the fan-out (a per-client stream, sender reports)', { timeout: 10_000 }, async () => {
  await withServer({}, async ({ server, url, client }) => {
    const c = await client();
    const opened = once(server, 'session');
    await c.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/AVP/TCP;interleaved=6-7' });
    const [session] = (await opened) as [ServerSession];
    session.sendRtp(0, Buffer.from('rtp'));
    session.sendRtcp(0, Buffer.from('rtcp'));
    session.sendRtp(5, Buffer.from('no such track'));
    assert.equal((await c.waitFrames(6, 1))[0].toString(), 'rtp');
    assert.equal((await c.waitFrames(7, 1))[0].toString(), 'rtcp');
    assert.deepEqual([...c.frames.keys()].sort(), [6, 7]);
  });
});
