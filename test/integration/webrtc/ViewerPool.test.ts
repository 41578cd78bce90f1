import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { Camera } from '../../../server/src/media/Camera.js';
import { MAX_RESERVATIONS_PER_CAMERA, ViewerPool } from '../../../server/src/webrtc/ViewerPool.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { h264Track } from './helpers/FakeCamera.js';
import { waitFor } from './helpers/waitFor.js';

function camera(name: string): Camera {
  return { name, requestKeyframe: () => undefined } as unknown as Camera;
}

const network = { hostAddresses: ['127.0.0.1'] };

describe('ViewerPool', () => {
  it('hands its spare out once, with the offer it made in advance', async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger() });
    const cam = camera('front');
    const tracks = [h264Track(0, '42e01f')];
    try {
      pool.prepare(cam, tracks, false);
      pool.prepare(cam, tracks, false);
      assert.equal(pool.size, 1, 'one spare per camera');
      const spare = pool.take(cam, tracks, false);
      assert.ok(spare);
      assert.match(await spare.offer, /a=setup:active/);
      assert.equal(pool.take(cam, tracks, false), undefined, 'taken');
      assert.equal(pool.take(camera('back'), tracks, false), undefined, 'another camera has none');
      await spare.viewer.close();
    } finally {
      await pool.close();
    }
  });

  it('a camera that restarted with other tracks gets no stale spare; the spare is closed', async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger() });
    const cam = camera('front');
    try {
      pool.prepare(cam, [h264Track(0, '42e01f')], false);
      assert.equal(pool.take(cam, [h264Track(0, '640028')], false), undefined);
      assert.equal(pool.size, 0);
    } finally {
      await pool.close();
    }
  });

  it('prepareLater makes the spare after the delay, once, and close() cancels what is scheduled', async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger() });
    const tracks = [h264Track(0, '42e01f')];
    try {
      pool.prepareLater(camera('a'), tracks, false, 30);
      pool.prepareLater(camera('a'), tracks, false, 30);
      assert.equal(pool.size, 0, 'not yet');
      await waitFor(() => pool.size === 1, 'the spare is made after the delay', 2000);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(pool.size, 1, 'one spare, however often it was asked for');
      pool.prepareLater(camera('b'), tracks, false, 30);
    } finally {
      await pool.close();
    }
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(pool.size, 0, 'nothing made after close()');
  });

  it('a spare nobody takes is closed after idleMs; close() closes the rest', async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger(), idleMs: 50 });
    const tracks = [h264Track(0, '42e01f')];
    pool.prepare(camera('a'), tracks, false);
    await waitFor(() => pool.size === 0, 'the idle spare expired', 2000);
    pool.prepare(camera('b'), tracks, false);
    await pool.close();
    assert.equal(pool.size, 0);
    pool.prepare(camera('c'), tracks, false);
    assert.equal(pool.size, 0, 'a closed pool makes no spares');
  });

  it("reserve() hands out the camera's spare as a page offer, claimed once by its ticket", async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger() });
    const cam = camera('front');
    const tracks = [h264Track(0, '42e01f')];
    try {
      pool.prepare(cam, tracks, false);
      const page = await pool.reserve(cam, tracks);
      assert.ok(page, 'a page offer');
      assert.equal(pool.size, 0, 'made from the spare');
      assert.equal(pool.reservedCount, 1);
      assert.match(page.ticket, /^[A-Za-z0-9_-]{22}$/, '128 random bits, base64url');
      assert.match(page.sdp, /a=setup:active\r\n/);
      assert.equal(pool.claim(page.ticket, camera('back'), tracks), undefined, 'not for another camera');
      assert.equal(pool.reservedCount, 0, 'a failed claim uses the ticket up');
      const again = await pool.reserve(cam, tracks);
      assert.ok(again, 'made on the spot when there is no spare');
      assert.notEqual(again.ticket, page.ticket);
      const claimed = pool.claim(again.ticket, cam, tracks);
      assert.ok(claimed);
      assert.equal(await claimed.offer, again.sdp, 'the viewer whose offer the page carries');
      assert.equal(pool.claim(again.ticket, cam, tracks), undefined, 'a ticket is good once');
      await claimed.viewer.close();
    } finally {
      await pool.close();
    }
  });

  it('page offers per camera are limited, expire unclaimed, and close() closes them', async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger(), reservationTtlMs: 300 });
    const tracks = [h264Track(0, '42e01f')];
    const cam = camera('front');
    try {
      const offers = [];
      for (let i = 0; i < MAX_RESERVATIONS_PER_CAMERA; i++) offers.push(await pool.reserve(cam, tracks));
      assert.ok(offers.every((o) => o !== undefined));
      assert.equal(await pool.reserve(cam, tracks), undefined, `at most ${MAX_RESERVATIONS_PER_CAMERA} unclaimed per camera`);
      assert.ok(await pool.reserve(camera('back'), tracks), 'another camera has its own share');
      await waitFor(() => pool.reservedCount === 0, 'unclaimed page offers expire', 3000);
      assert.equal(pool.claim(offers[0]!.ticket, cam, tracks), undefined, 'an expired ticket claims nothing');
      assert.ok(await pool.reserve(cam, tracks), 'room again once they expired');
    } finally {
      await pool.close();
    }
    assert.equal(pool.reservedCount, 0);
    assert.equal(await pool.reserve(cam, tracks), undefined, 'a closed pool makes none');
  });

  it('no page offer for an H.265 camera: the page cannot know whether its browser plays H.265', async () => {
    const pool = new ViewerPool({ iceServers: [], network, logger: silentLogger() });
    const hevc: Track = { ...h264Track(0), codec: 'H265', fmtp: { 'profile-id': '1' } };
    try {
      assert.equal(await pool.reserve(camera('hevc'), [hevc]), undefined);
      assert.equal(pool.reservedCount, 0);
    } finally {
      await pool.close();
    }
  });
});
