/**
 * The offer broker without a transport: a camera page's offer, the page's claim on it (the early
 * answer and candidates it keeps, hands over or drops), and the spare made after a viewer connected.
 * Real werift viewers on loopback; the camera is a FakeCamera.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import { OfferBroker, MAX_EARLY_CANDIDATES, SPARE_AFTER_CONNECT_MS, type SuppliedViewer } from '../../../server/src/session/OfferBroker.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import type { IceCandidate } from '../../../shared/protocol.js';
import { FakeCamera, h264Track } from '../webrtc/helpers/FakeCamera.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const peer = peerSettings({ iceHostAddresses: ['127.0.0.1'] });
const candidate = (port: number): IceCandidate => ({ candidate: `candidate:1 1 udp 1 127.0.0.1 ${port} typ host`, sdpMid: '0' });

function liveCamera(name: string): FakeCamera {
  const camera = new FakeCamera(name, [h264Track(0)]);
  camera.setStatus({ state: 'live' });
  return camera;
}

describe('OfferBroker', () => {
  it('makes page offers for live cameras only', async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    try {
      const connecting = new FakeCamera('connecting', [h264Track(0)]);
      connecting.setStatus({ state: 'connecting' });
      assert.equal(await broker.pageOffer(connecting), undefined);
      assert.equal(await broker.pageOffer(new FakeCamera('undescribed')), undefined);
      const offer = await broker.pageOffer(liveCamera('front'));
      assert.ok(offer);
      assert.match(offer.sdp, /a=setup:active/);
    } finally {
      await broker.close();
    }
    assert.equal(await broker.pageOffer(liveCamera('late')), undefined, 'none once closed');
  });

  it("a page's claim keeps the page's answer and the candidates after it, and hands them over with the page's viewer", async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    const camera = liveCamera('front');
    try {
      const page = await broker.pageOffer(camera);
      assert.ok(page);
      const claim = broker.claim(page.ticket);
      assert.equal(claim.candidate(candidate(1)), false, "a candidate before any answer is not the session's");
      assert.equal(claim.answer('v=0 page answer', page.ticket), false, 'kept until the session has its viewer');
      for (let i = 0; i < MAX_EARLY_CANDIDATES + 4; i++) assert.equal(claim.candidate(candidate(1000 + i)), false);
      const supplied = claim.take(camera, camera.knownTracks!, false);
      assert.ok(supplied);
      assert.equal(supplied.origin, 'page');
      assert.equal(await supplied.offer, page.sdp, "the page's very offer");
      assert.equal(supplied.early?.sdp, 'v=0 page answer');
      assert.deepEqual(supplied.early?.candidates, Array.from({ length: MAX_EARLY_CANDIDATES }, (_, i) => candidate(1000 + i)), 'at most MAX_EARLY_CANDIDATES, in order');
      assert.equal(claim.candidate(candidate(2)), true, "from now on candidates are the session's");
      await supplied.viewer.close();
    } finally {
      await broker.close();
    }
  });

  it('an answer to the page offer that comes after the session took its viewer goes to the session', async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    const camera = liveCamera('front');
    try {
      const page = await broker.pageOffer(camera);
      assert.ok(page);
      const claim = broker.claim(page.ticket);
      const supplied = claim.take(camera, camera.knownTracks!, false);
      assert.equal(supplied?.origin, 'page');
      assert.equal(supplied?.early, undefined);
      assert.equal(claim.candidate(candidate(1)), false, 'before the answer: dropped');
      assert.equal(claim.answer('v=0', 'another-ticket'), false, 'an answer to another page offer is ignored');
      assert.equal(claim.answer('v=0', page.ticket), true);
      assert.equal(claim.candidate(candidate(2)), true);
      await supplied?.viewer.close();
    } finally {
      await broker.close();
    }
  });

  it('a ticket is good for one claim; the other session drops the page answer and its candidates until its own answer', async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    const camera = liveCamera('front');
    try {
      const page = await broker.pageOffer(camera);
      assert.ok(page);
      const first = broker.claim(page.ticket);
      const second = broker.claim(page.ticket);
      const firstViewer = first.take(camera, camera.knownTracks!, false);
      assert.equal(firstViewer?.origin, 'page');
      assert.equal(second.answer('v=0', page.ticket), false);
      assert.equal(second.candidate(candidate(1)), false);
      assert.equal(second.take(camera, camera.knownTracks!, false), undefined, 'no page viewer left, no spare: the session makes one');
      assert.equal(second.answer('v=0', page.ticket), false, "the page's answer is ignored");
      assert.equal(second.candidate(candidate(2)), false, "candidates of the page's abandoned connection are dropped");
      assert.equal(second.answer('v=0', undefined), true, "the answer to the session's own offer applies");
      assert.equal(second.candidate(candidate(3)), true);
      await firstViewer?.viewer.close();
    } finally {
      await broker.close();
    }
  });

  it("a camera that restarted with other tracks does not get the page's stale viewer", async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    const camera = liveCamera('front');
    try {
      const page = await broker.pageOffer(camera);
      assert.ok(page);
      const claim = broker.claim(page.ticket);
      assert.equal(claim.take(camera, [h264Track(0, '640028')], false), undefined);
    } finally {
      await broker.close();
    }
  });

  it('a connected viewer makes the camera a spare, later, that the next session takes', async () => {
    const broker = new OfferBroker({ peer, logger: silentLogger() });
    const camera = liveCamera('front');
    const tracks = camera.knownTracks!;
    try {
      broker.connected(camera, tracks, false);
      assert.equal(broker.take(camera, tracks, false), undefined, 'not at once: the first frame comes first');
      await new Promise((r) => setTimeout(r, SPARE_AFTER_CONNECT_MS - 200));
      assert.equal(broker.take(camera, tracks, false), undefined, 'not before SPARE_AFTER_CONNECT_MS');
      let spare: SuppliedViewer | undefined;
      await waitFor(() => (spare = broker.take(camera, tracks, false)) !== undefined, 'the spare', 2000);
      assert.equal(spare?.origin, 'spare');
      assert.match(await spare!.offer, /camrtc-spare-\d+/);
      await spare?.viewer.close();
    } finally {
      await broker.close();
    }
  });
});
