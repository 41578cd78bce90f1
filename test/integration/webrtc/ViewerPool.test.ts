import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { CameraSource } from '../../../server/src/media/CameraSource.js';
import { ViewerPool } from '../../../server/src/webrtc/ViewerPool.js';
import { h264Track } from './helpers/FakeCamera.js';
import { waitFor } from './helpers/waitFor.js';

function camera(name: string): CameraSource {
  return { name, requestKeyframe: () => undefined } as unknown as CameraSource;
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
});
