/**
 * The RTSP restream with real clients, as a user runs them: a real camera (GStreamer's
 * gst-rtsp-server) -> camrtc from its command line -> ffprobe and ffmpeg over TCP and UDP,
 * GStreamer's rtspsrc, VLC, and a WebRTC viewer (werift over WHEP) at once, while the camera counts
 * its RTSP requests: one session whatever the number of clients. A new client's first frame is a
 * keyframe, at once, although the camera's keyframes are 4 s apart. Then who may read it, with
 * ffprobe: users and tokens of the web side (Debian packages: README, scripts/e2e-packages.txt).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../server/src/auth/passwordHash.js';
import { ViewerTokens } from '../../server/src/auth/ViewerTokens.js';
import { watchOverWhep } from '../../examples/whep-viewer.js';
import { GstCamera } from './support/GstCamera.js';
import { CamrtcProcess } from './support/camrtcProcess.js';

const missingTool = (cmd: string, args: string[]): boolean => spawnSync(cmd, args).error !== undefined;
const missing =
  GstCamera.missing() ??
  (missingTool('ffprobe', ['-version']) || missingTool('ffmpeg', ['-version']) ? 'ffmpeg/ffprobe not installed (apt-get install ffmpeg); skipping' : undefined) ??
  (missingTool('gst-launch-1.0', ['--version']) ? 'gst-launch-1.0 not installed (apt-get install gstreamer1.0-tools); skipping' : undefined);

/**
 * Debian's VLC is built without live555 (--disable-live555: live555 left Debian), so its cvlc cannot
 * open rtsp:// at all (the SAT>IP module answers instead and fails). The VLC test runs where VLC has
 * its live555 module (VideoLAN's builds, Ubuntu's, deb-multimedia's) and says so here otherwise.
 */
function vlcMissing(): string | undefined {
  const list = spawnSync('cvlc', ['--list'], { encoding: 'utf8', ...asUser() });
  if (list.error) return 'cvlc not installed (apt-get install vlc-bin vlc-plugin-base); skipping';
  if (!/\blive555\b/.test(list.stdout)) return "this VLC has no live555 module (Debian builds VLC with --disable-live555), so it cannot play rtsp://; skipping";
  return undefined;
}

/** VLC refuses to run as root: run it as nobody (the tests' container runs as root). */
function asUser(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
}

/** Guard only: every client here stops by itself within a few seconds. */
const KILL_MS = 30_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms from spawn to exit. */
  ms: number;
}

function run(cmd: string, args: string[], options: { uid?: number; gid?: number } = {}): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

function ffprobeStreams(url: string, transport: 'tcp' | 'udp'): Promise<Run> {
  return run('ffprobe', ['-v', 'error', '-rtsp_transport', transport, '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json', url]);
}

/** Decodes `frames` video frames; framecrc lines say which stream each decoded frame came from. */
async function ffmpegDecode(url: string, transport: 'tcp' | 'udp', frames: number): Promise<{ run: Run; video: number; audio: number }> {
  const r = await run('ffmpeg', ['-hide_banner', '-nostats', '-v', 'error', '-rtsp_transport', transport, '-i', url, '-frames:v', String(frames), '-map', '0:v', '-map', '0:a', '-f', 'framecrc', '-']);
  const lines = r.stdout.split('\n').filter((l) => /^\d+,/.test(l));
  return { run: r, video: lines.filter((l) => l.startsWith('0,')).length, audio: lines.filter((l) => l.startsWith('1,')).length };
}

/** GStreamer's rtspsrc, depayloaded and decoded (decodebin: openh264 from gstreamer1.0-plugins-bad here), until `frames` pictures. */
function gstDecode(url: string, frames: number): Promise<Run> {
  return run('gst-launch-1.0', ['-q', 'rtspsrc', `location=${url}`, 'protocols=tcp', 'latency=200', '!', 'rtph264depay', '!', 'decodebin', '!', 'identity', `eos-after=${frames}`, '!', 'fakesink']);
}

function rtspOrigin(camrtc: CamrtcProcess): string {
  const line = camrtc.logs.find((l) => typeof l.rtsp === 'string');
  assert.ok(line, 'camrtc logged no rtsp URL');
  return String(line.rtsp).replace(/\/NAME$/, '');
}

describe('RTSP restream with real clients', { skip: missing }, () => {
  let camera: GstCamera;
  let camrtc: CamrtcProcess;
  let url: string;
  const count = (method: string): number => camera.requests.filter((m) => m === method).length;

  before(async () => {
    // Keyframes 4 s apart: a client that had to wait for the next one would wait seconds.
    camera = await GstCamera.start({ audio: 'pcma', gop: 100 });
    camrtc = await CamrtcProcess.start(['--camera', `gst=${camera.url()}`, '--rtsp-transport', 'tcp']);
    url = `${rtspOrigin(camrtc)}/gst`;
  });
  after(async () => {
    await camrtc?.stop();
    await camera?.close();
  });

  for (const transport of ['tcp', 'udp'] as const) {
    it(`ffprobe reads the camera's H.264 640x360 and PCMA over RTSP/${transport.toUpperCase()}`, async () => {
      const r = await ffprobeStreams(url, transport);
      assert.equal(r.code, 0, r.stderr);
      const streams = (JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> }).streams;
      assert.ok(streams.some((s) => s.codec_name === 'h264' && s.width === 640 && s.height === 360), r.stdout);
      assert.ok(streams.some((s) => s.codec_name === 'pcm_alaw' && s.sample_rate === '8000'), r.stdout);
    });
  }

  it('three RTSP clients (ffmpeg over TCP and UDP, GStreamer) and a WebRTC viewer at once: the camera serves ONE session', async () => {
    const setupsBefore = count('SETUP');
    const playsBefore = count('PLAY');
    let webrtcPackets = 0;
    const viewer = await watchOverWhep({ endpoint: `${camrtc.url}/whep/gst`, iceAddresses: ['127.0.0.1'], onVideo: () => webrtcPackets++ });
    try {
      const [tcp, udp, gst] = await Promise.all([ffmpegDecode(url, 'tcp', 100), ffmpegDecode(url, 'udp', 100), gstDecode(url, 100)]);
      assert.equal(tcp.run.code, 0, tcp.run.stderr);
      assert.equal(udp.run.code, 0, udp.run.stderr);
      assert.equal(tcp.video, 100);
      assert.equal(udp.video, 100);
      // The camera sends PCMA in packets of about 1000 samples: some 30 in the 4 s of 100 pictures.
      assert.ok(tcp.audio > 20 && udp.audio > 20, `audio frames: ${tcp.audio} ${udp.audio}`);
      assert.equal(tcp.run.stderr.trim(), '', 'ffmpeg decoded without errors');
      assert.equal(gst.code, 0, gst.stderr);
      assert.ok(webrtcPackets > 100, `the WebRTC viewer got ${webrtcPackets} packets`);
      // Whatever camrtc did before this test, these four clients added at most one camera session.
      assert.ok(count('PLAY') - playsBefore <= 1, `camera PLAYs: ${camera.requests.join(',')}`);
      assert.ok(count('SETUP') - setupsBefore <= 2);
      assert.equal(count('PLAY'), 1, `the camera saw one PLAY in all: ${camera.requests.join(',')}`);
      assert.equal(count('DESCRIBE'), 1);
    } finally {
      await viewer.close();
    }
  });

  it("a new client's first picture is a keyframe and comes at once, although the camera's keyframes are 4 s apart", async (t) => {
    // Another client keeps the camera (and its GOP) warm, as a browser or an NVR would.
    const warm = ffmpegDecode(url, 'tcp', 200);
    await new Promise((r) => setTimeout(r, 2500));
    const firsts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v', '-show_entries', 'frame=key_frame,pict_type', '-read_intervals', '%+#1', '-of', 'json', url]);
      assert.equal(r.code, 0, r.stderr);
      const frames = (JSON.parse(r.stdout) as { frames: Array<{ key_frame: number; pict_type: string }> }).frames;
      assert.deepEqual(frames[0], { key_frame: 1, pict_type: 'I' });
      firsts.push(r.ms);
      await new Promise((res) => setTimeout(res, 700));
    }
    // ffprobe's whole run (connect, DESCRIBE/SETUP/PLAY, probing, one frame): far below the 4 s GOP.
    t.diagnostic(`ffprobe to the first frame: ${firsts.map((m) => Math.round(m)).join(', ')} ms`);
    assert.ok(Math.max(...firsts) < 1500, `ffprobe runs of ${firsts.map((m) => Math.round(m)).join(', ')} ms`);
    assert.equal((await warm).run.code, 0);
    assert.equal(count('PLAY'), 1, 'still the one camera session');
  });

  it('VLC plays it for a few seconds (to a file ffprobe then reads)', { skip: vlcMissing() }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-vlc-'));
    chmodSync(dir, 0o777);
    const out = join(dir, 'vlc.ts');
    try {
      const r = await run('cvlc', ['--intf', 'dummy', '--run-time', '4', '--play-and-exit', '--sout', `#std{access=file,mux=ts,dst=${out}}`, url], asUser());
      assert.ok(statSync(out).size > 10_000, `VLC wrote ${statSync(out).size} bytes: ${r.stderr.slice(-500)}`);
      const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', out]);
      assert.match(probe.stdout, /"codec_name": "h264"[\s\S]*"width": 640/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('who may read the restream, with ffprobe', { skip: missing }, () => {
  const KEY = 'e2e-restream-token-key-0123456789abcdefghijklmn';
  let camera: GstCamera;
  let camrtc: CamrtcProcess;
  let origin: string;
  let dir: string;

  before(async () => {
    camera = await GstCamera.start({ audio: 'none' });
    const hash = await hashPassword('s3cret-pw', 'scrypt');
    dir = mkdtempSync(join(tmpdir(), 'camrtc-restream-'));
    const config = join(dir, 'camrtc.yml');
    writeFileSync(
      config,
      [
        'cameras:',
        `  front: { url: "${camera.url()}", transport: tcp }`,
        'auth:',
        '  users:',
        `    - { name: alice, passwordHash: "${hash}", permissions: { view: [front] } }`,
        `    - { name: bob, passwordHash: "${hash}", permissions: { view: [yard] } }`,
        `  tokenKeys: [{ id: k1, secret: "${KEY}" }]`,
        '',
      ].join('\n'),
    );
    camrtc = await CamrtcProcess.start(['--config', config]);
    origin = rtspOrigin(camrtc).replace('rtsp://', '');
  });
  after(async () => {
    await camrtc?.stop();
    await camera?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const probe = (userinfo: string, query = ''): Promise<Run> => ffprobeStreams(`rtsp://${userinfo}${origin}/front${query}`, 'tcp');

  it('no credentials and a wrong password: 401; a user without view on the camera: 403; nothing reached the camera', async () => {
    assert.match((await probe('')).stderr, /401 Unauthorized/);
    assert.match((await probe('alice:wrong@')).stderr, /401 Unauthorized/);
    assert.match((await probe('bob:s3cret-pw@')).stderr, /403 Forbidden/);
    assert.equal(camera.requests.length, 0, `the camera saw ${camera.requests.join(',')}`);
  });

  it('the user with view plays; so does a viewer token, in ?token= (ffmpeg) or as the password (GStreamer); the password and token are in no log line', async () => {
    const alice = await probe('alice:s3cret-pw@');
    assert.equal(alice.code, 0, alice.stderr);
    assert.match(alice.stdout, /"codec_name": "h264"/);
    const { token } = await new ViewerTokens([{ id: 'k1', secret: KEY }]).mint({ cameras: ['front'], ttl: 300, action: 'view' });
    const inQuery = await probe('', `?token=${token}`);
    assert.equal(inQuery.code, 0, inQuery.stderr);
    // As the password: GStreamer. (ffmpeg keeps at most 127 characters of user:password, less than a token.)
    const asPassword = await run('gst-launch-1.0', ['-q', 'rtspsrc', `location=rtsp://${origin}/front`, 'user-id=token', `user-pw=${token}`, 'protocols=tcp', '!', 'rtph264depay', '!', 'decodebin', '!', 'identity', 'eos-after=10', '!', 'fakesink']);
    assert.equal(asPassword.code, 0, asPassword.stderr);
    assert.match((await probe(`token:${token}@`)).stderr, /401 Unauthorized/, 'ffmpeg cut the token short: refused, not crashed');
    const output = camrtc.rawOutput.join('\n');
    assert.ok(!output.includes('s3cret-pw'), 'the password is in the log');
    assert.ok(!output.includes(token.split('.')[2]), 'the token is in the log');
  });
});
