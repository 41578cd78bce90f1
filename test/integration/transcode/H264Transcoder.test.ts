/**
 * The H.265 to H.264 transcode with the real ffmpeg: every picture comes back, in order, with its
 * camera timestamp, keyframes where the camera had them, as H.264 a decoder reads at the camera's
 * size, and each within a frame or two of going in (not held back a frame, as a raw stream would be).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { findFfmpeg } from '../../../server/src/audio/ffmpeg.js';
import { annexB } from '../../../server/src/rtp/depayload.js';
import { H264Transcoder, type TranscodedPicture } from '../../../server/src/transcode/H264Transcoder.js';
import { clipsMissing, makeClip } from '../../helpers/videoClips.js';

const missing = clipsMissing('H265');

describe('H264Transcoder (real ffmpeg)', { skip: missing }, () => {
  it('gives back every picture as H.264, in order, with the input timestamps and keyframes, one at a time', async () => {
    const clip = makeClip({ codec: 'H265', width: 320, height: 180, frames: 30, gop: 10 });
    const pictures: TranscodedPicture[] = [];
    const latencies: number[] = [];
    let failure: unknown;
    const transcoder = new H264Transcoder(findFfmpeg()!, {
      picture: (p) => {
        pictures.push(p);
        latencies.push(performance.now() - p.pushedAt);
      },
      error: (e) => (failure = e),
    });
    try {
      for (const [i, unit] of clip.entries()) {
        transcoder.push({ annexB: annexB(unit.nalus), keyframe: unit.keyframe, timestamp: 1000 + i * 3600, generation: 3 });
        // Real time at 25 fps, and each picture must be back before the next goes in (allowing for a busy machine).
        const deadline = performance.now() + 2000;
        while (pictures.length < i + 1 && performance.now() < deadline && !failure) await new Promise((r) => setTimeout(r, 2));
        assert.equal(pictures.length, i + 1, `picture ${i} came back before the next went in`);
      }
    } finally {
      transcoder.close();
    }
    assert.equal(failure, undefined);
    assert.deepEqual(pictures.map((p) => p.timestamp), clip.map((_, i) => 1000 + i * 3600));
    assert.deepEqual(pictures.map((p) => p.keyframe), clip.map((u) => u.keyframe));
    assert.ok(pictures.every((p) => p.generation === 3));
    // H.264 with SPS and PPS in front of each keyframe: ffprobe decodes the stream at the camera's size.
    const h264 = Buffer.concat(pictures.map((p) => annexB(p.nalus)));
    const probe = spawnSync(findFfmpeg()!.replace(/ffmpeg$/, 'ffprobe'), ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,profile,width,height,nb_read_frames', '-of', 'json', '-f', 'h264', '-i', 'pipe:0'], { input: h264 });
    const stream = (JSON.parse(probe.stdout.toString()) as { streams: Array<Record<string, unknown>> }).streams[0];
    assert.deepEqual([stream.codec_name, stream.profile, stream.width, stream.height, Number(stream.nb_read_frames)], ['h264', 'Constrained Baseline', 320, 180, 30]);
    assert.ok(pictures.filter((p) => p.keyframe).every((p) => (p.nalus[0][0] & 0x1f) === 7), 'SPS in front of every keyframe');
    latencies.sort((a, b) => a - b);
    process.stdout.write(`# transcode 320x180: p50 ${latencies[15].toFixed(1)} ms, max ${latencies[29].toFixed(1)} ms\n`);
  });

  it('drops pictures up to the next keyframe after waitForKeyframe (a new camera session), and says when ffmpeg is gone', async () => {
    const clip = makeClip({ codec: 'H265', width: 160, height: 96, frames: 12, gop: 6 });
    const pictures: TranscodedPicture[] = [];
    let failure: Error | undefined;
    const transcoder = new H264Transcoder(findFfmpeg()!, { picture: (p) => pictures.push(p), error: (e) => (failure = e) });
    const push = (i: number): void => transcoder.push({ annexB: annexB(clip[i].nalus), keyframe: clip[i].keyframe, timestamp: i, generation: 1 });
    push(0);
    push(1);
    transcoder.waitForKeyframe();
    for (let i = 2; i < 12; i++) push(i);
    const deadline = performance.now() + 5000;
    while (pictures.length < 8 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(pictures.map((p) => p.timestamp), [0, 1, 6, 7, 8, 9, 10, 11]);
    process.kill(transcoder.pid!, 'SIGKILL');
    while (!failure && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal((failure as { code?: string } | undefined)?.code, 'ERR_TRANSCODER');
    assert.ok(transcoder.closed);
  });
});
