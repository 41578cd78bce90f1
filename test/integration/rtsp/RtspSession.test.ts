import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { CamrtcError } from '../../../server/src/errors.js';
import { RtspSession, type RtspSessionOptions } from '../../../server/src/rtsp/RtspSession.js';
import { parseTransport } from '../../../server/src/rtsp/headers/Transport.js';
import type { RtspRequest } from '../../../server/src/rtsp/message.js';
import { FAKE_SDP, FakeRtspServer, rtpPacket, type FakeConnection } from './FakeRtspServer.js';

const SESSION_ID = '4F2A91C3';

interface CameraScript {
  /** Interleaved channels the camera answers per SETUP, when it picks its own. */
  channels?: Array<[number, number]>;
  /** RTP frames sent before / after the PLAY answer: [channel, seq]. */
  beforePlay?: Array<[number, number]>;
  afterPlay?: Array<[number, number]>;
  /** Digest check; undefined means no authentication. */
  digest?: { realm: string; nonce: string; username: string; password: string };
  onSetup?: (req: RtspRequest, conn: FakeConnection) => boolean;
  silentAfterPlay?: boolean;
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function digestOk(req: RtspRequest, d: NonNullable<CameraScript['digest']>): boolean {
  const h = req.headers.get('Authorization');
  if (!h?.startsWith('Digest ')) return false;
  const field = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(h)?.[1];
  const uri = field('uri');
  if (field('username') !== d.username || field('nonce') !== d.nonce || uri === undefined) return false;
  const expected = md5(`${md5(`${d.username}:${d.realm}:${d.password}`)}:${d.nonce}:${md5(`${req.method}:${uri}`)}`);
  return field('response') === expected;
}

function camera(script: CameraScript = {}) {
  let setups = 0;
  return (req: RtspRequest, conn: FakeConnection): void => {
    if (script.digest && req.method !== 'OPTIONS' && !digestOk(req, script.digest)) {
      conn.reply(req, 401, { 'WWW-Authenticate': `Digest realm="${script.digest.realm}", nonce="${script.digest.nonce}"` });
      return;
    }
    switch (req.method) {
      case 'OPTIONS':
        conn.reply(req, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER' });
        break;
      case 'DESCRIBE':
        conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, FAKE_SDP);
        break;
      case 'SETUP': {
        if (script.onSetup?.(req, conn)) return;
        const asked = parseTransport(req.headers.get('Transport') ?? '');
        assert.ok(!(asked instanceof CamrtcError));
        const ch = script.channels?.[setups] ?? asked.interleaved!;
        setups++;
        // Hikvision style: ssrc padded with spaces.
        conn.reply(req, 200, { Session: `${SESSION_ID};timeout=60`, Transport: `RTP/AVP/TCP;unicast;interleaved=${ch[0]}-${ch[1]};ssrc=   1A2B3C` });
        break;
      }
      case 'PLAY':
        for (const [channel, seq] of script.beforePlay ?? []) conn.sendInterleaved(channel, rtpPacket(96, seq));
        conn.reply(req, 200, { Session: SESSION_ID, 'RTP-Info': `url=${req.uri}trackID=0;seq=1` });
        if (!script.silentAfterPlay) for (const [channel, seq] of script.afterPlay ?? []) conn.sendInterleaved(channel, rtpPacket(96, seq));
        break;
      case 'GET_PARAMETER':
      case 'PAUSE':
      case 'TEARDOWN':
        conn.reply(req, 200, { Session: SESSION_ID });
        break;
      default:
        conn.reply(req, 501);
    }
  };
}

function newSession(server: FakeRtspServer, extra: Partial<RtspSessionOptions> = {}, userinfo = ''): RtspSession {
  return new RtspSession({ url: server.url('/stream', userinfo), cameraName: 'porch', readTimeoutMs: 2000, connectTimeoutMs: 2000, ...extra });
}

function collect(session: RtspSession, count: number): Promise<Array<[number, number]>> {
  const got: Array<[number, number]> = [];
  return new Promise((resolve) => {
    session.on('rtp', (track, packet) => {
      got.push([track, packet.readUInt16BE(2)]);
      if (got.length === count) resolve(got);
    });
  });
}

function closeEvent(session: RtspSession): Promise<CamrtcError | undefined> {
  return new Promise((resolve) => session.once('close', resolve));
}

test('plays over TCP: OPTIONS, DESCRIBE, SETUP, PLAY, RTP before and after the PLAY answer, TEARDOWN on close', async () => {
  const server = await FakeRtspServer.start(camera({ beforePlay: [[0, 1], [0, 2]], afterPlay: [[0, 3], [2, 4]], channels: [[0, 1], [2, 3]] }));
  const session = newSession(server);
  const states: string[] = [];
  session.on('state', (s) => states.push(s));
  const packets = collect(session, 4);
  try {
    const { tracks } = await session.start();
    assert.deepEqual(tracks.map((t) => t.codec), ['H264', 'PCMA']);
    assert.deepEqual(await packets, [[0, 1], [0, 2], [0, 3], [1, 4]]);
    assert.equal(session.state, 'playing');
    assert.deepEqual(server.methods(), ['OPTIONS', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY']);
    const [options, describe, setup1, setup2, play] = server.requests;
    assert.equal(options.uri, server.url());
    assert.equal(describe.headers.get('Accept'), 'application/sdp');
    assert.equal(setup1.uri, `${server.url()}/trackID=0`);
    assert.equal(setup1.headers.get('Transport'), 'RTP/AVP/TCP;unicast;interleaved=0-1');
    assert.equal(setup2.headers.get('Transport'), 'RTP/AVP/TCP;unicast;interleaved=2-3');
    assert.equal(setup2.headers.get('Session'), SESSION_ID);
    assert.equal(play.headers.get('Session'), SESSION_ID);
    assert.equal(play.headers.get('Range'), 'npt=0.000-');
    const closed = closeEvent(session);
    await session.close();
    assert.equal(await closed, undefined);
    const teardown = await server.waitFor('TEARDOWN');
    assert.equal(teardown.headers.get('Session'), SESSION_ID);
    assert.deepEqual(states, ['starting', 'playing', 'closed']);
    await session.close(); // idempotent
  } finally {
    await session.close();
    await server.close();
  }
});

test('accepts the interleaved channels the camera picked instead of the requested ones', async () => {
  const server = await FakeRtspServer.start(camera({ channels: [[6, 7], [8, 9]], afterPlay: [[6, 1], [8, 2], [0, 3], [6, 4]] }));
  const session = newSession(server);
  const packets = collect(session, 4);
  try {
    await session.start();
    // Channel 0 was requested for video and is still routed there.
    assert.deepEqual(await packets, [[0, 1], [1, 2], [0, 3], [0, 4]]);
  } finally {
    await session.close();
    await server.close();
  }
});

test('digest challenge, then success with the credentials from the URL', async () => {
  const digest = { realm: 'IP Camera(C6497)', nonce: 'a1b2c3d4e5f6', username: 'admin', password: 'p@ss word' };
  const server = await FakeRtspServer.start(camera({ digest, afterPlay: [[0, 7]] }));
  const session = newSession(server, {}, 'admin:p%40ss%20word@');
  const packets = collect(session, 1);
  try {
    await session.start();
    assert.deepEqual(await packets, [[0, 7]]);
    assert.deepEqual(server.methods(), ['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY']);
    assert.equal(server.requests[1].headers.get('Authorization'), undefined);
    for (const r of server.requests.slice(2)) assert.ok(digestOk(r, digest), `${r.method} carries a valid Authorization`);
    for (const r of server.requests) assert.ok(!r.uri.includes('admin'), 'no credentials in request URIs');
  } finally {
    await session.close();
    await server.close();
  }
});

test('wrong password: ERR_RTSP_AUTH after exactly one retry, without the password in the message', async () => {
  const digest = { realm: 'cam', nonce: 'n0nce', username: 'admin', password: 'right' };
  const server = await FakeRtspServer.start(camera({ digest }));
  const session = newSession(server, { username: 'admin', password: 'wrong-secret' });
  const closed = closeEvent(session);
  try {
    await assert.rejects(session.start(), (err: unknown) => {
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_RTSP_AUTH');
      assert.equal(err.message, "401 Unauthorized: wrong user or password for camera 'porch'");
      return true;
    });
    assert.deepEqual(server.methods(), ['OPTIONS', 'DESCRIBE', 'DESCRIBE']);
    assert.equal((await closed)?.code, 'ERR_RTSP_AUTH');
    assert.equal(session.state, 'closed');
  } finally {
    await session.close();
    await server.close();
  }
});

test('no credentials for a camera that asks for them: ERR_RTSP_AUTH without a retry', async () => {
  const server = await FakeRtspServer.start(camera({ digest: { realm: 'cam', nonce: 'n', username: 'a', password: 'b' } }));
  const session = newSession(server);
  try {
    await assert.rejects(session.start(), { code: 'ERR_RTSP_AUTH' });
    assert.deepEqual(server.methods(), ['OPTIONS', 'DESCRIBE']);
  } finally {
    await session.close();
    await server.close();
  }
});

test('a server that speaks HTTP gives ERR_RTSP_PROTOCOL', async () => {
  const server = await FakeRtspServer.raw('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  const session = newSession(server);
  try {
    await assert.rejects(session.start(), (err: unknown) => {
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_RTSP_PROTOCOL');
      assert.match(err.message, /does not speak RTSP/);
      return true;
    });
  } finally {
    await session.close();
    await server.close();
  }
});

test('a server that never answers gives ERR_RTSP_TIMEOUT', async () => {
  const server = await FakeRtspServer.start(() => undefined);
  const session = newSession(server, { readTimeoutMs: 150 });
  try {
    await assert.rejects(session.start(), { code: 'ERR_RTSP_TIMEOUT' });
    assert.deepEqual(server.methods(), ['OPTIONS']);
  } finally {
    await session.close();
    await server.close();
  }
});

test('a refused connection gives ERR_RTSP_CONNECT', async () => {
  const server = await FakeRtspServer.start(() => undefined);
  const url = server.url();
  await server.close();
  const session = new RtspSession({ url, cameraName: 'gone' });
  await assert.rejects(session.start(), { code: 'ERR_RTSP_CONNECT' });
  await session.close();
});

test('keepalive: GET_PARAMETER when the camera lists it, without waiting for an answer', async () => {
  const server = await FakeRtspServer.start(camera({ afterPlay: [[0, 1]] }));
  const session = newSession(server, { keepaliveIntervalMs: 30 });
  try {
    await session.start();
    const req = await server.waitFor('GET_PARAMETER');
    assert.equal(req.headers.get('Session'), SESSION_ID);
  } finally {
    await session.close();
    await server.close();
  }
});

test('receiver reports are sent on the RTCP channel of each track', async () => {
  const server = await FakeRtspServer.start(camera({ afterPlay: [[0, 1], [0, 2]] }));
  const session = newSession(server, { receiverReportIntervalMs: 30 });
  const packets = collect(session, 2);
  try {
    await session.start();
    await packets;
    while (!server.interleaved.some((f) => f.channel === 1 && f.data[0] === 0x81)) await new Promise((r) => setTimeout(r, 20));
    const rr = server.interleaved.find((f) => f.channel === 1 && f.data[0] === 0x81)!.data;
    assert.equal(rr[1], 201);
    assert.equal(rr.readUInt32BE(8), 0x11223344, 'report block about the camera SSRC');
    assert.equal(rr.readUInt32BE(16), 2, 'extended highest sequence number');
  } finally {
    await session.close();
    await server.close();
  }
});

test('lostPacketCount: the sequence gaps of every track, still known after the session closed', async () => {
  // Video 1, 2, 5 (3 and 4 lost); audio 10, 12 (11 lost).
  const server = await FakeRtspServer.start(camera({ afterPlay: [[0, 1], [0, 2], [0, 5], [2, 10], [2, 12]] }));
  const session = newSession(server);
  const packets = collect(session, 5);
  try {
    assert.equal(session.lostPacketCount, 0);
    await session.start();
    await packets;
    assert.equal(session.lostPacketCount, 3);
  } finally {
    await session.close();
    await server.close();
  }
  assert.equal(session.lostPacketCount, 3, 'the count outlives the connection (/metrics adds it up at close)');
});

test('a stalled stream closes the session with ERR_RTSP_TIMEOUT', async () => {
  const server = await FakeRtspServer.start(camera({ silentAfterPlay: true }));
  const session = newSession(server, { readTimeoutMs: 200 });
  const closed = closeEvent(session);
  try {
    await session.start();
    const err = await closed;
    assert.equal(err?.code, 'ERR_RTSP_TIMEOUT');
    assert.match(err!.message, /no media from camera 'porch'/);
  } finally {
    await session.close();
    await server.close();
  }
});

test('a dropped connection while playing closes with ERR_RTSP_CONNECTION_LOST', async () => {
  const server = await FakeRtspServer.start(camera({ afterPlay: [[0, 1]] }));
  const session = newSession(server);
  const closed = closeEvent(session);
  try {
    await session.start();
    server.dropConnections();
    assert.equal((await closed)?.code, 'ERR_RTSP_CONNECTION_LOST');
    assert.equal(session.state, 'closed');
  } finally {
    await session.close();
    await server.close();
  }
});

test('pause and play send PAUSE and PLAY with the session', async () => {
  const server = await FakeRtspServer.start(camera({ afterPlay: [[0, 1]] }));
  const session = newSession(server);
  try {
    await session.start();
    await session.pause();
    assert.equal(session.state, 'paused');
    await assert.rejects(session.pause(), { code: 'ERR_RTSP_INVALID_STATE' });
    await session.play();
    assert.equal(session.state, 'playing');
    assert.deepEqual(server.methods().slice(-2), ['PAUSE', 'PLAY']);
    assert.equal(server.requests.at(-2)!.headers.get('Session'), SESSION_ID);
  } finally {
    await session.close();
    await server.close();
  }
});

test('close() during start rejects start with ERR_CLOSED', async () => {
  const server = await FakeRtspServer.start(() => undefined);
  const session = newSession(server);
  try {
    const started = session.start();
    await server.waitFor('OPTIONS');
    await session.close();
    await assert.rejects(started, { code: 'ERR_CLOSED' });
  } finally {
    await server.close();
  }
});

test('UDP: binds an even/odd port pair per track and receives RTP on it', async () => {
  const udpServer = dgram.createSocket('udp4');
  await new Promise<void>((r) => udpServer.bind(0, '127.0.0.1', r));
  const serverPort = udpServer.address().port;
  const clientPorts: number[] = [];
  const server = await FakeRtspServer.start(
    camera({
      onSetup: (req, conn) => {
        const t = parseTransport(req.headers.get('Transport') ?? '');
        assert.ok(!(t instanceof CamrtcError) && t.clientPort);
        assert.equal(t.clientPort[0] % 2, 0);
        assert.equal(t.clientPort[1], t.clientPort[0] + 1);
        clientPorts.push(t.clientPort[0]);
        conn.reply(req, 200, { Session: SESSION_ID, Transport: `RTP/AVP;unicast;client_port=${t.clientPort[0]}-${t.clientPort[1]};server_port=${serverPort - 1}-${serverPort}` });
        return true;
      },
    }),
  );
  const session = newSession(server, { transport: 'udp', udpBindAddress: '127.0.0.1', receiverReportIntervalMs: 30 });
  const packets = collect(session, 2);
  try {
    await session.start();
    assert.equal(session.transport, 'udp');
    udpServer.send(rtpPacket(96, 51), clientPorts[0], '127.0.0.1');
    udpServer.send(rtpPacket(8, 52), clientPorts[1], '127.0.0.1');
    const got = await packets;
    assert.deepEqual(got.sort(), [[0, 51], [1, 52]]);
    // The first receiver report also opens NAT bindings towards the camera's RTCP port.
    const rr = await new Promise<Buffer>((resolve) => udpServer.once('message', resolve));
    assert.equal(rr[1], 201);
  } finally {
    await session.close();
    await server.close();
    udpServer.close();
  }
});

test('auto: a camera that refuses UDP is played over TCP', async () => {
  const base = camera({ afterPlay: [[0, 9]] });
  const server = await FakeRtspServer.start((req, conn) => {
    if (req.method === 'SETUP' && req.headers.get('Transport')?.includes('client_port')) {
      conn.reply(req, 461);
      return;
    }
    base(req, conn);
  });
  const session = newSession(server, { transport: 'auto', udpBindAddress: '127.0.0.1' });
  const packets = collect(session, 1);
  try {
    await session.start();
    assert.equal(session.transport, 'tcp');
    assert.deepEqual(await packets, [[0, 9]]);
  } finally {
    await session.close();
    await server.close();
  }
});

test('auto: no UDP packet within the fallback delay switches to TCP', async () => {
  const base = camera({ afterPlay: [[0, 21]] });
  const server = await FakeRtspServer.start((req, conn) => {
    const t = req.method === 'SETUP' ? parseTransport(req.headers.get('Transport') ?? '') : undefined;
    if (t && !(t instanceof CamrtcError) && t.clientPort) {
      // Accepts UDP, but its packets never arrive (NAT in between).
      conn.reply(req, 200, { Session: 'UDP1', Transport: `RTP/AVP;unicast;client_port=${t.clientPort[0]}-${t.clientPort[1]};server_port=9-10` });
      return;
    }
    if (req.method === 'PLAY' && req.headers.get('Session') === 'UDP1') {
      conn.reply(req, 200, { Session: 'UDP1' });
      return;
    }
    base(req, conn);
  });
  const session = newSession(server, { transport: 'auto', udpBindAddress: '127.0.0.1', autoFallbackMs: 50 });
  const packets = collect(session, 1);
  try {
    await session.start();
    assert.equal(session.transport, 'udp');
    assert.deepEqual(await packets, [[0, 21]]);
    assert.equal(session.transport, 'tcp');
    assert.equal(session.state, 'playing');
    const teardown = server.requests.find((r) => r.method === 'TEARDOWN');
    assert.equal(teardown?.headers.get('Session'), 'UDP1', 'the UDP session was torn down');
  } finally {
    await session.close();
    await server.close();
  }
});

test('redirect: follows Location to another path, with the credentials on the same host', async () => {
  const digest = { realm: 'cam', nonce: 'n1', username: 'admin', password: 'pw' };
  const base = camera({ digest, afterPlay: [[0, 5]] });
  const server = await FakeRtspServer.start((req, conn) => {
    if (req.method === 'DESCRIBE' && req.uri.endsWith('/old')) {
      conn.reply(req, 302, { Location: req.uri.replace('/old', '/stream') });
      return;
    }
    base(req, conn);
  });
  const session = new RtspSession({ url: server.url('/old', 'admin:pw@'), cameraName: 'porch' });
  const packets = collect(session, 1);
  try {
    await session.start();
    assert.deepEqual(await packets, [[0, 5]]);
    const describes = server.requests.filter((r) => r.method === 'DESCRIBE').map((r) => r.uri);
    assert.deepEqual(describes, [server.url('/old'), server.url('/stream'), server.url('/stream')]);
  } finally {
    await session.close();
    await server.close();
  }
});

test('redirect: gives up after three redirects with ERR_RTSP_REDIRECT', async () => {
  let n = 0;
  const server = await FakeRtspServer.start((req, conn) => {
    if (req.method === 'OPTIONS') conn.reply(req, 200);
    else conn.reply(req, 302, { Location: req.uri.replace(/\/\w+$/, `/hop${++n}`) });
  });
  const session = newSession(server);
  try {
    await assert.rejects(session.start(), { code: 'ERR_RTSP_REDIRECT' });
    assert.equal(server.methods().filter((m) => m === 'DESCRIBE').length, 4);
  } finally {
    await session.close();
    await server.close();
  }
});

test('a TCP SETUP answered as "RTP/AVP;interleaved=" (no /TCP) is accepted', async () => {
  const server = await FakeRtspServer.start(
    camera({
      afterPlay: [[0, 3]],
      onSetup: (req, conn) => {
        const ch = /interleaved=(\d+)-(\d+)/.exec(req.headers.get('Transport') ?? '')!;
        conn.reply(req, 200, { Session: SESSION_ID, Transport: `RTP/AVP;unicast;interleaved=${ch[1]}-${ch[2]}` });
        return true;
      },
    }),
  );
  const session = newSession(server);
  const packets = collect(session, 1);
  try {
    await session.start();
    assert.deepEqual(await packets, [[0, 3]]);
  } finally {
    await session.close();
    await server.close();
  }
});

test('a UDP answer to a TCP SETUP is refused with ERR_RTSP_PROTOCOL', async () => {
  const server = await FakeRtspServer.start(
    camera({
      onSetup: (req, conn) => {
        conn.reply(req, 200, { Session: SESSION_ID, Transport: 'RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001' });
        return true;
      },
    }),
  );
  const session = newSession(server);
  try {
    await assert.rejects(session.start(), { code: 'ERR_RTSP_PROTOCOL' });
    const teardown = await server.waitFor('TEARDOWN');
    assert.equal(teardown.headers.get('Session'), SESSION_ID, 'the half-set-up session is torn down');
  } finally {
    await session.close();
    await server.close();
  }
});
