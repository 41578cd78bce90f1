/**
 * The snapshot encoders (real ffmpeg): at most `maxBusy` run at once and the others wait their turn
 * (or time out with ERR_TIMEOUT), a spare per recent width is left waiting after a run and used by
 * the next one, and close() ends every process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findFfmpeg } from '../../../server/src/audio/ffmpeg.js';
import { annexB, frameNalus } from '../../../server/src/rtp/depayload.js';
import { JpegEncoders } from '../../../server/src/snapshot/JpegEncoders.js';
import { LAST_PICTURE_SECONDS } from '../../../server/src/snapshot/JpegJob.js';
import { muxTs } from '../../../server/src/snapshot/mpegTs.js';
import { jpegSize } from '../../helpers/jpeg.js';
import { clipFrames, clipsMissing, makeClip } from '../../helpers/videoClips.js';

describe('JpegEncoders (real ffmpeg)', { skip: clipsMissing('H264') }, () => {
  const frame = clipFrames('H264', makeClip({ codec: 'H264', width: 160, height: 96, frames: 1, gop: 1 }))[0];
  const ts = muxTs('H264', [{ annexB: annexB(frameNalus('H264', frame.payloads) as Buffer[]), pts: LAST_PICTURE_SECONDS * 90_000 }]);
  const ffmpeg = findFfmpeg()!;

  it('runs at most maxBusy at once, queues the rest, keeps one spare per recent width, ends them all on close', async () => {
    const encoders = new JpegEncoders({ maxBusy: 1, maxSpares: 2 });
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, encoders.busy)), 1);
    try {
      const results = await Promise.all([undefined, 80, undefined].map((w) => encoders.encode(ffmpeg, ts, w, performance.now() + 10_000)));
      assert.deepEqual(results.map((r) => jpegSize(r.jpeg)), [{ width: 160, height: 96 }, { width: 80, height: 48 }, { width: 160, height: 96 }]);
      assert.equal(peak, 1);
      assert.equal(encoders.spares, 2, 'one spare for the full size, one for width 80');
      await encoders.encode(ffmpeg, ts, 40, performance.now() + 10_000);
      assert.equal(encoders.spares, 2, 'the least recently asked width gave its place');
    } finally {
      clearInterval(watch);
      encoders.close();
    }
    assert.equal(encoders.spares, 0);
    await assert.rejects(encoders.encode(ffmpeg, ts, undefined, performance.now() + 1000), (err: { code?: string }) => err.code === 'ERR_CLOSED');
  });

  it('a snapshot that cannot get an encoder before its deadline fails with ERR_TIMEOUT', async () => {
    const encoders = new JpegEncoders({ maxBusy: 1, maxSpares: 0 });
    try {
      const first = encoders.encode(ffmpeg, ts, undefined, performance.now() + 10_000);
      await assert.rejects(encoders.encode(ffmpeg, ts, undefined, performance.now() + 1), (err: { code?: string }) => err.code === 'ERR_TIMEOUT');
      assert.ok(jpegSize((await first).jpeg));
    } finally {
      encoders.close();
    }
  });
});
