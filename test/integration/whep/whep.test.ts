/**
 * WHEP (RFC 9725) at /whep/NAME on the real server: the HTTP side of the protocol (status codes,
 * headers, trickle PATCH, DELETE, CORS and origin checks). Media over WHEP is asserted by the example
 * app test (test/integration/examples).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { receiverPeer } from '../../../examples/ws-viewer.js';

describe('WHEP endpoint', () => {
  let app: App;
  let base: string;
  before(async () => {
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'silent',
        allowedOrigins: ['http://127.0.0.1:1234'],
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
      }),
      { logger: silentLogger() },
    );
    base = `http://127.0.0.1:${app.port}`;
  });
  after(async () => {
    await app.close();
  });

  async function offer(): Promise<{ sdp: string; close: () => Promise<void> }> {
    const pc = receiverPeer(['127.0.0.1']);
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
  }

  it('POST answers 201 with an SDP answer, Location and Accept-Patch; PATCH takes candidates; DELETE ends it', async () => {
    const client = await offer();
    try {
      const res = await fetch(`${base}/whep/demo`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: client.sdp });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('content-type'), 'application/sdp');
      assert.equal(res.headers.get('accept-patch'), 'application/trickle-ice-sdpfrag');
      const location = res.headers.get('location')!;
      assert.match(location, /^\/whep\/demo\/[a-f0-9]{32}$/);
      const answer = await res.text();
      assert.match(answer, /a=sendonly/);
      assert.match(answer, /H264\/90000/);
      const ufrag = /a=ice-ufrag:(\S+)/.exec(client.sdp)![1];
      const pwd = /a=ice-pwd:(\S+)/.exec(client.sdp)![1];
      const patch = await fetch(`${base}${location}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
        body: `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host\r\na=end-of-candidates\r\n`,
      });
      assert.equal(patch.status, 204, await patch.text());
      const restart = await fetch(`${base}${location}`, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' }, body: 'a=ice-ufrag:new\r\n' });
      assert.equal(restart.status, 422, 'ICE restart is refused, not misapplied');
      assert.equal((await fetch(`${base}${location}`, { method: 'DELETE' })).status, 200);
      assert.equal((await fetch(`${base}${location}`, { method: 'DELETE' })).status, 404);
    } finally {
      await client.close();
    }
  });

  it('unknown camera 404, wrong content type 415, unknown session 404', async () => {
    const unknown = await fetch(`${base}/whep/garage`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\n' });
    assert.equal(unknown.status, 404);
    const json = await fetch(`${base}/whep/demo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    const patch = await fetch(`${base}/whep/demo/${'0'.repeat(32)}`, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: '' });
    assert.equal(patch.status, 404);
  });

  it('an offer with no usable codec is refused with a readable error and a code', async () => {
    const res = await fetch(`${base}/whep/demo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\na=recvonly\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\n',
    });
    assert.ok(res.status === 406 || res.status === 400, `status ${res.status}`);
    assert.ok(['ERR_CODEC_UNSUPPORTED', 'ERR_WEBRTC'].includes(res.headers.get('x-camrtc-error') ?? ''), res.headers.get('x-camrtc-error') ?? 'no code');
    assert.equal(app.cameras.get('demo')?.info().name, 'demo');
  });

  it('CORS: an allowed origin gets the headers (Location exposed); another origin is refused with 403', async () => {
    const preflight = await fetch(`${base}/whep/demo`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:1234', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1234');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-expose-headers') ?? '', /Location/);
    const evil = await fetch(`${base}/whep/demo`, { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/sdp' }, body: 'v=0' });
    assert.equal(evil.status, 403);
    const list = await fetch(`${base}/api/cameras`, { headers: { Origin: 'http://127.0.0.1:1234' } });
    assert.equal(list.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1234');
  });

  it('the /embed page shows the two lines to paste', async () => {
    const res = await fetch(`${base}/embed`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /camrtc-player\.js/);
    assert.match(html, /--allow-origin/);
  });
});
