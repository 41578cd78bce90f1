import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GopCache, MAX_GOP_BYTES, MAX_GOP_FRAMES } from '../../../server/src/media/GopCache.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';

function frame(keyframe: boolean, timestamp: number, generation = 1, size = 10): MediaFrame {
  return { trackIndex: 0, kind: 'video', timestamp, keyframe, payloads: [Buffer.alloc(size)], generation, receivedAt: timestamp / 90 };
}

describe('GopCache: the current GOP for new viewers', () => {
  it('holds the last keyframe and every frame after it; a new keyframe starts over', () => {
    const c = new GopCache();
    c.push(frame(false, 0)); // P-frame before any keyframe: useless to a new decoder
    assert.equal(c.size, 0);
    const k1 = frame(true, 3000);
    c.push(k1);
    c.push(frame(false, 6000));
    assert.deepEqual(c.frames().map((f) => f.timestamp), [3000, 6000]);
    assert.equal(c.frames()[0], k1, 'the shared frame object, not a copy');
    c.push(frame(true, 9000));
    c.push(frame(false, 12000));
    assert.deepEqual(c.frames().map((f) => f.timestamp), [9000, 12000]);
  });

  it('frames() is a snapshot: later pushes do not change what a viewer is replaying', () => {
    const c = new GopCache();
    c.push(frame(true, 0));
    const snap = c.frames();
    c.push(frame(false, 3000));
    assert.equal(snap.length, 1);
  });

  it('a P-frame of another camera session empties the cache (no mixing generations)', () => {
    const c = new GopCache();
    c.push(frame(true, 0, 1));
    c.push(frame(false, 3000, 2));
    assert.equal(c.size, 0);
    c.push(frame(false, 6000, 2));
    assert.equal(c.size, 0, 'stays empty until the next keyframe');
  });

  it('a GOP over the frame or byte limit is dropped, and the next keyframe starts a new one', () => {
    const c = new GopCache();
    c.push(frame(true, 0));
    for (let i = 1; i < MAX_GOP_FRAMES; i++) c.push(frame(false, i));
    assert.equal(c.size, MAX_GOP_FRAMES);
    c.push(frame(false, MAX_GOP_FRAMES));
    assert.equal(c.size, 0);
    c.push(frame(true, 0, 1, MAX_GOP_BYTES - 5));
    c.push(frame(false, 1, 1, 10));
    assert.equal(c.size, 0, 'byte limit');
    assert.equal(c.bytes, 0);
  });
});
