/**
 * GOP replay over a real werift peer connection: a viewer that connects while the camera is in the
 * middle of its GOP gets the cached keyframe at once and the rest of the GOP right after it, paced,
 * with timestamps that follow the sending (REPLAY_FRAME_INTERVAL_MS); live frames that come meanwhile
 * wait behind the replay, then continue with the camera's spacing; a PLI is answered with the cache
 * again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { REPLAY_FRAME_INTERVAL_MS, REPLAY_REST_DELAY_MS, Viewer } from '../../../server/src/webrtc/Viewer.js';
import { h264Track } from './helpers/FakeCamera.js';
import { waitFor } from './helpers/waitFor.js';
import { LOOPBACK_ICE } from '../../helpers/loopbackPeer.js';

function frame(keyframe: boolean, timestamp: number, receivedAt: number): MediaFrame {
  const nal = keyframe ? Buffer.from([0x65, 0x88, 1, 2]) : Buffer.from([0x41, 0x9a, 3, 4]);
  return { trackIndex: 0, kind: 'video', timestamp, keyframe, payloads: [nal], generation: 1, receivedAt };
}

describe('Viewer: cached GOP replay', () => {
  const gop = [frame(true, 90_000, 0), frame(false, 93_600, 40), frame(false, 97_200, 80)];
  const video: RtpPacket[] = [];
  let viewer: Viewer;
  let browser: RTCPeerConnection;

  before(() => {
    viewer = new Viewer({ id: 'gop', tracks: [h264Track(0)], network: { hostAddresses: ['127.0.0.1'] }, requestKeyframe: () => gop, logger: silentLogger() });
    browser = new RTCPeerConnection({
      ...LOOPBACK_ICE,
      codecs: {
        video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }], parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' })],
        audio: [],
      },
    });
    browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => video.push(rtp.clone())));
  });
  after(async () => {
    await viewer.close();
    await browser.close();
  });

  it('on connect: the keyframe at once, the rest of the GOP after it, paced; live frames continue with camera spacing', async () => {
    let sentAtConnect = -1;
    viewer.on('state', (state) => {
      if (state === 'connected') queueMicrotask(() => (sentAtConnect = viewer.stats.framesSent));
    });
    await browser.setRemoteDescription({ type: 'offer', sdp: await viewer.createOffer() });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(browser.localDescription!.sdp);
    await waitFor(() => viewer.state === 'connected', 'connected');
    assert.equal(viewer.stats.replays, 1);
    assert.equal(sentAtConnect, 1, 'only the keyframe goes out with the connection');
    // Frames the camera delivers before the rest of the replay went out wait behind it.
    viewer.onFrame(gop[2]); // the Source delivers the frame the replay already carries: not sent twice
    viewer.onFrame(frame(false, 100_800, 120));
    assert.equal(viewer.stats.framesSent, 1);
    await new Promise((r) => setTimeout(r, REPLAY_REST_DELAY_MS + 20));
    assert.equal(viewer.stats.framesSent, 4);
    await waitFor(() => video.length >= 4, 'replayed and live packets');
    assert.equal(video.length, 4);
    assert.equal(video[0].payload[0] & 0x1f, 5, 'keyframe first');
    // Timestamps follow the sending, not the camera's 40 ms (a late timer only spaces them more).
    const step = (i: number): number => (video[i].header.timestamp - video[i - 1].header.timestamp) >>> 0;
    assert.ok(step(1) >= REPLAY_REST_DELAY_MS * 90 && step(1) < 90_000, `rest of the GOP ${REPLAY_REST_DELAY_MS} ms after the keyframe (${step(1)} ticks)`);
    assert.ok(step(2) >= REPLAY_FRAME_INTERVAL_MS * 90 && step(2) < 90_000, `then ${REPLAY_FRAME_INTERVAL_MS} ms apart (${step(2)} ticks)`);
    assert.ok(step(3) >= REPLAY_FRAME_INTERVAL_MS * 90 && step(3) < 90_000, 'the live frame queued behind the replay too');
    // Past the backlog: the first live frame follows the wall clock, the next ones the camera again.
    await new Promise((r) => setTimeout(r, 20));
    viewer.onFrame(frame(false, 104_400, 160));
    viewer.onFrame(frame(false, 108_000, 200));
    await waitFor(() => video.length >= 6, 'live packets');
    assert.ok(step(4) >= 20 * 90 && step(4) < 90_000, `first live frame: the time since the last replayed one (${step(4)} ticks)`);
    assert.equal(step(5), 3600, 'then 40 ms at 90 kHz, the camera spacing');
  });

  it('a PLI is answered from the cache once, not once per PLI of a burst', async () => {
    const receiver = browser.getTransceivers()[0].receiver;
    await receiver.sendRtcpPLI(video[0].header.ssrc);
    await receiver.sendRtcpPLI(video[0].header.ssrc);
    await waitFor(() => viewer.stats.pliReceived >= 2, 'PLIs received');
    assert.equal(viewer.stats.replays, 2);
    await waitFor(() => video.length >= 9, 'replayed packets');
    const ts = video.map((p) => p.header.timestamp);
    assert.ok(((ts[6] - ts[5]) >>> 0) > 0 && ((ts[6] - ts[5]) >>> 0) < 0x8000_0000, 'the replay comes after everything sent');
    assert.equal(video[6].payload[0] & 0x1f, 5);
  });
});
