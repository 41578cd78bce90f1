/**
 * GET /metrics after a known workload (issue 15, "Metrics"): the whole server with the built-in demo
 * camera (25 fps, a keyframe every second) and an unreachable camera that is preloaded, one werift
 * viewer that loses a tenth of what reaches it (werift's debug option) and NACKs it, watching for a
 * few seconds over the real /ws endpoint. The scrape must name every metric with its labels and give
 * values that follow from that workload; and who may scrape is the access policy's decision.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { RtpPacket } from 'werift';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { CAMERA_STATES } from '../../../shared/protocol.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { parseExposition, sampleValue, type Exposition } from '../../helpers/prometheus.js';
import { rawRequest, type RawResponse } from '../../helpers/rawHttp.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The demo clip: 25 frames per second, an IDR every 25 frames. */
const DEMO_KEYFRAME_INTERVAL_S = 1;
const WATCH_MS = 4_000;

async function scrape(port: number, headers: Record<string, string> = {}): Promise<{ res: RawResponse; metrics: Exposition }> {
  const res = await rawRequest({ port, path: '/metrics', headers: { Host: `127.0.0.1:${port}`, ...headers } });
  assert.equal(res.status, 200, res.body);
  return { res, metrics: parseExposition(res.body) };
}

describe('/metrics after a known workload', () => {
  let app: App;
  let port: number;

  before(async () => {
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'silent',
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
        // Nothing listens on port 9: every connection is refused, and the camera retries.
        cameras: [{ name: 'offline', url: 'rtsp://127.0.0.1:9/stream', preload: true }],
      }),
      { logger: silentLogger() },
    );
    port = app.port;
  });
  after(async () => {
    await app.close();
  });

  it('before any viewer: every metric is there, the demo camera is idle, nothing was sent', async () => {
    const { res, metrics } = await scrape(port);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const expected: Record<string, string> = {
      camrtc_camera_state: 'gauge',
      camrtc_camera_packets_in_total: 'counter',
      camrtc_camera_bytes_in_total: 'counter',
      camrtc_camera_bitrate_in_bits_per_second: 'gauge',
      camrtc_camera_packets_lost_total: 'counter',
      camrtc_camera_reconnects_total: 'counter',
      camrtc_camera_keyframes_total: 'counter',
      camrtc_camera_keyframe_interval_seconds: 'gauge',
      camrtc_camera_viewers: 'gauge',
      camrtc_rtsp_errors_total: 'counter',
      camrtc_viewers: 'gauge',
      camrtc_bytes_out_total: 'counter',
      camrtc_packets_out_total: 'counter',
      camrtc_nacks_received_total: 'counter',
      camrtc_retransmissions_total: 'counter',
      camrtc_time_to_first_frame_seconds: 'histogram',
      camrtc_time_to_live_picture_seconds: 'histogram',
      camrtc_eventloop_delay_seconds: 'gauge',
      camrtc_eventloop_delay_max_seconds: 'gauge',
      camrtc_process_resident_memory_bytes: 'gauge',
      camrtc_process_cpu_seconds_total: 'counter',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(metrics.types.get(name), type, `${name} is a ${type}`);
    for (const state of CAMERA_STATES) {
      assert.equal(sampleValue(metrics, 'camrtc_camera_state', { camera: 'demo', state }), state === 'idle' ? 1 : 0, `demo ${state}`);
    }
    assert.equal(sampleValue(metrics, 'camrtc_camera_packets_in_total', { camera: 'demo' }), 0);
    assert.equal(sampleValue(metrics, 'camrtc_camera_viewers', { camera: 'demo' }), 0);
    assert.equal(sampleValue(metrics, 'camrtc_viewers'), 0);
    assert.equal(sampleValue(metrics, 'camrtc_bytes_out_total'), 0);
    assert.equal(sampleValue(metrics, 'camrtc_time_to_first_frame_seconds_count'), 0);
    assert.ok(sampleValue(metrics, 'camrtc_process_resident_memory_bytes') > 10_000_000);
    assert.ok(sampleValue(metrics, 'camrtc_eventloop_delay_seconds', { quantile: '0.99' }) >= 0);
  });

  it('a viewer watching the demo camera for a few seconds, then leaving, shows in every metric', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
    // werift keeps 90% of what arrives: the rest it NACKs, and the server sends it again.
    const pc = loopbackPeer({ debug: { inboundPacketLoss: 90 } });
    const received: RtpPacket[] = [];
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp.clone())));
    let left = false;
    try {
      client.send({ type: 'watch', id: 'm1', camera: 'demo' });
      const offer = await client.next('offer');
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      client.send({ type: 'answer', id: 'm1', sdp: pc.localDescription!.sdp });
      await waitFor(() => received.length > 0, 'the first packet', 15_000);
      await new Promise((r) => setTimeout(r, WATCH_MS));

      const { metrics } = await scrape(port);
      const demo = { camera: 'demo' };
      assert.equal(sampleValue(metrics, 'camrtc_camera_state', { camera: 'demo', state: 'live' }), 1);
      assert.equal(sampleValue(metrics, 'camrtc_camera_state', { camera: 'demo', state: 'idle' }), 0);
      const packetsIn = sampleValue(metrics, 'camrtc_camera_packets_in_total', demo);
      const bytesIn = sampleValue(metrics, 'camrtc_camera_bytes_in_total', demo);
      // About 5 s of 25 fps video (a frame is one or more packets) and 50 audio packets per second.
      assert.ok(packetsIn > 250, `packets in: ${packetsIn}`);
      assert.ok(bytesIn > packetsIn * 12, `bytes in: ${bytesIn}`);
      const bitrate = sampleValue(metrics, 'camrtc_camera_bitrate_in_bits_per_second', demo);
      assert.ok(bitrate > 64_000 && bitrate < 50_000_000, `bitrate in: ${bitrate} bit/s`);
      assert.equal(sampleValue(metrics, 'camrtc_camera_packets_lost_total', demo), 0, 'RTSP over TCP on loopback loses nothing');
      assert.equal(sampleValue(metrics, 'camrtc_camera_reconnects_total', demo), 0);
      assert.ok(sampleValue(metrics, 'camrtc_camera_keyframes_total', demo) >= 3);
      const interval = sampleValue(metrics, 'camrtc_camera_keyframe_interval_seconds', demo);
      assert.ok(Math.abs(interval - DEMO_KEYFRAME_INTERVAL_S) < 0.25, `keyframe interval ${interval} s`);
      assert.equal(sampleValue(metrics, 'camrtc_camera_viewers', demo), 1);
      assert.equal(sampleValue(metrics, 'camrtc_camera_viewers', { camera: 'offline' }), 0);
      assert.equal(sampleValue(metrics, 'camrtc_viewers'), 1);

      // What the viewer got is at most what was sent: RTP header and payload of each packet.
      const receivedBytes = new Map(received.map((p) => [`${p.header.ssrc}:${p.header.sequenceNumber}`, 12 + p.payload.length]));
      const bytesOut = sampleValue(metrics, 'camrtc_bytes_out_total');
      const packetsOut = sampleValue(metrics, 'camrtc_packets_out_total');
      let sum = 0;
      for (const n of receivedBytes.values()) sum += n;
      assert.ok(bytesOut >= sum && bytesOut < sum * 1.5, `bytes out ${bytesOut}, the viewer received ${sum} distinct`);
      assert.ok(packetsOut >= receivedBytes.size, `packets out ${packetsOut}, received ${receivedBytes.size} distinct`);
      const nacks = sampleValue(metrics, 'camrtc_nacks_received_total');
      const retransmissions = sampleValue(metrics, 'camrtc_retransmissions_total');
      assert.ok(nacks > 0, 'the viewer NACKed what it lost');
      assert.ok(retransmissions > 0 && retransmissions <= packetsOut, `retransmissions: ${retransmissions}`);

      assert.equal(sampleValue(metrics, 'camrtc_time_to_first_frame_seconds_count'), 1);
      const firstFrame = sampleValue(metrics, 'camrtc_time_to_first_frame_seconds_sum');
      assert.ok(firstFrame > 0 && firstFrame < 10, `first frame after ${firstFrame} s`);
      assert.equal(sampleValue(metrics, 'camrtc_time_to_first_frame_seconds_bucket', { le: '+Inf' }), 1);
      assert.equal(sampleValue(metrics, 'camrtc_time_to_live_picture_seconds_count'), 1);
      const livePicture = sampleValue(metrics, 'camrtc_time_to_live_picture_seconds_sum');
      assert.ok(livePicture >= firstFrame && livePicture < 10, `live picture after ${livePicture} s, first frame after ${firstFrame} s`);

      client.send({ type: 'stop', id: 'm1' });
      await client.close();
      await pc.close();
      left = true;
      let after: Exposition = metrics;
      await waitForAsync(async () => {
        after = (await scrape(port)).metrics;
        return sampleValue(after, 'camrtc_viewers') === 0;
      }, 'no viewer after the client left');
      assert.equal(sampleValue(after, 'camrtc_camera_viewers', demo), 0);
      // Counters of a viewer that left stay in the totals: a counter never goes back.
      assert.ok(sampleValue(after, 'camrtc_bytes_out_total') >= bytesOut);
      assert.ok(sampleValue(after, 'camrtc_nacks_received_total') >= nacks);
      assert.ok(sampleValue(after, 'camrtc_retransmissions_total') >= retransmissions);
      assert.equal(sampleValue(after, 'camrtc_time_to_first_frame_seconds_count'), 1, 'observed once per viewer');
      assert.ok(sampleValue(after, 'camrtc_camera_packets_in_total', demo) >= packetsIn);
    } finally {
      if (!left) {
        await client.close();
        await pc.close();
      }
    }
  });

  it('a blocked event loop shows in the event-loop delay at the next scrape', async () => {
    const until = performance.now() + 250;
    while (performance.now() < until) {
      // Busy: what a synchronous burst of work (a big GOP replay, a slow handler) does to the loop.
    }
    const { metrics } = await scrape(port);
    const max = sampleValue(metrics, 'camrtc_eventloop_delay_max_seconds');
    assert.ok(max >= 0.2 && max < 5, `longest delay ${max} s`);
    for (const quantile of ['0.5', '0.9', '0.99']) assert.ok(sampleValue(metrics, 'camrtc_eventloop_delay_seconds', { quantile }) < max + 0.001);
  });

  it('an unreachable camera: its failures by code, its reconnects, its state', async () => {
    // Refused at once; retried after 0.5 s, 1 s, ... (Backoff).
    let metrics: Exposition | undefined;
    await waitForAsync(async () => {
      metrics = (await scrape(port)).metrics;
      return sampleValue(metrics, 'camrtc_camera_reconnects_total', { camera: 'offline' }) >= 1;
    }, 'a reconnect of the unreachable camera');
    const errors = sampleValue(metrics!, 'camrtc_rtsp_errors_total', { camera: 'offline', code: 'ERR_RTSP_CONNECT' });
    assert.ok(errors >= 1, `connection failures: ${errors}`);
    assert.ok(!metrics!.samples.some((s) => s.name === 'camrtc_rtsp_errors_total' && s.labels.camera === 'demo'), 'the demo camera never failed');
    const state = CAMERA_STATES.filter((s) => sampleValue(metrics!, 'camrtc_camera_state', { camera: 'offline', state: s }) === 1);
    assert.equal(state.length, 1, 'one state at a time');
    assert.ok(['retrying', 'connecting'].includes(state[0]), state[0]);
    assert.equal(sampleValue(metrics!, 'camrtc_camera_packets_in_total', { camera: 'offline' }), 0);
  });
});

describe('/metrics: who may read it', () => {
  it('with an auth section: anonymous 401, a user without `metrics` 403, a user with it 200, a wrong password 401', async () => {
    const app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'silent',
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
        auth: {
          users: [
            { name: 'prometheus', passwordHash: await hashPassword('scrape me', 'scrypt'), permissions: { metrics: true } },
            { name: 'alice', passwordHash: await hashPassword('correct horse', 'scrypt'), permissions: { view: ['*'], admin: true } },
          ],
        },
      }),
      { logger: silentLogger() },
    );
    try {
      const get = (headers: Record<string, string> = {}) => rawRequest({ port: app.port, path: '/metrics', headers: { Host: `127.0.0.1:${app.port}`, ...headers } });
      const anonymous = await get();
      assert.equal(anonymous.status, 401, 'loopback is no proof once an auth section exists');
      assert.equal(anonymous.headers['x-camrtc-error'], 'ERR_AUTH_REQUIRED');
      assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="camrtc"/);
      assert.equal(anonymous.body, 'log in to read the metrics of this server');
      assert.doesNotMatch(anonymous.body, /camrtc_/);

      const alice = await get({ Authorization: basic('alice', 'correct horse') });
      assert.equal(alice.status, 403);
      assert.equal(alice.headers['x-camrtc-error'], 'ERR_FORBIDDEN');
      assert.equal(alice.body, 'not allowed to read the metrics of this server');

      const wrong = await get({ Authorization: basic('prometheus', 'guess') });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['x-camrtc-error'], 'ERR_AUTH_INVALID');
      assert.doesNotMatch(wrong.body, /guess/);

      const scraper = await get({ Authorization: basic('prometheus', 'scrape me') });
      assert.equal(scraper.status, 200);
      assert.equal(sampleValue(parseExposition(scraper.body), 'camrtc_camera_state', { camera: 'demo', state: 'idle' }), 1);
      assert.deepEqual(app.demoCamera!.requests, [], 'scraping starts no camera');
    } finally {
      await app.close();
    }
  });

  it('without an auth section: a client on another address than loopback gets 401', async (t) => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!address) return t.skip('this machine has no IPv4 address besides loopback');
    const app = await App.start(
      loadConfig({ host: address, port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: [address], udpPort: 0 } }),
      { logger: silentLogger() },
    );
    try {
      // From the machine's own LAN address to itself: not loopback, as a LAN client would be.
      const res = await new Promise<RawResponse>((resolve, reject) => {
        const req = request({ host: address, port: app.port, path: '/metrics', localAddress: address, agent: false, timeout: 10_000 }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers['x-camrtc-error'], 'ERR_AUTH_REQUIRED');
      assert.equal(res.body, 'log in to read the metrics of this server');
      // The cameras stay open to the same client: only the metrics are kept to loopback.
      const cameras = await new Promise<number>((resolve, reject) => {
        request({ host: address, port: app.port, path: '/api/cameras', localAddress: address, agent: false }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(cameras, 200);
    } finally {
      await app.close();
    }
  });
});

async function waitForAsync(condition: () => Promise<boolean>, what: string, deadlineMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > deadlineMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
