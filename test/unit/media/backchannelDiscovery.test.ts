/**
 * A live camera learns its ONVIF backchannel from its feed's DESCRIBE: asked for (the session option),
 * exposed as `camera.backchannel`, kept when a later session described without the header (the camera
 * refused a session with it for a while), never asked when the camera's `talk` is false.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import { Backoff } from '../../../server/src/media/Backoff.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import type { RtspSessionOptions } from '../../../server/src/rtsp/RtspSessionTypes.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';

const VIDEO: Track = { index: 0, kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: { 'packetization-mode': '1' }, control: 'rtsp://h/cam/0', direction: 'recvonly' };
const BACK: Track = { index: 1, kind: 'audio', codec: 'PCMU', payloadType: 0, clockRate: 8000, fmtp: {}, control: 'rtsp://h/cam/1', direction: 'sendonly' };

class Upstream extends EventEmitter implements UpstreamSession {
  constructor(readonly describedTracks: readonly Track[], readonly describedWithBackchannel: boolean) {
    super();
  }
  async start() {
    return { tracks: [VIDEO] };
  }
  async pause() {}
  async play() {}
  async close() {}
}

function camera(talk: boolean | undefined, layouts: Array<[Track[], boolean]>) {
  const asked: boolean[] = [];
  const sessions: Upstream[] = [];
  const cam = new LiveCamera({
    camera: { name: 'door', url: 'rtsp://192.0.2.1/cam', transport: 'tcp', preload: false, idleTimeoutMs: 10, ...(talk !== undefined ? { talk } : {}) },
    backoff: new Backoff({ initialMs: 5, maxMs: 10 }),
    createSession: (options: RtspSessionOptions) => {
      asked.push(options.backchannel === true);
      const [tracks, withHeader] = layouts[Math.min(sessions.length, layouts.length - 1)];
      const up = new Upstream(tracks, withHeader);
      sessions.push(up);
      return up;
    },
  });
  return { cam, asked, sessions };
}

test("the backchannel the DESCRIBE showed is the camera's, and is kept over a session described without the header", async () => {
  const { cam, asked, sessions } = camera(undefined, [[[VIDEO, BACK], true], [[VIDEO], false]]);
  const lease = cam.acquire();
  await cam.tracks();
  assert.deepEqual(asked, [true]);
  assert.equal(cam.backchannel, BACK);
  sessions[0].emit('close', undefined);
  await waitFor(() => sessions.length === 2 && cam.status.state === 'waiting', 'the second session');
  assert.equal(cam.backchannel, BACK, 'kept');
  lease.release();
  await cam.close();
});

test("talk: false never asks, and the camera has no backchannel", async () => {
  const { cam, asked } = camera(false, [[[VIDEO], false]]);
  const lease = cam.acquire();
  await cam.tracks();
  assert.deepEqual(asked, [false]);
  assert.equal(cam.backchannel, undefined);
  assert.equal(typeof cam.openBackchannel, 'function');
  lease.release();
  await cam.close();
});
