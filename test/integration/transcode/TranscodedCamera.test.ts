/**
 * An H.265 camera as H.264 for the viewers that need it: one ffmpeg shared by every transcoded
 * viewer, started with the first (fed the camera's cached GOP so it starts at once), stopped after
 * the last one's idle time; one lease on the camera; audio passed through; the transcoded GOP
 * replayed to a viewer that joins later; ERR_FFMPEG_MISSING when ffmpeg is absent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameSink } from '../../../server/src/media/Camera.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { frameNalus } from '../../../server/src/rtp/depayload.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { TranscodedCamera } from '../../../server/src/transcode/TranscodedCamera.js';
import { clipFrames, clipsMissing, makeClip } from '../../helpers/videoClips.js';
import { FakeCamera, pcmaTrack } from '../webrtc/helpers/FakeCamera.js';

function h265Track(index = 0): Track {
  return { index, kind: 'video', codec: 'H265', payloadType: 96, clockRate: 90000, fmtp: {}, control: `trackID=${index}`, direction: 'recvonly' };
}

class Collector implements FrameSink {
  readonly frames: MediaFrame[] = [];
  onFrame(frame: MediaFrame): void {
    this.frames.push(frame);
  }
  video(): MediaFrame[] {
    return this.frames.filter((f) => f.kind === 'video');
  }
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const missing = clipsMissing('H265');

describe('TranscodedCamera (real ffmpeg)', { skip: missing }, () => {
  const clip = makeClip({ codec: 'H265', width: 320, height: 180, frames: 20, gop: 10 });

  it('presents H.264 tracks, starts from the cached GOP, shares one transcode, replays its GOP, stops after the idle time', async () => {
    const camera = new FakeCamera('cam', [h265Track(0), pcmaTrack(1)]);
    const frames = clipFrames('H265', clip);
    camera.gop = frames.slice(0, 3); // the camera's cached GOP: keyframe and two frames
    const view = new TranscodedCamera({ inner: camera, logger: silentLogger(), idleMs: 100 });
    try {
      const tracks = await view.tracks();
      assert.deepEqual(tracks.map((t) => [t.index, t.codec]), [[0, 'H264'], [1, 'PCMA']]);
      assert.equal(tracks[0].fmtp['packetization-mode'], '1');
      assert.equal(await view.tracks(), tracks, 'the same array each time (spare viewers match tracks by identity)');

      const a = new Collector();
      const leaseA = view.acquire();
      leaseA.subscribe(a);
      assert.equal(camera.leases.size, 1, 'one lease on the camera');
      await until('the cached GOP transcoded', () => a.video().length === 3);
      assert.ok(view.transcoding);
      assert.equal(a.video()[0].keyframe, true);
      assert.deepEqual(a.video().map((f) => f.timestamp), frames.slice(0, 3).map((f) => f.timestamp));
      for (const f of a.video()) {
        const nalus = frameNalus('H264', f.payloads);
        assert.ok(Array.isArray(nalus) && nalus.every((n) => [1, 5, 7, 8].includes(n[0] & 0x1f)), 'H.264 NAL units');
      }

      // Live frames and audio: audio at once, untouched; video after the transcode.
      const audio: MediaFrame = { trackIndex: 1, kind: 'audio', timestamp: 5, keyframe: true, payloads: [Buffer.from([1, 2, 3])], generation: 1, receivedAt: 0 };
      camera.push(audio);
      assert.equal(a.frames.at(-1), audio);
      for (const f of frames.slice(3, 12)) camera.push(f);
      await until('live frames transcoded', () => a.video().length === 12);

      // A second viewer: the same transcode (still one camera lease), and the transcoded GOP at once.
      const b = new Collector();
      const leaseB = view.acquire();
      leaseB.subscribe(b);
      assert.equal(camera.leases.size, 1);
      const gop = leaseB.requestKeyframe();
      assert.deepEqual(gop.map((f) => f.timestamp), frames.slice(10, 12).map((f) => f.timestamp), 'the GOP since the camera keyframe at frame 10');
      assert.equal(gop[0].keyframe, true);
      for (const f of frames.slice(12, 14)) camera.push(f);
      await until('both viewers get the next frames', () => b.video().length === 2 && a.video().length === 14);
      assert.equal(b.video()[0], a.video()[12], 'one transcode: the same frame objects for both');

      // Paused by both: the camera lease pauses; one plays: it plays.
      leaseA.setPlaying(false);
      leaseB.setPlaying(false);
      assert.equal([...camera.leases][0].playing, false);
      leaseB.setPlaying(true);
      assert.equal([...camera.leases][0].playing, true);

      leaseA.release();
      leaseB.release();
      assert.ok(view.transcoding, 'kept through the idle time');
      await until('stopped after the idle time', () => !view.transcoding && camera.leases.size === 0, 2000);
    } finally {
      await view.close();
    }
  });

  it('a camera without a cached GOP is asked for a keyframe, and P-frames before it are not sent to ffmpeg', async () => {
    const camera = new FakeCamera('cam', [h265Track(0)]);
    const frames = clipFrames('H265', clip);
    const view = new TranscodedCamera({ inner: camera, logger: silentLogger(), idleMs: 50 });
    try {
      const a = new Collector();
      const lease = view.acquire();
      lease.subscribe(a);
      assert.equal(camera.keyframeRequests, 1);
      for (const f of frames.slice(5, 14)) camera.push(f); // 5..9 are P-frames, 10 a keyframe
      await until('frames from the keyframe on', () => a.video().length === 4);
      assert.deepEqual(a.video().map((f) => f.timestamp), frames.slice(10, 14).map((f) => f.timestamp));
      lease.release();
    } finally {
      await view.close();
    }
  });

  it('without ffmpeg: tracks() refuses with ERR_FFMPEG_MISSING; an H.264 camera passes through untouched', async () => {
    const camera = new FakeCamera('cam', [h265Track(0)]);
    const view = new TranscodedCamera({ inner: camera, logger: silentLogger(), ffmpeg: () => undefined });
    await assert.rejects(view.tracks(), (err: { code?: string; message?: string }) => err.code === 'ERR_FFMPEG_MISSING' && /ffmpeg is not installed/.test(err.message ?? ''));
    await view.close();

    const h264Clip = makeClip({ codec: 'H264', width: 160, height: 96, frames: 3, gop: 3 });
    const h264 = new FakeCamera('cam', [{ ...h265Track(0), codec: 'H264' }]);
    const pass = new TranscodedCamera({ inner: h264, logger: silentLogger(), ffmpeg: () => undefined });
    const a = new Collector();
    pass.acquire().subscribe(a);
    const frames = clipFrames('H264', h264Clip);
    for (const f of frames) h264.push(f);
    assert.deepEqual(a.frames, frames);
    assert.equal(pass.transcoding, false);
    await pass.close();
  });
});
