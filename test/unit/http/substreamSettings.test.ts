import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../server/src/config/Config.js';
import { publicCameraConfig } from '../../../server/src/http/cameraApi.js';

describe('control API: a camera\'s sub stream in its settings', () => {
  it('is shown without credentials, as the main URL is', () => {
    const [camera] = loadConfig({ cameras: [{ name: 'a', url: 'rtsp://admin:pw@192.0.2.1/main', substream: 'rtsp://admin:pw@192.0.2.1/sub?ch=1' }], demo: false }).cameras;
    const shown = publicCameraConfig(camera);
    assert.equal(shown.url, 'rtsp://192.0.2.1/main');
    assert.equal(shown.substream, 'rtsp://192.0.2.1/sub?ch=1');
    assert.doesNotMatch(JSON.stringify(shown), /pw/);
  });

  it('is absent for a camera with one stream', () => {
    const [camera] = loadConfig({ cameras: [{ name: 'a', url: 'rtsp://192.0.2.1/main' }], demo: false }).cameras;
    assert.equal('substream' in publicCameraConfig(camera), false);
  });
});
