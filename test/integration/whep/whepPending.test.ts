/**
 * A hostile WHEP client (issue 14): POSTs offers and never completes ICE. Each such session holds a
 * peer connection until the connect timeout; from one address at most MAX_PENDING_WHEP_PER_ADDRESS
 * may wait at once, the next gets 429 with Retry-After, a viewer from another address still gets its
 * answer and plays, and the slots come back when the timeout ends the sessions.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { createHttpApp } from '../../../server/src/http/HttpServer.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { MAX_PENDING_WHEP_PER_ADDRESS, WhepEndpoint } from '../../../server/src/whep/WhepEndpoint.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { distPath, repoRoot } from '../../helpers/paths.js';
import { rawRequest } from '../../helpers/rawHttp.js';
import { FakeCamera, FakeDirectory, h264Track } from '../webrtc/helpers/FakeCamera.js';
import { H264FrameSource } from '../webrtc/helpers/h264Frames.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const CONNECT_TIMEOUT_MS = 2_000;

async function recvOffer(pc: RTCPeerConnection): Promise<string> {
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription!.sdp;
}

describe('WHEP sessions that never connect, from one address', () => {
  const camera = new FakeCamera('front', [h264Track(0)]);
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  let whep: WhepEndpoint;
  let http: Server;
  let port: number;
  const hostile = loopbackPeer();
  const browser = loopbackPeer();
  let hostileOffer: string;

  before(async () => {
    const cameras = new FakeDirectory([camera]);
    whep = new WhepEndpoint({ cameras, logger: silentLogger(), peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }), connectTimeoutMs: CONNECT_TIMEOUT_MS });
    http = createServer(createHttpApp({ cameras, webRoot: distPath('public'), logger: silentLogger(), whep }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    // One offer posted again and again: each POST is its own session on the server, none connects.
    hostileOffer = await recvOffer(hostile);
  });

  after(async () => {
    await whep.close();
    await hostile.close();
    await browser.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  const post = (sdp: string, localAddress: string) =>
    rawRequest({ port, path: '/whep/front', method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp, localAddress });

  it(`${MAX_PENDING_WHEP_PER_ADDRESS} unconnected sessions from 127.0.0.1 are answered; the next gets 429 with Retry-After`, async () => {
    for (let i = 0; i < MAX_PENDING_WHEP_PER_ADDRESS; i++) {
      const res = await post(hostileOffer, '127.0.0.1');
      assert.equal(res.status, 201, res.body);
    }
    const refused = await post(hostileOffer, '127.0.0.1');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '5');
    assert.equal(refused.headers['x-camrtc-error'], 'ERR_LIMIT');
    assert.match(refused.body, new RegExp(`at most ${MAX_PENDING_WHEP_PER_ADDRESS} WHEP sessions per client address may be waiting to connect`));
    assert.equal(whep.sessionCount, MAX_PENDING_WHEP_PER_ADDRESS);
  });

  it('a viewer from another address gets its answer and plays meanwhile', async () => {
    const res = await post(await recvOffer(browser), '127.0.0.2');
    assert.equal(res.status, 201, res.body);
    const received: RtpPacket[] = [];
    browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp)));
    await browser.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => browser.connectionState === 'connected', 'the viewer connected');
    for (let i = 0; i < 100 && received.length === 0; i++) {
      camera.push(clip.nextFrame());
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(received.length > 0, 'the viewer receives the camera');
  });

  it('the connect timeout ends the unconnected sessions and gives their slots back', async () => {
    await waitFor(() => whep.sessionCount === 1, 'only the connected session is left', CONNECT_TIMEOUT_MS + 5_000);
    const res = await post(hostileOffer, '127.0.0.1');
    assert.equal(res.status, 201, res.body);
  });
});
