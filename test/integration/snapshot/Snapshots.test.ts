/**
 * Snapshots against a camera the test drives: the cached GOP's last picture (H.265 and H.264), at
 * the asked width; pollers at the same moment share one ffmpeg run; a camera that is not live is
 * started and its first keyframe awaited; a failing camera answers at once with its reason; no
 * picture in time, a recording, no ffmpeg: each its code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { findFfmpeg } from '../../../server/src/audio/ffmpeg.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { annexB, frameNalus } from '../../../server/src/rtp/depayload.js';
import { JPEG_QUALITY } from '../../../server/src/snapshot/JpegJob.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { Snapshots } from '../../../server/src/snapshot/Snapshots.js';
import { jpegSize } from '../../helpers/jpeg.js';
import { clipFrames, clipsMissing, makeClip } from '../../helpers/videoClips.js';
import { FakeCamera, h264Track } from '../webrtc/helpers/FakeCamera.js';

const h265Track: Track = { ...h264Track(0), codec: 'H265', fmtp: {} };
const missing = clipsMissing('H265') ?? clipsMissing('H264');

describe('Snapshots (real ffmpeg)', { skip: missing }, () => {
  const hevc = clipFrames('H265', makeClip({ codec: 'H265', width: 480, height: 270, frames: 12, gop: 12 }));
  const avc = clipFrames('H264', makeClip({ codec: 'H264', width: 320, height: 240, frames: 6, gop: 6 }));

  it("a live H.265 camera: the GOP's last picture, full size or scaled", async () => {
    const camera = new FakeCamera('cam', [h265Track]);
    camera.gop = hevc;
    const snapshots = new Snapshots({ logger: silentLogger() });
    try {
      const full = await snapshots.take(camera);
      assert.deepEqual(jpegSize(full.jpeg), { width: 480, height: 270 });
      // The very JPEG ffmpeg makes of the clip's last picture (same decoder, same encoder settings).
      const clip = Buffer.concat(hevc.map((f) => annexB(frameNalus('H265', f.payloads) as Buffer[])));
      const last = spawnSync(findFfmpeg()!, ['-v', 'error', '-f', 'hevc', '-i', 'pipe:0', '-vf', `select=eq(n\\,${hevc.length - 1})`, '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', String(JPEG_QUALITY), '-f', 'image2pipe', 'pipe:1'], { input: clip });
      assert.ok(last.stdout.length > 0, last.stderr.toString());
      assert.ok(full.jpeg.equals(last.stdout), 'the last picture of the GOP');
      const small = await snapshots.take(camera, 160);
      assert.deepEqual(jpegSize(small.jpeg), { width: 160, height: 90 });
      const larger = await snapshots.take(camera, 1000);
      assert.deepEqual(jpegSize(larger.jpeg), { width: 480, height: 270 }, 'never scaled up');
      assert.equal(camera.leases.size, 0, 'no lease left behind');
    } finally {
      snapshots.close();
    }
  });

  it('pollers at the same moment share one run; a JPEG under a second old is answered again', async () => {
    const camera = new FakeCamera('cam', [h264Track(0)]);
    camera.gop = avc;
    const snapshots = new Snapshots({ logger: silentLogger(), encoders: { maxSpares: 0 } });
    try {
      const [a, b, c] = await Promise.all([snapshots.take(camera), snapshots.take(camera), snapshots.take(camera)]);
      assert.equal(a, b);
      assert.equal(a, c);
      assert.equal(camera.leases.size, 0);
      assert.deepEqual(jpegSize(a.jpeg), { width: 320, height: 240 });
      assert.equal((await snapshots.take(camera)).jpeg, a.jpeg);
    } finally {
      snapshots.close();
    }
  });

  it('a camera that is not live is started, its first keyframe awaited, and the lease released', async () => {
    const camera = new FakeCamera('cam', [h264Track(0)]);
    const snapshots = new Snapshots({ logger: silentLogger() });
    try {
      const taking = snapshots.take(camera);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(camera.leases.size, 1, 'a lease starts the camera');
      camera.setStatus({ state: 'live' });
      camera.push(avc[1]); // a P-frame first: not a picture on its own
      camera.push(avc[0]);
      const shot = await taking;
      assert.deepEqual(jpegSize(shot.jpeg), { width: 320, height: 240 });
      assert.equal(camera.leases.size, 0);
    } finally {
      snapshots.close();
    }
  });

  it('a failing camera: ERR_CAMERA_OFFLINE at once with its reason; no picture in time: ERR_CAMERA_OFFLINE too', async () => {
    const snapshots = new Snapshots({ logger: silentLogger(), waitMs: 300 });
    try {
      const down = new FakeCamera('down', [h264Track(0)]);
      down.setStatus({ state: 'retrying', error: { code: 'ERR_RTSP_CONNECT', message: 'connection refused by 192.0.2.1:554' } });
      const started = performance.now();
      await assert.rejects(snapshots.take(down), (err: { code?: string; message?: string; details?: Record<string, unknown> }) => {
        assert.equal(err.code, 'ERR_CAMERA_OFFLINE');
        assert.match(err.message ?? '', /camera 'down' gives no picture: connection refused/);
        assert.equal(err.details?.cause, 'ERR_RTSP_CONNECT');
        return true;
      });
      assert.ok(performance.now() - started < 200, 'at once, not after the wait');

      const failsLater = new FakeCamera('later', [h264Track(0)]);
      const taking = snapshots.take(failsLater);
      failsLater.setStatus({ state: 'retrying', error: { code: 'ERR_RTSP_AUTH', message: 'the camera refused the credentials' } });
      await assert.rejects(taking, /refused the credentials/);

      const silent = new FakeCamera('silent', [h264Track(0)]);
      silent.setStatus({ state: 'waiting' });
      await assert.rejects(snapshots.take(silent), /no picture within 0.3 s \(state waiting\)/);
      assert.equal(silent.leases.size, 0);
    } finally {
      snapshots.close();
    }
  });

  it('a recording is refused (409), and without ffmpeg every snapshot is ERR_FFMPEG_MISSING', async () => {
    const snapshots = new Snapshots({ logger: silentLogger() });
    const recording = new FakeCamera('rec', [h264Track(0)]);
    recording.seekable = true;
    await assert.rejects(snapshots.take(recording), (err: { code?: string; details?: Record<string, unknown> }) => err.code === 'ERR_REQUEST_INVALID' && err.details?.status === 409);
    snapshots.close();
    const none = new Snapshots({ logger: silentLogger(), ffmpeg: () => undefined });
    const camera = new FakeCamera('cam', [h264Track(0)]);
    camera.gop = avc;
    await assert.rejects(none.take(camera), (err: { code?: string }) => err.code === 'ERR_FFMPEG_MISSING');
    assert.equal(camera.leases.size, 0, 'the camera is not even started');
    none.close();
  });
});
