/**
 * What /metrics times for each viewer (time to first frame, time to a live picture) and counts (bytes
 * out), over a real werift peer connection. The first frame is the first of the picture to go out,
 * however old; the live picture is the first that left less than LIVE_PICTURE_MAX_AGE_MS after it
 * arrived from the camera. A replayed GOP (older than that) gives the first, not the second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { LIVE_PICTURE_MAX_AGE_MS, REPLAY_REST_DELAY_MS, Viewer } from '../../../server/src/webrtc/Viewer.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { h264Track, pcmaTrack } from './helpers/FakeCamera.js';
import { waitFor } from './helpers/waitFor.js';

function frame(keyframe: boolean, timestamp: number, receivedAt: number, bytes = 4): MediaFrame {
  const nal = Buffer.alloc(bytes, 7);
  nal[0] = keyframe ? 0x65 : 0x41;
  return { trackIndex: 0, kind: 'video', timestamp, keyframe, payloads: [nal, Buffer.from([0x41, 1])], generation: 1, receivedAt };
}

describe('Viewer: first frame, live picture, bytes out', () => {
  const now = performance.now();
  // A GOP the camera started 2 s ago: every frame of it is older than a live picture may be.
  const gop = [frame(true, 0, now - 2_000, 900), frame(false, 3_600, now - 1_960), frame(false, 7_200, now - 1_920)];
  const video: RtpPacket[] = [];
  let viewer: Viewer;
  let browser: RTCPeerConnection;

  before(async () => {
    viewer = new Viewer({
      id: 'timing',
      tracks: [h264Track(0), pcmaTrack(1)],
      network: { hostAddresses: ['127.0.0.1'] },
      requestKeyframe: () => gop,
      logger: silentLogger(),
    });
    browser = loopbackPeer();
    browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => track.kind === 'video' && video.push(rtp.clone())));
    await browser.setRemoteDescription({ type: 'offer', sdp: await viewer.createOffer() });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(browser.localDescription!.sdp);
  });
  after(async () => {
    await viewer.close();
    await browser.close();
  });

  it('nothing is timed before a frame went out', () => {
    assert.equal(viewer.firstFrameAt, undefined);
    assert.equal(viewer.livePictureAt, undefined);
    assert.equal(viewer.stats.bytesSent, 0);
  });

  it('a replayed GOP gives the first frame but no live picture; audio never counts as the picture', async () => {
    await waitFor(() => viewer.state === 'connected', 'connected');
    await new Promise((r) => setTimeout(r, REPLAY_REST_DELAY_MS + 30));
    assert.equal(viewer.stats.framesSent, 3, 'the whole GOP went out');
    const first = viewer.firstFrameAt;
    assert.ok(first !== undefined && first >= now, 'the replayed keyframe is the first frame');
    assert.equal(viewer.livePictureAt, undefined, 'frames 2 s old are no live picture');
    // Audio of a camera with video: fresh as it is, it is not the picture.
    viewer.onFrame({ trackIndex: 1, kind: 'audio', timestamp: 0, keyframe: true, payloads: [Buffer.alloc(160)], generation: 1, receivedAt: performance.now() });
    assert.equal(viewer.livePictureAt, undefined);
    // A live frame that waited longer than a live picture may (a slow path): still not live.
    viewer.onFrame(frame(false, 10_800, performance.now() - LIVE_PICTURE_MAX_AGE_MS - 50));
    assert.equal(viewer.livePictureAt, undefined);
  });

  it('the first fresh frame of the picture is the live picture, timed once', async () => {
    const before = performance.now();
    viewer.onFrame(frame(false, 14_400, performance.now()));
    const live = viewer.livePictureAt;
    assert.ok(live !== undefined && live >= before && live >= viewer.firstFrameAt!, 'live picture after the first frame');
    viewer.onFrame(frame(false, 18_000, performance.now()));
    assert.equal(viewer.livePictureAt, live, 'only the first live frame is timed');
  });

  it('bytes out: each RTP packet with its 12-byte header, audio included', async () => {
    const stats = viewer.stats;
    // 3 replayed and 3 live video frames of 2 payloads each, 1 audio packet.
    const video = 900 + 4 + 4 + 4 + 4 + 4 + 2 * 6;
    assert.equal(stats.packetsSent, 6 * 2 + 1);
    assert.equal(stats.bytesSent, video + 160 + 12 * stats.packetsSent);
    assert.equal(stats.nacksReceived, 0);
  });
});
