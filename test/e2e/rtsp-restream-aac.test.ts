/**
 * AAC cameras through the RTSP restream, with real parts: two GStreamer cameras (voaacenc, one as
 * RFC 3640 MPEG4-GENERIC, one as RFC 6416 MP4A-LATM) -> camrtc from its command line -> ffprobe and
 * ffmpeg. RTSP clients get the camera's AAC itself (no transcoding) and decode the camera's tone;
 * browsers get Opus, and the AAC -> Opus ffmpeg runs only while one watches: an RTSP-only audience
 * costs no transcoder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { watchOverWhep } from '../../examples/whep-viewer.js';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';

const missingTool = (cmd: string, args: string[]): boolean => spawnSync(cmd, args).error !== undefined;
const missing =
  GstCamera.missing() ??
  (missingTool('ffprobe', ['-version']) || missingTool('ffmpeg', ['-version']) ? 'ffmpeg/ffprobe not installed (apt-get install ffmpeg); skipping' : undefined) ??
  (spawnSync('gst-inspect-1.0', ['voaacenc']).status !== 0 ? 'GStreamer has no voaacenc AAC encoder (apt-get install gstreamer1.0-plugins-bad); skipping' : undefined);

const KILL_MS = 30_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
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

/** camrtc's AAC -> Opus transcoders: its ffmpeg children. */
function transcoders(camrtc: CamrtcProcess): number {
  const ps = spawnSync('ps', ['-o', 'args=', '--ppid', String(camrtc.pid)], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes('ffmpeg') && l.includes('libopus')).length;
}

/** Decodes `seconds` of the audio; the RMS level of the decoded samples (the tone: -13.5 dB for a 0.3 sine). */
async function decodeAudio(url: string, transport: 'tcp' | 'udp', seconds: number): Promise<{ run: Run; rmsDb: number }> {
  const r = await run('ffmpeg', [
    '-hide_banner', '-nostats', '-v', 'error', '-rtsp_transport', transport, '-i', url, '-t', String(seconds), '-map', '0:a',
    '-af', 'astats=metadata=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-', '-f', 'null', '-',
  ]);
  const levels = [...r.stdout.matchAll(/RMS_level=(-?[\d.]+|-inf)/g)].map((m) => Number(m[1]));
  return { run: r, rmsDb: levels.at(-1) ?? Number.NEGATIVE_INFINITY };
}

async function waitFor(condition: () => boolean, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('RTSP restream of AAC cameras', { skip: missing }, () => {
  let generic: GstCamera;
  let latm: GstCamera;
  let camrtc: CamrtcProcess;
  let origin: string;

  before(async () => {
    [generic, latm] = await Promise.all([GstCamera.start({ audio: 'aac' }), GstCamera.start({ audio: 'aac-latm' })]);
    camrtc = await CamrtcProcess.start(['--camera', `generic=${generic.url()}`, '--camera', `latm=${latm.url()}`, '--rtsp-transport', 'tcp']);
    const line = camrtc.logs.find((l) => typeof l.rtsp === 'string');
    assert.ok(line, 'camrtc logged no rtsp URL');
    origin = String(line.rtsp).replace(/\/NAME$/, '');
  });
  after(async () => {
    await camrtc?.stop();
    await Promise.all([generic?.close(), latm?.close()]);
  });

  for (const name of ['generic', 'latm']) {
    for (const transport of ['tcp', 'udp'] as const) {
      it(`${name}: ffprobe over RTSP/${transport.toUpperCase()} reads the camera's H.264 and AAC (16 kHz mono), not Opus`, async () => {
        const r = await run('ffprobe', ['-v', 'error', '-rtsp_transport', transport, '-show_entries', 'stream=codec_name,sample_rate,channels,width', '-of', 'json', `${origin}/${name}`]);
        assert.equal(r.code, 0, r.stderr);
        const streams = (JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> }).streams;
        assert.ok(streams.some((s) => s.codec_name === 'h264' && s.width === 640), r.stdout);
        assert.ok(streams.some((s) => s.codec_name === 'aac' && s.sample_rate === '16000' && s.channels === 1), r.stdout);
      });
    }

    it(`${name}: ffmpeg decodes the camera's tone from the restream without an error, and no transcoder runs for it`, async () => {
      const reading = decodeAudio(`${origin}/${name}`, 'tcp', 4);
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(transcoders(camrtc), 0, 'an RTSP client started an AAC -> Opus ffmpeg');
      const { run: r, rmsDb } = await reading;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'ffmpeg decoded without errors');
      assert.ok(Math.abs(rmsDb - -13.5) < 1.5, `the decoded tone's RMS level is ${rmsDb} dB, not the camera's -13.5 dB`);
    });
  }

  it('a browser (WHEP) gets Opus while it watches: one transcoder then, none after it left; RTSP clients hear the AAC throughout', async () => {
    const reading = decodeAudio(`${origin}/generic`, 'udp', 8);
    let audio = 0;
    const viewer = await watchOverWhep({ endpoint: `${camrtc.url}/whep/generic`, iceAddresses: ['127.0.0.1'], onVideo: () => undefined, onAudio: () => audio++ });
    try {
      await waitFor(() => audio > 50, `the WebRTC viewer got Opus (${audio} packets)`);
      assert.equal(transcoders(camrtc), 1);
    } finally {
      await viewer.close();
    }
    await waitFor(() => transcoders(camrtc) === 0, 'the transcoder stopped with the last browser');
    const { run: r, rmsDb } = await reading;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), '');
    assert.ok(Math.abs(rmsDb - -13.5) < 1.5, `RMS ${rmsDb} dB`);
  });
});
