/**
 * Hot reload on the real server: the configuration file is edited as a person would (a new text
 * written over it) and the difference is applied without a restart. A werift viewer of a camera the
 * edit leaves alone keeps every frame (RTP timestamps one frame period apart, no sequence gap, no new
 * RTSP request to its camera); viewers of a removed or changed camera read ERR_CAMERA_REMOVED or
 * ERR_CAMERA_CHANGED; a new camera is watchable. An invalid file is refused with the field named in
 * the log, and the running cameras stay.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { api, startFromFile, startTestCamera, waitForVideo, watchWithPeer, type FileServer } from '../../helpers/controlApi.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

/** 90 kHz ticks between two frames of the 25 fps test camera. */
const FRAME_TICKS = 90_000 / 25;

function configText(cameras: Record<string, string>, extra = ''): string {
  return ['# hot reload test', 'cameras:', ...Object.entries(cameras).map(([name, body]) => `  ${name}:\n${body}`), extra, ''].join('\n');
}

describe('hot reload of the configuration file', () => {
  let server: FileServer;
  let port: number;
  let stableCam: { camera: DemoCamera; url: string };
  let addedCam: { camera: DemoCamera; url: string };

  before(async () => {
    stableCam = await startTestCamera('/stable');
    addedCam = await startTestCamera('/added');
    server = await startFromFile(
      configText({
        stable: `    url: ${stableCam.url}   # the camera nobody touches\n    transport: tcp`,
        gone: '    url: rtsp://127.0.0.1:9/gone',
        changed: '    url: rtsp://127.0.0.1:9/changed\n    transport: tcp',
      }),
    );
    port = server.app.port;
  });
  after(async () => {
    await server.app.close();
    await stableCam.camera.close();
    await addedCam.camera.close();
  });

  const names = () => server.app.cameras.list().map((c) => c.name).sort();

  it('new cameras appear, removed ones close, changed ones restart, and an unchanged camera\'s viewer loses no frame', async () => {
    const viewer = await watchWithPeer(port, 'stable', 's1');
    const others = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
    try {
      await waitForVideo(viewer, 60);
      others.send({ type: 'watch', id: 'g1', camera: 'gone' });
      others.send({ type: 'watch', id: 'c1', camera: 'changed' });
      await others.next('status', (m) => m.id === 'g1');
      await others.next('status', (m) => m.id === 'c1');
      const requestsBefore = stableCam.camera.requests.length;
      const firstPacket = viewer.video.length;

      // An editor's save: a new file renamed over the old one.
      const edited = configText({
        stable: `    url: ${stableCam.url}   # the camera nobody touches\n    transport: tcp`,
        changed: '    url: rtsp://127.0.0.1:9/changed\n    transport: udp',
        added: `    url: ${addedCam.url}`,
      });
      writeFileSync(`${server.file}.new`, edited);
      renameSync(`${server.file}.new`, server.file);

      const removed = await others.next('error', (m) => m.id === 'g1');
      assert.equal(removed.code, 'ERR_CAMERA_REMOVED');
      const changed = await others.next('error', (m) => m.id === 'c1');
      assert.equal(changed.code, 'ERR_CAMERA_CHANGED');
      await waitFor(() => names().join() === 'added,changed,demo,stable', `cameras added,changed,demo,stable (now ${names().join()})`);
      assert.equal(server.app.cameras.configOf('changed')?.transport, 'udp');

      // Keep watching a while after the reload, then check every frame came, in order.
      await waitForVideo(viewer, 100, 'video packets after the reload');
      const packets = viewer.video.slice(firstPacket);
      for (let i = 1; i < packets.length; i++) {
        assert.equal(packets[i].header.sequenceNumber, (packets[i - 1].header.sequenceNumber + 1) & 0xffff, `no packet lost (at ${i})`);
      }
      const frames = [...new Set(packets.map((p) => p.header.timestamp))];
      assert.ok(frames.length >= 25, `${frames.length} frames received across the reload`);
      for (let i = 1; i < frames.length; i++) {
        assert.equal((frames[i] - frames[i - 1]) >>> 0, FRAME_TICKS, `frame ${i} follows the one before it (no frame skipped, no restart)`);
      }
      assert.deepEqual(stableCam.camera.requests.slice(requestsBefore), [], 'no RTSP request to the unchanged camera: its session was not touched');
      assert.ok(!viewer.client.messages.some((m) => m.type === 'error' || m.type === 'closed'), 'the viewer of the unchanged camera was not ended');
      const applied = server.lines.find((l) => l.msg === 'configuration file: cameras applied');
      assert.deepEqual([applied?.added, applied?.removed, applied?.changed, applied?.unchanged], [['added'], ['gone'], ['changed'], 1]);
    } finally {
      await viewer.close();
      await others.close();
    }
    const added = await watchWithPeer(port, 'added', 'a1');
    try {
      await waitForVideo(added, 30, 'video packets of the added camera');
    } finally {
      await added.close();
    }
  });

  it('an invalid file is refused with the field named in the log; the running cameras stay', async () => {
    const running = names();
    const valid = readFileSync(server.file, 'utf8');
    const logged = server.lines.length;
    writeFileSync(server.file, valid.replace('transport: udp', 'transport: carrier-pigeon'));
    await waitFor(() => server.lines.slice(logged).some((l) => String(l.msg).startsWith('configuration file not applied')), 'the refusal in the log');
    const refusal = server.lines.slice(logged).find((l) => String(l.msg).startsWith('configuration file not applied'))!;
    assert.equal(refusal.level, 40, 'a warning');
    assert.equal(refusal.code, 'ERR_CONFIG_INVALID');
    assert.match(String(refusal.msg), /the running configuration stays: invalid configuration: cameras\.\d\.transport: /);
    assert.deepEqual(names(), running);
    assert.equal(server.app.cameras.configOf('changed')?.transport, 'udp');

    // Broken YAML, with a password on the broken line: the line is never quoted.
    const yamlLogged = server.lines.length;
    writeFileSync(server.file, `${valid}  broken:\n    url: "rtsp://u:yaml-s3cret@127.0.0.1:9/x\n`);
    await waitFor(() => server.lines.slice(yamlLogged).some((l) => String(l.msg).startsWith('configuration file not applied')), 'the YAML refusal in the log');
    assert.match(server.logText(), /is not valid YAML at line \d+/);
    assert.ok(!server.logText().includes('yaml-s3cret'), 'the file is not quoted in the log');
    assert.deepEqual(names(), running);

    // Fixed again: applied, nothing changes (the file is as before the mistakes).
    const fixed = server.lines.length;
    writeFileSync(server.file, valid);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await server.app.configWatcher!.settled();
    assert.deepEqual(names(), running);
    assert.ok(!server.lines.slice(fixed).some((l) => (l.level as number) >= 40), 'the fixed file is applied without a word');
  });

  it('settings that need a restart are named in the log; the cameras are applied anyway', async () => {
    const logged = server.lines.length;
    const text = readFileSync(server.file, 'utf8');
    writeFileSync(server.file, `${text.replace(/\n {2}added:\n[^\n]+\n/, '\n')}publicNames: [cams.example.org]\n`);
    await waitFor(() => !names().includes('added'), 'the camera removed from the file closed');
    const line = server.lines.slice(logged).find((l) => String(l.msg).includes('restart camrtc'));
    assert.ok(line, server.logText());
    assert.deepEqual(line.settings, ['publicNames']);
  });

  it('a change made through the API is written to the file and not applied a second time by the watch', async () => {
    const logged = server.lines.length;
    const res = await api(port, 'POST', '/api/cameras', { name: 'viaapi', url: 'rtsp://127.0.0.1:9/viaapi' });
    assert.equal(res.status, 201, res.body);
    assert.match(readFileSync(server.file, 'utf8'), /^ {2}viaapi:\n {4}url: rtsp:\/\/127\.0\.0\.1:9\/viaapi$/m);
    // Longer than the watch's debounce and poll interval (100 ms, 500 ms in this test).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const applied = server.lines.slice(logged).filter((l) => String(l.msg).endsWith('cameras applied'));
    assert.deepEqual(applied.map((l) => l.msg), ['control API: cameras applied'], 'applied once, by the API');
    assert.ok(names().includes('viaapi'));
  });

  it('a reload at the very moment of an API change never undoes it (both run in one queue)', async () => {
    const control = server.app.control;
    const [res] = await Promise.all([
      api(port, 'POST', '/api/cameras', { name: 'raced', url: 'rtsp://127.0.0.1:9/raced' }),
      control.reload(),
      new Promise((resolve) => setImmediate(resolve)).then(() => control.reload()),
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => control.reload()),
    ]);
    assert.equal(res.status, 201, res.body);
    await control.reload();
    await server.app.configWatcher!.settled();
    assert.ok(names().includes('raced'), names().join());
  });
});
