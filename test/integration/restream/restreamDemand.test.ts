/**
 * The restream's demand on a camera and its tracks over time, with a camera the test drives
 * (FakeCamera: tracks, status and frames pushed by hand): one lease for all RTSP clients, playing
 * while any client plays; a camera that comes back with other codecs ends its RTSP sessions, one
 * that only learnt its true profile does not; a camera changed at run time is served anew.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { AccessPolicy } from '../../../server/src/auth/AccessPolicy.js';
import { Authenticator } from '../../../server/src/auth/Authenticator.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { Restream } from '../../../server/src/restream/Restream.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { RtspTestClient } from '../../helpers/rtspTestClient.js';
import { FakeCamera, FakeDirectory, h264Track, pcmaTrack } from '../webrtc/helpers/FakeCamera.js';
import { framesWithin, playCamera, waitUntil } from './restreamRig.js';

let ts = 0;
function video(keyframe: boolean): MediaFrame {
  ts += 3600;
  return { trackIndex: 0, kind: 'video', timestamp: ts, keyframe, payloads: [Buffer.from([keyframe ? 0x65 : 0x41, 1, 2])], generation: 1, receivedAt: performance.now() };
}

function h265Track(index = 0): Track {
  return { ...h264Track(index), codec: 'H265', fmtp: {} };
}

describe('the restream as a viewer of the camera', () => {
  const camera = new FakeCamera('front', [h264Track(0), pcmaTrack(1)]);
  const cameras = new FakeDirectory([camera]);
  let restream: Restream;
  let port: number;

  before(async () => {
    camera.setStatus({ state: 'live' });
    restream = await Restream.start({ cameras, authenticator: new Authenticator({ policy: AccessPolicy.open() }), host: '127.0.0.1', port: 0, logger: silentLogger() });
    port = restream.port!;
  });
  after(async () => {
    await restream.close();
  });

  it('three clients hold ONE lease; it plays while any client plays, and goes with the last client', async () => {
    const clients = [await playCamera(port), await playCamera(port), await playCamera(port)];
    try {
      // The lease of DESCRIBE's wait is given back once the first client set up: one lease left.
      assert.equal(camera.leases.size, 1);
      const [lease] = camera.leases;
      camera.push(video(true));
      for (const c of clients) await framesWithin(c.client, 0, 1);
      const pause = (i: number) => clients[i].client.request('PAUSE', `rtsp://127.0.0.1:${port}/front`, { Session: clients[i].session });
      await pause(0);
      await pause(1);
      assert.equal(lease.playing, true, 'one client still plays');
      await pause(2);
      assert.equal(lease.playing, false, 'every client paused: the camera may pause');
      await clients[1].client.request('PLAY', `rtsp://127.0.0.1:${port}/front`, { Session: clients[1].session });
      assert.equal(lease.playing, true);
      clients[0].client.close();
      clients[1].client.close();
      await waitUntil(() => restream.sessionCount('front') === 1, 'two sessions gone');
      assert.equal(camera.leases.size, 1);
      clients[2].client.close();
      await waitUntil(() => camera.leases.size === 0, 'the lease released with the last client');
    } finally {
      for (const c of clients) c.client.close();
    }
  });

  it('the true profile learnt from the SPS: later DESCRIBEs say it, playing clients go on', async () => {
    const p = await playCamera(port);
    try {
      camera.setTracks([h264Track(0, '4d0029'), pcmaTrack(1)], true);
      const other = await RtspTestClient.connect(port);
      try {
        const res = await other.request('DESCRIBE', `rtsp://127.0.0.1:${port}/front`);
        assert.match(res.body.toString(), /profile-level-id=4d0029/);
      } finally {
        other.close();
      }
      camera.push(video(true));
      await framesWithin(p.client, 0, 1);
      assert.equal(restream.sessionCount('front'), 1);
    } finally {
      p.client.close();
    }
  });

  it('the camera came back with another codec: its RTSP clients are ended (connection closed) and the next DESCRIBE has the new tracks', async () => {
    const p = await playCamera(port);
    try {
      const closed = once(p.client.socket, 'close');
      camera.setTracks([h265Track(0)], false);
      await closed;
      assert.equal(restream.sessionCount('front'), 0);
      const other = await RtspTestClient.connect(port);
      try {
        const res = await other.request('DESCRIBE', `rtsp://127.0.0.1:${port}/front`);
        assert.equal(res.status, 200);
        assert.match(res.body.toString(), /H265\/90000/);
        assert.doesNotMatch(res.body.toString(), /PCMA/);
      } finally {
        other.close();
      }
    } finally {
      p.client.close();
    }
  });

  it('a camera changed at run time (a new camera under the name) is served anew; the old one\'s clients are ended', async () => {
    camera.setTracks([h264Track(0), pcmaTrack(1)], false);
    const p = await playCamera(port);
    const replacement = new FakeCamera('front', [h264Track(0)]);
    replacement.setStatus({ state: 'live' });
    try {
      const closed = once(p.client.socket, 'close');
      cameras.cameras.set('front', replacement);
      camera.emit('closed', new Error('changed'));
      await closed;
      const q = await playCamera(port, 'front', {}, undefined).catch((err: Error) => err);
      // The replacement has video only: SETUP of trackID=1 is refused.
      assert.match(String(q), /SETUP audio 404/);
      assert.equal(replacement.leases.size, 1, 'the new camera has the restream as a viewer');
      assert.equal(camera.leases.size, 0, 'the old one has none');
    } finally {
      p.client.close();
    }
  });
});
