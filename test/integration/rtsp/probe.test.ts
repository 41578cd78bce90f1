/**
 * `camrtc probe` against the in-project camera: the report a user reads (tracks, profile, counts),
 * the exit code, and the JSON form, through the real command line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeProfileLevelId } from '../../../server/src/probe/codecReport.js';
import { formatProbeReport } from '../../../server/src/probe/formatReport.js';
import { probeCamera } from '../../../server/src/probe/Probe.js';
import type { ProbeReport } from '../../../server/src/probe/ProbeReport.js';
import { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../../server/src/demo/ToneStream.js';
import { repoRoot } from '../../helpers/paths.js';
import { runProbeCli } from '../../helpers/probeCli.js';

const PASSWORD = 'pr0be-Secret';


test('profile-level-id names', () => {
  assert.deepEqual(describeProfileLevelId('42e01f'), { profile: 'Constrained Baseline', level: '3.1' });
  assert.deepEqual(describeProfileLevelId('640028'), { profile: 'High', level: '4.0' });
  assert.deepEqual(describeProfileLevelId('4d0029'), { profile: 'Main', level: '4.1' });
  assert.deepEqual(describeProfileLevelId('42100b'), { profile: 'Baseline', level: '1b' });
});

describe('camrtc probe against the demo camera', () => {
  let cam: DemoCamera;
  let url: string;
  let clip: H264ClipStream;
  before(async () => {
    clip = new H264ClipStream({ file: join(repoRoot, 'server', 'assets', 'demo.h264'), fps: 25 });
    cam = new DemoCamera({ streams: [clip, new ToneStream()], auth: { username: 'admin', password: PASSWORD, scheme: 'digest' } });
    const listening = await cam.listen();
    url = listening.url.replace('rtsp://', `rtsp://admin:${PASSWORD}@`);
  });
  after(async () => {
    await cam.close();
  });

  for (const transport of ['tcp', 'udp'] as const) {
    test(`over ${transport}: tracks with codec details, then per-track counts`, async () => {
      const r = await probeCamera({ url, transport, seconds: 1.5 });
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal(r.transport, transport);
      assert.equal(r.url.includes(PASSWORD), false);
      const [video, audio] = r.tracks;
      assert.deepEqual([video.kind, video.codec, video.clockRate, video.payloadType, video.played], ['video', 'H264', 90000, 96, true]);
      assert.equal(video.h264?.spsInSdp, true);
      assert.equal(video.h264?.ppsInSdp, true);
      assert.equal(video.h264?.width, clip.width);
      assert.ok(video.h264?.profile && video.h264.level);
      assert.deepEqual([audio.kind, audio.codec, audio.clockRate, audio.payloadType], ['audio', 'PCMA', 8000, 8]);
      // 25 fps and 50 audio packets per second for 1.5 s: well above these floors.
      assert.ok(video.stats!.packets > 10 && video.stats!.accessUnits > 10, JSON.stringify(video.stats));
      assert.ok(video.stats!.bytes > video.stats!.packets * 12);
      assert.ok(video.stats!.keyframes! >= 1, 'the clip starts playing at a keyframe within its GOP');
      assert.equal(video.stats!.lost, 0);
      assert.ok(audio.stats!.packets > 20);
      assert.equal(audio.stats!.keyframes, null);
      const text = formatProbeReport(r);
      assert.match(text, /#0 video +H264\/90000 +pt 96 .*SPS\+PPS in SDP/);
      assert.match(text, /#0 video H264: \d+ packets, \d+ bytes, \d+ access units, \d+ keyframes, 0 lost, 0 reordered/);
      assert.match(text, /OK\n$/);
    });
  }

  test('the command line: --json prints one object, exit 0', async () => {
    const res = await runProbeCli([url, '--transport', 'tcp', '--seconds', '1', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const r = JSON.parse(lines[0]) as ProbeReport;
    assert.equal(r.ok, true);
    assert.ok(r.tracks[0].stats!.packets > 0);
    assert.ok(!res.stdout.includes(PASSWORD) && !res.stderr.includes(PASSWORD));
  });

  test('the command line: a wrong password exits 1 with the readable error', async () => {
    const res = await runProbeCli([url.replace(PASSWORD, 'not-the-password'), '--seconds', '1']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /401 Unauthorized: wrong user or password for camera '127\.0\.0\.1' \[ERR_RTSP_AUTH\]/);
    assert.ok(!res.stderr.includes('not-the-password') && !res.stdout.includes('not-the-password'));
  });

  test('the command line: nobody listening exits 1 with ERR_RTSP_CONNECT; --json carries the error', async () => {
    const res = await runProbeCli(['rtsp://127.0.0.1:9/nothing', '--json', '--transport', 'tcp']);
    assert.equal(res.code, 1);
    const r = JSON.parse(res.stdout) as ProbeReport;
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'ERR_RTSP_CONNECT');
  });

  test('the command line: a password with an unencoded @ is hidden whole, in text and in --json', async () => {
    const hostile = 'rtsp://admin:Pw@Secret9@127.0.0.1:9/nothing';
    for (const extra of [[], ['--json']]) {
      const res = await runProbeCli([hostile, '--transport', 'tcp', ...extra]);
      assert.equal(res.code, 1);
      const all = res.stdout + res.stderr;
      assert.ok(all.includes('rtsp://admin:***@127.0.0.1:9/nothing'), all);
      assert.ok(!all.includes('Secret9') && !all.includes('Pw@'), all);
    }
  });

  test('the command line: an invalid --seconds is refused before connecting', async () => {
    const res = await runProbeCli([url, '--seconds', '-3']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /seconds/);
  });
});
