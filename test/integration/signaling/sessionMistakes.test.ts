/**
 * Mistakes a client makes in a session it is watching (issue 14, hostile input 6), over the real
 * WebSocket with a werift peer as the browser: a second answer, a broken ICE candidate and an answer
 * that is no SDP each get their own error, and the session goes on playing (or waits for a real answer).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection } from 'werift';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

interface Watcher {
  client: TestClient;
  pc: RTCPeerConnection;
  /** Video packets received so far. */
  video: () => number;
  /** The browser's answer to the session's offer (not sent yet). */
  answer: string;
}

describe('signaling mistakes a session survives', () => {
  let app: App;
  const open: Watcher[] = [];

  before(async () => {
    app = await App.start(
      loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 } }),
      { logger: silentLogger() },
    );
  });

  after(async () => {
    for (const w of open) {
      await w.client.close();
      await w.pc.close();
    }
    await app.close();
  });

  /** Watches the demo camera up to the browser's answer, which the test sends (or not). */
  async function watch(id: string): Promise<Watcher> {
    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws`);
    const pc = loopbackPeer();
    let video = 0;
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => track.kind === 'video' && video++));
    client.send({ type: 'watch', id, camera: 'demo' });
    const offer = await client.next('offer');
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    const watcher = { client, pc, video: () => video, answer: pc.localDescription!.sdp };
    open.push(watcher);
    return watcher;
  }

  async function keepsPlaying(w: Watcher, id: string): Promise<void> {
    const before = w.video();
    await waitFor(() => w.video() > before + 20, 'video keeps arriving', 10_000);
    assert.equal(w.client.messages.some((m) => m.type === 'closed' && m.id === id), false, 'the session was not closed');
    w.client.send({ type: 'stats', id });
    const stats = await w.client.next('stats', (m) => m.id === id);
    assert.equal(stats.stats.connection, 'connected');
  }

  it('a second answer gets "already answered" and the session keeps playing', async () => {
    const w = await watch('twice');
    w.client.send({ type: 'answer', id: 'twice', sdp: w.answer });
    await waitFor(() => w.video() > 10, 'video arrives');
    w.client.send({ type: 'answer', id: 'twice', sdp: w.answer });
    const error = await w.client.next('error', (m) => m.id === 'twice');
    assert.deepEqual(error, { type: 'error', id: 'twice', code: 'ERR_SIGNALING_INVALID', message: 'session twice is already answered: the second answer is ignored' });
    await keepsPlaying(w, 'twice');
  });

  it('broken ICE candidates get an error naming the problem and the session keeps playing', async () => {
    const w = await watch('cands');
    w.client.send({ type: 'answer', id: 'cands', sdp: w.answer });
    await waitFor(() => w.video() > 10, 'video arrives');
    const broken: [string, string][] = [
      ['candidate:1 1 udp 2122260223 999.1.1.1 5000 typ host', "its address '999.1.1.1' is not an IPv4 address"],
      ['candidate:1 1 udp 2122260223 127.0.0.1 70000 typ host', "its port '70000' is not a number from 0 to 65535"],
      ['garbage', 'it has 1 fields, a candidate has at least 8 (foundation component transport priority address port typ type)'],
    ];
    for (const [candidate, problem] of broken) {
      w.client.send({ type: 'candidate', id: 'cands', candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
      const error = await w.client.next('error', (m) => m.id === 'cands');
      assert.deepEqual(error, { type: 'error', id: 'cands', code: 'ERR_SIGNALING_INVALID', message: `the ICE candidate is not valid: ${problem}` });
    }
    // A well-formed candidate is still taken without a word.
    w.client.send({ type: 'candidate', id: 'cands', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    await keepsPlaying(w, 'cands');
    assert.equal(w.client.messages.filter((m) => m.type === 'error').length, broken.length);
  });

  it('an answer that is no SDP is refused as such, and the real answer after it plays', async () => {
    const w = await watch('garbage');
    w.client.send({ type: 'answer', id: 'garbage', sdp: 'hello world' });
    const error = await w.client.next('error', (m) => m.id === 'garbage');
    assert.deepEqual(error, { type: 'error', id: 'garbage', code: 'ERR_SIGNALING_INVALID', message: 'the answer is not a session description: line 1 is not <letter>=<value>' });
    w.client.send({ type: 'answer', id: 'garbage', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n' });
    const empty = await w.client.next('error', (m) => m.id === 'garbage');
    assert.equal(empty.message, 'the answer is not a session description: it has no media section (m= line)');
    w.client.send({ type: 'answer', id: 'garbage', sdp: w.answer });
    await waitFor(() => w.video() > 10, 'the real answer plays');
    await keepsPlaying(w, 'garbage');
  });

  it('an answer to a session that answered the client\'s own offer is refused; that session keeps its peer', async () => {
    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws`);
    const pc = loopbackPeer();
    open.push({ client, pc, video: () => 0, answer: '' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    client.send({ type: 'watch', id: 'own', camera: 'demo', offer: pc.localDescription!.sdp });
    const answer = await client.next('answer', (m) => m.id === 'own');
    client.send({ type: 'answer', id: 'own', sdp: answer.sdp });
    const error = await client.next('error', (m) => m.id === 'own');
    assert.deepEqual(error, { type: 'error', id: 'own', code: 'ERR_SIGNALING_INVALID', message: "session own answered the client's offer: it takes no answer" });
    assert.equal(client.messages.some((m) => m.type === 'closed'), false);
  });

  it('WHEP: a PATCH with a broken candidate gets 400 naming the problem; the session stays', async () => {
    const pc = loopbackPeer();
    open.push({ client: await TestClient.open(`ws://127.0.0.1:${app.port}/ws`), pc, video: () => 0, answer: '' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const base = `http://127.0.0.1:${app.port}`;
    const post = await fetch(`${base}/whep/demo`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
    assert.equal(post.status, 201);
    const location = post.headers.get('location')!;
    const fragment = (candidate: string): RequestInit => ({
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: `m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=${candidate}\r\n`,
    });
    const broken = await fetch(`${base}${location}`, fragment('candidate:1 1 udp 2113937151 127.0.0.1 70000 typ host'));
    assert.equal(broken.status, 400);
    assert.equal(await broken.text(), "the ICE candidate is not valid: its port '70000' is not a number from 0 to 65535");
    const good = await fetch(`${base}${location}`, fragment('candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host'));
    assert.equal(good.status, 204, 'the session is still there');
    assert.equal((await fetch(`${base}${location}`, { method: 'DELETE' })).status, 200);
  });
});
