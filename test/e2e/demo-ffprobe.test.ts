// A real RTSP client (ffprobe) reads the demo camera over TCP and UDP, with Digest auth: the
// demo camera speaks RTSP the way third-party players expect, not only the way camrtc does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DemoCamera } from '../../server/src/demo/DemoCamera.js';
import { H264ClipStream } from '../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../server/src/demo/ToneStream.js';
import { repoRoot } from '../helpers/paths.js';

const FFPROBE_MISSING = spawnSync('ffprobe', ['-version']).error ? 'ffprobe not installed; skipping' : false;
/** Guard only: ffprobe normally answers in about a second. */
const FFPROBE_KILL_MS = 20_000;

function ffprobe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ffprobe', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), FFPROBE_KILL_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

for (const transport of ['tcp', 'udp'] as const) {
  test(`ffprobe reads the demo camera's H264 video and PCMA audio over ${transport.toUpperCase()} with Digest auth`, { skip: FFPROBE_MISSING, timeout: 30_000 }, async () => {
    const clip = new H264ClipStream({ file: join(repoRoot, 'server', 'assets', 'demo.h264') });
    const cam = new DemoCamera({ streams: [clip, new ToneStream()], auth: { username: 'demo', password: 'pw', scheme: 'digest' } });
    try {
      const { port } = await cam.listen();
      const res = await ffprobe(['-v', 'error', '-rtsp_transport', transport, '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json',
        `rtsp://demo:pw@127.0.0.1:${port}/demo`]);
      assert.equal(res.code, 0, res.stderr);
      const streams = (JSON.parse(res.stdout) as { streams: Array<Record<string, unknown>> }).streams;
      const video = streams.find((s) => s.codec_name === 'h264');
      assert.ok(video, res.stdout);
      assert.deepEqual([video.width, video.height], [clip.width, clip.height]);
      assert.ok(streams.some((s) => s.codec_name === 'pcm_alaw' && s.sample_rate === '8000'), res.stdout);
      assert.ok(cam.requests.some((r) => r.method === 'PLAY'));
    } finally {
      await cam.close();
    }
  });
}
