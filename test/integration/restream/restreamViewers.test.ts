/**
 * RTSP clients of the restream are viewers like the browsers: the control API lists them (transport
 * `rtsp`, address, duration, what they were sent, what their receiver reports say) and disconnects
 * them (their session and connection end), and /metrics counts them. Through the App, as a user
 * meets them.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { parseRtcp, RTCP_SR } from '../../../server/src/rtp/rtcp.js';
import { serializeInterleaved } from '../../../server/src/rtsp/message.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { rtpSsrc } from '../../helpers/rtspTestClient.js';
import { framesWithin, playCamera } from './restreamRig.js';

interface ViewerJson {
  id: string;
  transport: string;
  address: string | null;
  durationSeconds: number;
  connection: string;
  playback: string;
  bytesSent: number;
  packetsSent: number;
  framesSent: number;
  packetsLost: number | null;
  fractionLost: number | null;
  rttMs: number | null;
}

/** A receiver report about `ssrc`: 64/256 lost lately, 7 in all, echoing the SR whose NTP middle bits are `lsr`, held 0 s. */
function receiverReport(ssrc: number, lsr: number): Buffer {
  const rr = Buffer.alloc(32);
  rr[0] = 0x81;
  rr[1] = 201;
  rr.writeUInt16BE(7, 2);
  rr.writeUInt32BE(0x1234, 4);
  rr.writeUInt32BE(ssrc, 8);
  rr[12] = 64;
  rr.writeUIntBE(7, 13, 3);
  rr.writeUInt32BE(lsr, 24);
  return rr;
}

/** The value of a metric line in Prometheus text, or undefined. */
function metric(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('RTSP restream clients in the viewer list and the metrics', () => {
  let app: App;
  let port: number;
  before(async () => {
    app = await App.start(loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'] } }), { logger: silentLogger() });
    port = Number(/:(\d+)\/NAME$/.exec(app.rtspUrl!)![1]);
  });
  after(async () => {
    await app.close();
  });

  const viewers = async (): Promise<ViewerJson[]> => {
    const res = await fetch(`${app.url}/api/cameras/demo/viewers`);
    assert.equal(res.status, 200);
    return (await res.json()) as ViewerJson[];
  };
  const metrics = async (): Promise<string> => (await fetch(`${app.url}/metrics`)).text();

  it('a playing RTSP client is listed (rtsp, its address, what it got, its RTCP loss and round trip) and counted; DELETE ends its session and connection', async () => {
    const p = await playCamera(port, 'demo');
    try {
      const video = await framesWithin(p.client, 0, 30);
      // Its first sender report (video, channel 1), echoed in a receiver report as a player would.
      const [sr] = await framesWithin(p.client, 1, 1, 5000);
      const items = parseRtcp(sr);
      assert.ok(!(items instanceof CamrtcError));
      const info = items.find((i) => i.packetType === RTCP_SR)!.senderInfo!;
      const lsr = (((info.ntpSeconds & 0xffff) << 16) | (info.ntpFraction >>> 16)) >>> 0;
      p.client.socket.write(serializeInterleaved(1, receiverReport(rtpSsrc(video[0]), lsr)));

      let list: ViewerJson[] = [];
      const deadline = Date.now() + 3000;
      while ((list = await viewers())[0]?.packetsLost === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(list.length, 1, JSON.stringify(list));
      const listed = list[0];
      assert.deepEqual([listed.transport, listed.address, listed.connection, listed.playback], ['rtsp', '127.0.0.1', 'connected', 'playing']);
      assert.match(listed.id, /^[0-9a-f]{16}$/);
      assert.ok(listed.packetsSent >= 30 && listed.bytesSent > listed.packetsSent && listed.framesSent > 0, JSON.stringify(listed));
      assert.equal(listed.packetsLost, 7);
      assert.equal(listed.fractionLost, 0.25);
      // Since the report went out, on loopback: a few ms to a second (the report may be up to 2 s old: the client held it).
      assert.ok(listed.rttMs !== null && listed.rttMs >= 0 && listed.rttMs < 3000, `rtt ${listed.rttMs}`);
      assert.ok(!JSON.stringify(list).includes(p.session), 'the RTSP session id (which tears the session down) is not shown');

      const text = await metrics();
      assert.equal(metric(text, 'camrtc_camera_viewers{camera="demo"}'), 1);
      assert.equal(metric(text, 'camrtc_camera_restream_clients{camera="demo"}'), 1);
      assert.equal(metric(text, 'camrtc_viewers'), 1);
      assert.ok((metric(text, 'camrtc_restream_bytes_out_total') ?? 0) > 0);

      const closed = once(p.client.socket, 'close');
      const res = await fetch(`${app.url}/api/cameras/demo/viewers/${listed.id}`, { method: 'DELETE' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { id: listed.id, disconnected: true });
      await closed;
      assert.deepEqual(await viewers(), []);
      const after = await metrics();
      assert.equal(metric(after, 'camrtc_camera_restream_clients{camera="demo"}'), 0);
      assert.equal(metric(after, 'camrtc_camera_viewers{camera="demo"}'), 0);
      assert.ok((metric(after, 'camrtc_restream_bytes_out_total') ?? 0) >= (metric(text, 'camrtc_restream_bytes_out_total') ?? 0), 'the bytes of a client that left stay counted');
      assert.equal((await fetch(`${app.url}/api/cameras/demo/viewers/${listed.id}`, { method: 'DELETE' })).status, 404);
    } finally {
      p.client.close();
    }
  });

  it('a paused client is listed as paused; TEARDOWN takes it off the list', async () => {
    const p = await playCamera(port, 'demo');
    try {
      await framesWithin(p.client, 0, 5);
      assert.equal((await p.client.request('PAUSE', `rtsp://127.0.0.1:${port}/demo`, { Session: p.session })).status, 200);
      assert.deepEqual((await viewers()).map((v) => [v.transport, v.playback]), [['rtsp', 'paused']]);
      assert.equal((await p.client.request('TEARDOWN', `rtsp://127.0.0.1:${port}/demo`, { Session: p.session })).status, 200);
      assert.deepEqual(await viewers(), []);
    } finally {
      p.client.close();
    }
  });
});
