import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../../server/src/config/Config.js';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { TranscodedCamera } from '../../../server/src/transcode/TranscodedCamera.js';

const video = (codec: 'H264' | 'H265'): Track => ({ index: 0, kind: 'video', codec, payloadType: 96, clockRate: 90000, fmtp: {}, control: 'rtsp://h/cam/trackID=0', direction: 'recvonly' });

class DescribedUpstream extends EventEmitter implements UpstreamSession {
  constructor(private readonly tracks: readonly Track[]) {
    super();
  }
  async start(): Promise<{ tracks: readonly Track[] }> {
    return { tracks: this.tracks };
  }
  async pause(): Promise<void> {}
  async play(): Promise<void> {}
  async close(): Promise<void> {}
}

function camera(transcode: 'h264' | 'auto' | undefined, codec: 'H264' | 'H265'): LiveCamera {
  return new LiveCamera({
    camera: { name: 'cam', url: 'rtsp://192.0.2.1/cam', transport: 'tcp', preload: false, idleTimeoutMs: 10, ...(transcode ? { transcode } : {}) },
    createSession: () => new DescribedUpstream([video(codec)]),
  });
}

describe('LiveCamera.viewFor: which camera a viewer gets', () => {
  it('without `transcode`: the camera itself, H.265 or not (those browsers are refused as before)', async () => {
    const cam = camera(undefined, 'H265');
    assert.equal(cam.viewFor(false), cam);
    assert.equal(cam.viewFor(true), cam);
    await cam.close();
  });

  it('transcode: h264 gives every browser the H.264 view of an H.265 camera, also before it was described', async () => {
    const cam = camera('h264', 'H265');
    const before = cam.viewFor(true);
    assert.ok(before instanceof TranscodedCamera);
    const lease = cam.acquire();
    await cam.tracks();
    assert.equal(cam.viewFor(false), before, 'one view per camera');
    assert.equal(cam.viewFor(true), before);
    assert.deepEqual((await before.tracks()).map((t) => t.codec), ['H264']);
    lease.release();
    await cam.close();
  });

  it('transcode: auto transcodes only for browsers without H.265; an H.264 camera is never transcoded', async () => {
    const cam = camera('auto', 'H265');
    assert.equal(cam.viewFor(true), cam);
    assert.ok(cam.viewFor(false) instanceof TranscodedCamera);
    await cam.close();
    const h264 = camera('h264', 'H264');
    const lease = h264.acquire();
    await h264.tracks();
    assert.equal(h264.viewFor(false), h264);
    lease.release();
    await h264.close();
  });

  it('the setting is h264 or auto, anything else is refused by name', () => {
    assert.equal(loadConfig({ cameras: [{ name: 'a', url: 'rtsp://h/a', transcode: 'auto' }] }).cameras[0].transcode, 'auto');
    assert.throws(() => loadConfig({ cameras: [{ name: 'a', url: 'rtsp://h/a', transcode: 'vp8' as 'auto' }] }), /transcode/);
  });
});
