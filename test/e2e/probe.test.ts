/**
 * `camrtc probe` as a user runs it, against a real RTSP server that is not camrtc (GStreamer's
 * gst-rtsp-server): over TCP, over UDP, with AAC audio (transcoded for browsers), with Digest
 * authentication, and with a wrong password.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeReport } from '../../server/src/probe/ProbeReport.js';
import { findFfmpeg } from '../../server/src/audio/ffmpeg.js';
import { GstCamera } from './support/GstCamera.js';
import { runProbeCli } from '../helpers/probeCli.js';


describe('camrtc probe against gst-rtsp-server', { skip: GstCamera.missing() }, () => {
  for (const transport of ['tcp', 'udp'] as const) {
    it(`over ${transport.toUpperCase()}: lists H264 (profile, size) + PCMA and counts packets, keyframes, no loss`, async () => {
      const camera = await GstCamera.start({ audio: 'pcma', gop: 25 });
      try {
        const res = await runProbeCli([camera.url(), '--transport', transport, '--seconds', '3', '--json']);
        assert.equal(res.code, 0, res.stderr + res.stdout);
        const r = JSON.parse(res.stdout) as ProbeReport;
        assert.equal(r.transport, transport);
        const video = r.tracks.find((t) => t.kind === 'video')!;
        const audio = r.tracks.find((t) => t.kind === 'audio')!;
        assert.equal(video.codec, 'H264');
        // x264's default here is Constrained Baseline (ffprobe reads the same from this server).
        assert.equal(video.h264?.profile, 'Constrained Baseline');
        assert.match(video.h264?.profileLevelId ?? '', /^42[0-9a-f]{4}$/);
        assert.equal(video.h264?.width, 640);
        assert.equal(video.h264?.height, 360);
        assert.equal(audio.codec, 'PCMA');
        // 25 fps, keyframe every 25 frames, for 3 s.
        assert.ok(video.stats!.accessUnits >= 40, JSON.stringify(video.stats));
        assert.ok(video.stats!.keyframes! >= 2, JSON.stringify(video.stats));
        assert.equal(video.stats!.lost, 0);
        // rtppcmapay sends about 1000 samples (125 ms) per packet.
        assert.ok(audio.stats!.packets >= 15 && audio.stats!.bytes >= 3 * 8000 * 0.8, JSON.stringify(audio.stats));
        assert.ok(camera.requests.includes('TEARDOWN'), `camera saw ${camera.requests.join(',')}`);
      } finally {
        await camera.close();
      }
    });
  }

  it('AAC camera: the report says browsers get Opus, and counts the Opus frames out of the transcoder', { skip: findFfmpeg() ? false : 'ffmpeg not installed' }, async () => {
    const camera = await GstCamera.start({ audio: 'aac', gop: 25 });
    try {
      const res = await runProbeCli([camera.url(), '--transport', 'tcp', '--seconds', '3', '--json']);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const audio = (JSON.parse(res.stdout) as ProbeReport).tracks.find((t) => t.kind === 'audio')!;
      assert.equal(audio.codec, 'MPEG4-GENERIC');
      assert.equal(audio.played, true);
      assert.deepEqual(audio.presented, { codec: 'OPUS', clockRate: 48000, channels: 2 });
      // 20 ms Opus frames for about 3 s, less ffmpeg's start-up; AAC frames are 64 ms at 16 kHz.
      assert.ok(audio.stats!.frames >= 60 && audio.stats!.frames > audio.stats!.packets, JSON.stringify(audio.stats));
      assert.equal(audio.stats!.decodeErrors, 0);
    } finally {
      await camera.close();
    }
  });

  it('Digest camera: the right password probes fine, a wrong one exits 1 with the readable message', async () => {
    const camera = await GstCamera.start({ user: 'admin', password: 'Gst-s3cret' });
    try {
      const good = await runProbeCli([camera.url({ user: 'admin', password: 'Gst-s3cret' }), '--seconds', '2']);
      assert.equal(good.code, 0, good.stderr + good.stdout);
      assert.match(good.stdout, /#0 video +H264\/90000/);
      assert.match(good.stdout, /\nOK\n$/);
      assert.ok(!good.stdout.includes('Gst-s3cret'));
      const bad = await runProbeCli([camera.url({ user: 'admin', password: 'Wrong-pa55' }), '--seconds', '2']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /401 Unauthorized: wrong user or password for camera '127\.0\.0\.1' \[ERR_RTSP_AUTH\]/);
      assert.ok(!bad.stderr.includes('Wrong-pa55') && !bad.stdout.includes('Wrong-pa55'));
    } finally {
      await camera.close();
    }
  });
});
