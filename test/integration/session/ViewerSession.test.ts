/**
 * The viewer session on its own, with no transport: what it says (typed events, in order) and that a
 * page's answer kept by its claim is applied as soon as the session has the page's viewer, so the
 * browser connects without another message. A werift peer stands in for the browser.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CamrtcError } from '../../../server/src/errors.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { OfferBroker } from '../../../server/src/session/OfferBroker.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { H265_UNSUPPORTED_MESSAGE, ViewerSession, type ViewerSessionEvents } from '../../../server/src/session/ViewerSession.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { FakeCamera, h264Track } from '../webrtc/helpers/FakeCamera.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const peer = peerSettings({ iceHostAddresses: ['127.0.0.1'] });

/** Every event of the session, in order, as [name, first argument]. */
function record(session: ViewerSession): [keyof ViewerSessionEvents, unknown][] {
  const events: [keyof ViewerSessionEvents, unknown][] = [];
  for (const name of ['status', 'offer', 'answer', 'candidate', 'playback', 'failed', 'closed', 'ended'] as const) {
    session.on(name, (...args: unknown[]) => events.push([name, args[0]]));
  }
  return events;
}

describe('ViewerSession', () => {
  it('says status, then the offer once the tracks are known, then playback; close says closed, then ended', async () => {
    const camera = new FakeCamera('front');
    camera.setStatus({ state: 'connecting' });
    const session = new ViewerSession({ id: 's1', camera, h265: false, peer, logger: silentLogger() });
    const events = record(session);
    void session.start();
    assert.deepEqual(events, [['status', { state: 'connecting' }]]);
    assert.equal(camera.leases.size, 1, 'the lease starts the camera before its tracks are known');
    camera.setTracks([h264Track(0)]);
    await waitFor(() => events.some(([name]) => name === 'playback'), 'the offer');
    assert.deepEqual(events.map(([name]) => name), ['status', 'offer', 'playback']);
    assert.match(events[1][1] as string, /H264\/90000/);
    assert.deepEqual(events[2][1], { state: 'playing', seekable: false });
    session.pause();
    assert.deepEqual(events.at(-1), ['playback', { state: 'paused', seekable: false }]);
    assert.deepEqual(camera.pausedLeases.length, 1);
    assert.equal(session.stats().stats.connection, 'new');
    await session.close('bye');
    assert.deepEqual(events.slice(-2), [['closed', 'bye'], ['ended', undefined]]);
    assert.equal(camera.leases.size, 0);
  });

  it('a failure says failed, then closed with its message, then ended', async () => {
    const camera = new FakeCamera('hevc', [{ ...h264Track(0), codec: 'H265', fmtp: {} }]);
    const session = new ViewerSession({ id: 's2', camera, h265: false, peer, logger: silentLogger() });
    const events = record(session);
    await session.start();
    await waitFor(() => events.some(([name]) => name === 'ended'), 'the session ends');
    // The camera's status, then this viewer's own: unplayable here, whatever it is for others.
    assert.deepEqual(events.map(([name]) => name), ['status', 'status', 'failed', 'closed', 'ended']);
    assert.deepEqual(events[1][1], { state: 'unplayable', error: { code: 'ERR_CODEC_UNSUPPORTED', message: H265_UNSUPPORTED_MESSAGE } });
    assert.equal((events[2][1] as CamrtcError).code, 'ERR_CODEC_UNSUPPORTED');
    assert.equal(events[3][1], H265_UNSUPPORTED_MESSAGE);
  });

  it("applies the page's answer its claim kept at once: the browser connects with no further message", async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    const camera = new FakeCamera('front', [h264Track(0)]);
    camera.setStatus({ state: 'live' });
    const browser = loopbackPeer();
    try {
      const page = await broker.pageOffer(camera);
      assert.ok(page);
      await browser.setRemoteDescription({ type: 'offer', sdp: page.sdp });
      await browser.setLocalDescription(await browser.createAnswer());
      const claim = broker.claim(page.ticket);
      assert.equal(claim.answer(browser.localDescription!.sdp, page.ticket), false, 'kept: the session has no viewer yet');
      const session = new ViewerSession({ id: 's3', camera, h265: false, peer, logger: silentLogger(), supply: claim });
      const events = record(session);
      await session.start();
      assert.equal(events.find(([name]) => name === 'offer')?.[1], page.sdp, "the session's offer is the page's");
      await waitFor(() => session.viewer?.state === 'connected', 'the viewer connects on the early answer');
      // Closed only once both ends finished DTLS: werift retransmits a half-done handshake for ~30 s.
      await waitFor(() => browser.connectionState === 'connected', 'the browser connects');
      assert.equal(camera.sinks.size, 1, 'the viewer subscribed to the camera');
      assert.equal(events.some(([name]) => name === 'failed'), false);
      await session.close();
    } finally {
      await browser.close();
      await broker.close();
    }
  });
});
