// Real RTSP clients against the RTSP server component: ffprobe and ffmpeg (third-party players,
// over TCP interleaved and UDP, several at once) and camrtc's own RtspSession (PAUSE and PLAY per
// client). The server serves the demo's clip and tone, mounted directly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { H264ClipStream } from '../../../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../../../server/src/demo/ToneStream.js';
import { RtspSession } from '../../../../server/src/rtsp/RtspSession.js';
import { RtspServer } from '../../../../server/src/rtsp/server/RtspServer.js';
import { repoRoot } from '../../../helpers/paths.js';

const FFMPEG_MISSING = spawnSync('ffmpeg', ['-version']).error || spawnSync('ffprobe', ['-version']).error ? 'ffmpeg/ffprobe not installed; skipping' : false;
/** Guard only: a 3-second read takes about 4 s. */
const KILL_MS = 25_000;
const READ_SECONDS = 3;
/**
 * 25 fps, of which a client that joins mid-GOP loses up to one GOP (25 frames) before its first
 * IDR: ffmpeg counts `-t` from its first packet. Margin of a few frames for a loaded machine.
 */
const MIN_VIDEO_FRAMES = (READ_SECONDS - 1) * 25 - 5;
/** 50 packets per second; ffmpeg may join two into one frame. */
const MIN_AUDIO_FRAMES = READ_SECONDS * 25;

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Decodes `seconds` of the stream with ffmpeg; frames per output stream (0 video, 1 audio). */
async function ffmpegRead(url: string, transport: 'tcp' | 'udp', seconds = READ_SECONDS): Promise<{ video: number; audio: number; stderr: string }> {
  const res = await run('ffmpeg', ['-hide_banner', '-nostats', '-v', 'error', '-rtsp_transport', transport, '-i', url, '-t', String(seconds),
    '-map', '0:v', '-map', '0:a', '-f', 'framecrc', '-']);
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.split('\n').filter((l) => /^\d+,/.test(l));
  return { video: lines.filter((l) => l.startsWith('0,')).length, audio: lines.filter((l) => l.startsWith('1,')).length, stderr: res.stderr };
}

describe('real clients against the RTSP server', () => {
  const clip = new H264ClipStream({ file: join(repoRoot, 'server', 'assets', 'demo.h264'), fps: 25 });
  const tone = new ToneStream({ codec: 'PCMA' });
  const server = new RtspServer();
  const methods: string[] = [];
  let url: string;

  before(async () => {
    await server.listen();
    await server.mount('/live', { tracks: [clip, tone] });
    clip.start();
    tone.start();
    url = server.urlOf('/live');
    server.on('request', (req) => methods.push(req.method));
  });

  after(async () => {
    await server.close();
    clip.close();
    tone.close();
  });

  test('ffprobe sees H264 at the clip size and PCMA at 8 kHz', { skip: FFMPEG_MISSING, timeout: 30_000 }, async () => {
    const res = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json', url]);
    assert.equal(res.code, 0, res.stderr);
    const streams = (JSON.parse(res.stdout) as { streams: Array<Record<string, unknown>> }).streams;
    const video = streams.find((s) => s.codec_name === 'h264');
    assert.ok(video, res.stdout);
    assert.deepEqual([video.width, video.height], [clip.width, clip.height]);
    assert.ok(streams.some((s) => s.codec_name === 'pcm_alaw' && s.sample_rate === '8000'), res.stdout);
  });

  for (const transport of ['tcp', 'udp'] as const) {
    test(`ffmpeg decodes ${READ_SECONDS} s of video and audio over ${transport.toUpperCase()}, then tears down`, { skip: FFMPEG_MISSING, timeout: 30_000 }, async () => {
      methods.length = 0;
      const got = await ffmpegRead(url, transport);
      assert.ok(got.video >= MIN_VIDEO_FRAMES, `only ${got.video} video frames decoded: ${got.stderr}`);
      assert.ok(got.audio >= MIN_AUDIO_FRAMES, `only ${got.audio} audio frames: ${got.stderr}`);
      assert.deepEqual(methods.filter((m) => m !== 'GET_PARAMETER' && m !== 'OPTIONS'), ['DESCRIBE', 'SETUP', 'SETUP', 'PLAY', 'TEARDOWN']);
      while (server.connectionCount > 0) await sleep(20);
    });
  }

  test('three clients at once (ffmpeg over TCP, ffmpeg over UDP, RtspSession): each gets the whole stream', { skip: FFMPEG_MISSING, timeout: 30_000 }, async () => {
    const session = new RtspSession({ url, transport: 'tcp', cameraName: 'live' });
    try {
      let packets = 0;
      session.on('rtp', () => packets++);
      await session.start();
      const [tcp, udp] = await Promise.all([ffmpegRead(url, 'tcp'), ffmpegRead(url, 'udp')]);
      for (const [name, got] of [['tcp', tcp], ['udp', udp]] as const) {
        assert.ok(got.video >= MIN_VIDEO_FRAMES, `${name}: only ${got.video} video frames: ${got.stderr}`);
        assert.ok(got.audio >= MIN_AUDIO_FRAMES, `${name}: only ${got.audio} audio frames`);
      }
      assert.ok(packets > READ_SECONDS * 50, `the RtspSession got ${packets} packets meanwhile`);
      assert.equal(session.state, 'playing');
    } finally {
      await session.close();
    }
  });

  for (const transport of ['tcp', 'udp'] as const) {
    test(`RtspSession over ${transport.toUpperCase()}: PAUSE stops that client's packets only, PLAY brings them back`, { timeout: 20_000 }, async () => {
      const a = new RtspSession({ url, transport, udpBindAddress: '127.0.0.1', cameraName: 'a', readTimeoutMs: 10_000 });
      const b = new RtspSession({ url, transport, udpBindAddress: '127.0.0.1', cameraName: 'b' });
      try {
        const count = { a: 0, b: 0 };
        a.on('rtp', () => count.a++);
        b.on('rtp', () => count.b++);
        await Promise.all([a.start(), b.start()]);
        while (count.a < 20 || count.b < 20) await sleep(20);
        await a.pause();
        // UDP packets sent just before the PAUSE answer may still be in flight.
        await sleep(100);
        const [a0, b0] = [count.a, count.b];
        await sleep(600);
        assert.equal(count.a, a0, 'the paused client got packets');
        assert.ok(count.b - b0 >= 20, `the other client got ${count.b - b0} packets in 600 ms`);
        await a.play();
        const resumed = count.a;
        while (count.a < resumed + 20) await sleep(20);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }
});
