import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type CameraConfig } from '../../../server/src/config/Config.js';
import { diffCameras, emptyDiff, sameValue, settingsNeedingRestart } from '../../../server/src/config/cameraDiff.js';

const cameras = (...list: Array<Record<string, unknown>>): CameraConfig[] =>
  loadConfig({ cameras: list as never, demo: false }, { env: { PW: 'from-env', PW2: 'other' }, readFile: () => Buffer.from('') }).cameras as CameraConfig[];

describe('diffCameras', () => {
  it('sorts cameras into added, removed, changed and unchanged by name', () => {
    const before = cameras({ name: 'a', url: 'rtsp://h/a' }, { name: 'b', url: 'rtsp://h/b' }, { name: 'c', url: 'rtsp://h/c', transport: 'tcp' });
    const after = cameras({ name: 'c', url: 'rtsp://h/c', transport: 'udp' }, { name: 'a', url: 'rtsp://h/a' }, { name: 'd', url: 'rtsp://h/d' });
    const diff = diffCameras(before, after);
    assert.deepEqual(diff.added.map((c) => c.name), ['d']);
    assert.deepEqual(diff.removed.map((c) => c.name), ['b']);
    assert.deepEqual(diff.changed.map((c) => [c.before.transport, c.after.transport]), [['tcp', 'udp']]);
    assert.deepEqual(diff.unchanged.map((c) => c.name), ['a']);
    assert.equal(emptyDiff(diff), false);
  });

  it('compares every setting deeply: a default written out is the same, a resolved password that changed is a change', () => {
    const plain = cameras({ name: 'a', url: 'rtsp://h/a' });
    assert.ok(emptyDiff(diffCameras(plain, cameras({ name: 'a', url: 'rtsp://h/a', transport: 'auto', preload: false }))));
    assert.equal(diffCameras(plain, cameras({ name: 'a', url: 'rtsp://h/a', idleTimeoutMs: 1 })).changed.length, 1);
    assert.equal(diffCameras(plain, cameras({ name: 'a', url: 'rtsp://h/a', tlsInsecure: true })).changed.length, 1, 'a setting added');
    const env = cameras({ name: 'a', url: 'rtsp://h/a', passwordEnv: 'PW' });
    assert.ok(emptyDiff(diffCameras(env, cameras({ name: 'a', url: 'rtsp://h/a', passwordEnv: 'PW' }))));
    assert.equal(diffCameras(env, cameras({ name: 'a', url: 'rtsp://h/a', passwordEnv: 'PW2' })).changed.length, 1);
  });

  it('an empty diff for the same list in another order', () => {
    const list = cameras({ name: 'a', url: 'rtsp://h/a' }, { name: 'b', url: 'rtsp://h/b' });
    const diff = diffCameras(list, [...list].reverse());
    assert.ok(emptyDiff(diff));
    assert.equal(diff.unchanged.length, 2);
  });
});

describe('sameValue', () => {
  it('ignores key order and keys set to undefined, not array order', () => {
    assert.ok(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined }));
    assert.ok(!sameValue([1, 2], [2, 1]));
    assert.ok(!sameValue({ a: 1 }, { a: '1' }));
    assert.ok(!sameValue({ a: [] }, { a: {} }));
    assert.ok(!sameValue(null, {}));
  });
});

describe('settingsNeedingRestart', () => {
  it('names the settings other than cameras that differ, never their values', () => {
    const a = loadConfig({ port: 8080, cameras: [{ name: 'x', url: 'rtsp://h/x' }] });
    const b = loadConfig({ port: 8081, publicNames: ['cams.example.org'], cameras: [] });
    assert.deepEqual(settingsNeedingRestart(a, b), ['port', 'publicNames']);
    assert.deepEqual(settingsNeedingRestart(a, loadConfig({ port: 8080 })), []);
  });
});

describe('a camera\'s sub stream (issue 17)', () => {
  it('adding, changing or removing `substream` is a change of the camera', () => {
    const plain = cameras({ name: 'a', url: 'rtsp://h/main' });
    const withSub = cameras({ name: 'a', url: 'rtsp://h/main', substream: 'rtsp://h/sub' });
    assert.equal(diffCameras(plain, withSub).changed.length, 1);
    assert.equal(diffCameras(withSub, cameras({ name: 'a', url: 'rtsp://h/main', substream: 'rtsp://h/sub2' })).changed.length, 1);
    assert.equal(diffCameras(withSub, plain).changed.length, 1);
    assert.ok(emptyDiff(diffCameras(withSub, cameras({ name: 'a', url: 'rtsp://h/main', substream: 'rtsp://h/sub' }))));
  });

  it('must be an rtsp(s) URL, and is for live cameras only', () => {
    assert.throws(() => cameras({ name: 'a', url: 'rtsp://h/main', substream: 'http://h/sub' }), /cameras\.0\.substream: must be an rtsp/);
    assert.throws(() => cameras({ name: 'a', url: 'rtsp://h/main', substream: 'rtsp://h/sub', recording: true }), /cameras\.0\.substream: a recording has no sub stream/);
  });
});
