/**
 * RtspSession over RTSPS (certificate checked by default, self-signed accepted only when asked),
 * UDP multicast (asked for, or imposed by a multicast-only camera), transport 'auto' remembering
 * TCP, PLAY with Range/Scale, and a camera behind NAT announcing its internal address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamrtcError } from '../../../server/src/errors.js';
import { parseTransport } from '../../../server/src/rtsp/headers/Transport.js';
import { RtspSession, type RtspSessionOptions } from '../../../server/src/rtsp/RtspSession.js';
import { TransportMemory } from '../../../server/src/rtsp/TransportMemory.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../../server/src/demo/ToneStream.js';
import { FaultyCamera } from '../../helpers/faultyCamera.js';
import { repoRoot } from '../../helpers/paths.js';

const clip = (): H264ClipStream => new H264ClipStream({ file: join(repoRoot, 'server', 'assets', 'demo.h264'), fps: 25 });
import { FAKE_SDP, FakeRtspServer, rtpPacket } from './FakeRtspServer.js';

function firstRtp(session: RtspSession, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no RTP packet')), timeoutMs);
    session.once('rtp', (track) => {
      clearTimeout(t);
      resolve(track);
    });
  });
}

async function play(options: RtspSessionOptions): Promise<RtspSession> {
  const s = new RtspSession({ cameraName: 'cam', readTimeoutMs: 3000, connectTimeoutMs: 3000, ...options });
  let got = false;
  s.once('rtp', () => (got = true));
  try {
    await s.start();
    if (!got) await firstRtp(s);
    return s;
  } catch (err) {
    await s.close();
    throw err;
  }
}

/** A self-signed certificate for 127.0.0.1, made now: no key material lives in the repository. */
function selfSigned(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-tls-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=camrtc test camera', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    if (r.status !== 0) return undefined;
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tlsMaterial = selfSigned();

describe('rtsps', { skip: tlsMaterial ? false : 'openssl not available to make a test certificate; skipping' }, () => {
  let cam: FaultyCamera;
  let url: string;
  before(async () => {
    cam = new FaultyCamera({ streams: [clip()], tls: tlsMaterial! });
    ({ url } = await cam.listen());
  });
  after(async () => {
    await cam.close();
  });

  test('the test camera serves rtsps', () => {
    assert.match(url, /^rtsps:\/\/127\.0\.0\.1:\d+\/demo$/);
  });

  test('a self-signed certificate is refused by default, with a message saying how to accept it', async () => {
    const err = await play({ url }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CamrtcError);
    assert.equal(err.code, 'ERR_RTSP_CONNECT');
    assert.match(err.message, /TLS certificate of camera 'cam' is not trusted .*tlsInsecure/);
    assert.equal(cam.requests.length, 0, 'no RTSP request may go over an unverified connection');
  });

  for (const transport of ['tcp', 'udp'] as const) {
    test(`tlsInsecure accepts it and plays over ${transport}`, async () => {
      const s = await play({ url, tlsInsecure: true, transport });
      assert.equal(s.transport, transport);
      await s.close();
    });
  }

  test('verification stays on when the certificate is trusted (ca given)', async () => {
    const s = await play({ url, tlsOptions: { ca: tlsMaterial!.cert } });
    assert.equal(s.state, 'playing');
    await s.close();
  });

  test('rtsps to a plain RTSP port says the camera does not speak TLS there', async () => {
    // What an RTSP server answers to a TLS ClientHello.
    const plain = await FakeRtspServer.raw('RTSP/1.0 400 Bad Request\r\nCSeq: 0\r\n\r\n');
    try {
      const err = await play({ url: `rtsps://127.0.0.1:${plain.port}/demo` }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_RTSP_CONNECT');
      assert.match(err.message, /does not speak TLS on this port/);
    } finally {
      await plain.close();
    }
  });
});

describe('multicast on the loopback interface', () => {
  test('transport multicast: the camera names its group, camrtc joins it and receives RTP', async () => {
    const cam = new FaultyCamera({ streams: [clip(), new ToneStream()], multicast: { group: '239.255.77.1', port: 47010 } });
    const { url } = await cam.listen();
    try {
      const a = await play({ url, transport: 'multicast' });
      // A second receiver of the same group on this host works too (shared ports).
      const b = await play({ url, transport: 'multicast' });
      assert.equal(a.transport, 'multicast');
      assert.equal(b.transport, 'multicast');
      const setup = cam.requests.find((r) => r.method === 'SETUP');
      assert.ok(setup);
      await a.close();
      await b.close();
    } finally {
      await cam.close();
    }
  });

  test('a multicast-only camera answering a UDP SETUP with multicast is followed', async () => {
    const cam = new FaultyCamera({ streams: [clip()], multicast: { group: '239.255.77.2', port: 47020, only: true } });
    const { url } = await cam.listen();
    try {
      const s = await play({ url, transport: 'udp' });
      assert.equal(s.transport, 'multicast');
      await s.close();
    } finally {
      await cam.close();
    }
  });

  test('a multicast answer naming a unicast address is refused', async () => {
    const server = await FakeRtspServer.start((req, conn) => {
      if (req.method === 'DESCRIBE') return conn.reply(req, 200, { 'Content-Type': 'application/sdp' }, FAKE_SDP);
      if (req.method === 'SETUP') return conn.reply(req, 200, { Session: 'S1', Transport: 'RTP/AVP;multicast;destination=192.0.2.9;port=5000-5001' });
      conn.reply(req, 200);
    });
    try {
      const err = await play({ url: server.url(), transport: 'multicast' }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_RTSP_PROTOCOL');
      assert.match(err.message, /not a multicast address/);
    } finally {
      await server.close();
    }
  });
});

describe('scripted camera', () => {
  /** Refuses UDP (461), plays TCP; sends one RTP packet per track after PLAY. */
  function tcpOnlyCamera(contentBase?: (reqUri: string) => string) {
    return FakeRtspServer.start((req, conn) => {
      switch (req.method) {
        case 'OPTIONS':
          return conn.reply(req, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
        case 'DESCRIBE':
          return conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': contentBase ? contentBase(req.uri) : `${req.uri}/` }, FAKE_SDP);
        case 'SETUP': {
          const t = parseTransport(req.headers.get('Transport') ?? '');
          if (t instanceof CamrtcError || t.protocol !== 'TCP') return conn.reply(req, 461);
          return conn.reply(req, 200, { Session: 'S1;timeout=60', Transport: `RTP/AVP/TCP;unicast;interleaved=${t.interleaved![0]}-${t.interleaved![1]}` });
        }
        case 'PLAY':
          conn.reply(req, 200, { Session: 'S1' });
          conn.sendInterleaved(0, rtpPacket(96, 1));
          return;
        default:
          return conn.reply(req, 200, { Session: 'S1' });
      }
    });
  }

  test('auto: TCP found after UDP was refused is remembered, the next session goes straight to TCP', async () => {
    const server = await tcpOnlyCamera();
    const memory = new TransportMemory();
    try {
      const first = await play({ url: server.url(), transport: 'auto', transportMemory: memory });
      assert.equal(first.transport, 'tcp');
      await first.close();
      const setupsBefore = server.requests.filter((r) => r.method === 'SETUP').length;
      const second = await play({ url: server.url(), transport: 'auto', transportMemory: memory });
      assert.equal(second.transport, 'tcp');
      await second.close();
      const secondSetups = server.requests.filter((r) => r.method === 'SETUP').slice(setupsBefore);
      assert.ok(secondSetups.length > 0);
      for (const r of secondSetups) assert.match(r.headers.get('Transport') ?? '', /^RTP\/AVP\/TCP;/, 'the second session must not try UDP again');
    } finally {
      await server.close();
    }
  });

  test('PLAY sends the Range and Scale asked for', async () => {
    const server = await tcpOnlyCamera();
    try {
      const s = await play({ url: server.url(), transport: 'tcp', range: 'npt=30-', scale: 2 });
      const playReq = server.requests.find((r) => r.method === 'PLAY')!;
      assert.equal(playReq.headers.get('Range'), 'npt=30-');
      assert.equal(playReq.headers.get('Scale'), '2');
      await s.close();
    } finally {
      await server.close();
    }
  });

  test('camera behind NAT: a Content-Base with its internal address keeps SETUP on the address camrtc dialled', async () => {
    const server = await tcpOnlyCamera(() => 'rtsp://192.168.1.64:554/Streaming/Channels/101/');
    try {
      const s = await play({ url: server.url('/Streaming/Channels/101'), transport: 'tcp' });
      const setups = server.requests.filter((r) => r.method === 'SETUP').map((r) => r.uri);
      assert.deepEqual(setups, [`rtsp://127.0.0.1:${server.port}/Streaming/Channels/101/trackID=0`, `rtsp://127.0.0.1:${server.port}/Streaming/Channels/101/trackID=1`]);
      await s.close();
    } finally {
      await server.close();
    }
  });
});
