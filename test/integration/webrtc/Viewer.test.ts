/**
 * A real werift peer connection in the test process plays the browser: the server Viewer offers
 * H264 + PCMA over loopback, the test answers, and checks the RTP that arrives.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { Viewer } from '../../../server/src/webrtc/Viewer.js';
import { repoRoot } from '../../helpers/paths.js';
import { h264Track, pcmaTrack } from './helpers/FakeCamera.js';
import { H264FrameSource, NAL_FU_A, NAL_IDR, NAL_SPS, NAL_STAP_A } from './helpers/h264Frames.js';
import { waitFor } from './helpers/waitFor.js';
import { LOOPBACK_ICE } from '../../helpers/loopbackPeer.js';

function browserPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    ...LOOPBACK_ICE,
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 })],
    },
  });
}

/** Whether an H.264 RTP payload starts an access unit that a decoder can start from. */
function startsKeyframe(payload: Buffer): boolean {
  const type = payload[0] & 0x1f;
  if (type === NAL_SPS || type === NAL_IDR) return true;
  if (type === NAL_STAP_A) return (payload[3] & 0x1f) === NAL_SPS;
  if (type === NAL_FU_A) return (payload[1] & 0x80) !== 0 && (payload[1] & 0x1f) === NAL_IDR;
  return false;
}

function assertContinuous(packets: readonly RtpPacket[], what: string): void {
  for (let i = 1; i < packets.length; i++) {
    const prev = packets[i - 1].header.sequenceNumber;
    assert.equal(packets[i].header.sequenceNumber, (prev + 1) & 0xffff, `${what}: sequence gap after packet ${i - 1}`);
  }
}

describe('Viewer over loopback with a werift browser', () => {
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  const video: RtpPacket[] = [];
  const audio: RtpPacket[] = [];
  let keyframeRequests = 0;
  let plis = 0;
  let viewer: Viewer;
  let browser: RTCPeerConnection;

  before(async () => {
    viewer = new Viewer({
      id: 'viewer-test',
      tracks: [h264Track(0, '42e01f'), pcmaTrack(1)],
      network: { hostAddresses: ['127.0.0.1'] },
      requestKeyframe: () => {
        keyframeRequests++;
      },
      logger: silentLogger(),
    });
    viewer.on('pli', () => plis++);
    browser = browserPeer();
    browser.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => (track.kind === 'video' ? video : audio).push(rtp.clone()));
    });
  });

  after(async () => {
    await viewer.close();
    await browser.close();
  });

  it('offers H264 packetization-mode=1 with the camera profile, and PCMA as payload type 8', async () => {
    const offer = await viewer.createOffer();
    assert.match(offer, /a=rtpmap:96 H264\/90000/);
    assert.match(offer, /a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f/);
    assert.match(offer, /a=rtcp-fb:96 nack pli/);
    assert.match(offer, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF 8\r\n/);
    assert.match(offer, /a=sendonly/);
    assert.match(offer, / 127\.0\.0\.1 \d+ typ host/);
    assert.doesNotMatch(offer, /192\.0\.2|stun:/);
    await browser.setRemoteDescription({ type: 'offer', sdp: offer });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(browser.localDescription!.sdp);
    await waitFor(() => viewer.state === 'connected', 'viewer connected');
    assert.ok(keyframeRequests >= 1, 'a keyframe is requested once connected');
  });

  it('starts at a keyframe and keeps sequence numbers continuous', async () => {
    clip.nextFrame(); // the clip opens with an IDR: skip it so the viewer first sees P-frames
    for (let i = 0; i < 5; i++) viewer.onFrame(clip.nextFrame());
    assert.equal(viewer.stats.framesSent, 0, 'P-frames before the first keyframe are not sent');
    assert.equal(viewer.stats.framesSkipped, 5);
    // Run through the rest of the first GOP into the second one (which starts with SPS/PPS/IDR).
    for (let i = 0; i < clip.units.length; i++) {
      viewer.onFrame(clip.nextFrame());
      await new Promise((r) => setImmediate(r));
    }
    const sent = viewer.stats.packetsSent;
    assert.ok(viewer.stats.framesSent > 0);
    await waitFor(() => video.length >= sent, `all ${sent} video packets received`);
    assert.ok(startsKeyframe(video[0].payload), `first packet is SPS, STAP-A or IDR (type ${video[0].payload[0] & 0x1f})`);
    assertContinuous(video, 'first camera session');
    assert.equal(video[0].header.payloadType, 96);
    const markers = video.filter((p) => p.header.marker).length;
    assert.equal(markers, viewer.stats.framesSent, 'one marker per access unit');
  });

  it('carries PCMA audio with payload type 8', async () => {
    for (let i = 0; i < 3; i++) {
      viewer.onFrame({
        trackIndex: 1,
        kind: 'audio',
        timestamp: 5000 + i * 160,
        keyframe: true,
        payloads: [Buffer.alloc(160, 0xd5)],
        generation: 1,
        receivedAt: 2000 + i * 20,
      });
    }
    await waitFor(() => audio.length >= 3, 'audio packets received');
    assert.equal(audio[0].header.payloadType, 8);
    assert.equal(audio[1].header.timestamp - audio[0].header.timestamp, 160);
    assertContinuous(audio, 'audio');
  });

  it('viewer survives camera reconnect: same SSRC, continuous sequence, timestamps advance by the wall-clock gap', async () => {
    const before = video.length;
    const last = video[before - 1].header;
    const lastFrameAt = clip.receivedAt - 1000 / clip.fps;
    const requestsBefore = keyframeRequests;
    // New RTSP session: random new timestamp base, 2 s later, and it starts with a P-frame.
    clip.restart(7_777_777, 2000);
    const stray = clip.nextFrame();
    viewer.onFrame({ ...stray, keyframe: false, payloads: [Buffer.from([0x41, 0x9a, 0x00])] });
    assert.ok(keyframeRequests > requestsBefore, 'a P-frame of a new generation asks for a keyframe');
    clip.restart(7_777_777, 0);
    clip.receivedAt = stray.receivedAt + 40;
    const firstNew = clip.nextFrame();
    const frames = [firstNew, clip.nextFrame(), clip.nextFrame(), clip.nextFrame()];
    for (const frame of frames) viewer.onFrame(frame);
    const expected = before + frames.reduce((n, f) => n + f.payloads.length, 0);
    await waitFor(() => video.length >= expected, 'packets after the reconnect received');
    assert.equal(video.length, expected, 'the stray P-frame of the new session was not sent');
    const after = video.slice(before);
    assert.ok(startsKeyframe(after[0].payload), 'the new generation starts at a keyframe');
    assertContinuous(video, 'across the reconnect');
    assert.equal(after[0].header.ssrc, last.ssrc, 'SSRC unchanged');
    const expectedTicks = Math.round((firstNew.receivedAt - lastFrameAt) * 90);
    assert.equal(after[0].header.timestamp, (last.timestamp + expectedTicks) >>> 0, 'timestamp continues with the elapsed time');
  });

  it('forwards the browser PLI as a pli event', async () => {
    const receiver = browser.getTransceivers().find((t) => t.kind === 'video')!.receiver;
    await receiver.sendRtcpPLI(video[0].header.ssrc);
    await waitFor(() => plis > 0, 'pli event');
  });

  it('pause stops forwarding; play resumes at a keyframe and asks for one', async () => {
    viewer.pause();
    const count = viewer.stats.packetsSent;
    viewer.onFrame(clip.nextFrame());
    assert.equal(viewer.stats.packetsSent, count, 'nothing sent while paused');
    const requests = keyframeRequests;
    viewer.play();
    assert.equal(keyframeRequests, requests + 1);
    const skipped = viewer.stats.framesSkipped;
    viewer.onFrame({ ...clip.nextFrame(), keyframe: false });
    assert.equal(viewer.stats.framesSkipped, skipped + 1, 'P-frame after play is skipped');
    clip.rewind();
    viewer.onFrame(clip.nextFrame());
    assert.ok(viewer.stats.packetsSent > count, 'keyframe after play is sent');
  });

  it('ignores frames of tracks it does not carry, and empty frames', () => {
    const sent = viewer.stats.packetsSent;
    const frame = { kind: 'video' as const, timestamp: 0, keyframe: true, generation: clip.generation, receivedAt: clip.receivedAt };
    viewer.onFrame({ ...frame, trackIndex: 9, payloads: [Buffer.from([0x65, 0x88])] });
    viewer.onFrame({ ...frame, trackIndex: 0, payloads: [] });
    assert.equal(viewer.stats.packetsSent, sent);
  });

  it('never throws from onFrame, even on a malformed frame', async () => {
    const errors = viewer.stats.sendErrors;
    const broken = { trackIndex: 0, kind: 'video' as const, timestamp: 0, keyframe: true, generation: clip.generation, receivedAt: 0 };
    assert.doesNotThrow(() => viewer.onFrame({ ...broken, payloads: [null as unknown as Buffer] }));
    await waitFor(() => viewer.stats.sendErrors > errors, 'the failed send is counted');
  });

  it('close is idempotent and ends in state closed', async () => {
    let closes = 0;
    viewer.on('close', () => closes++);
    const first = viewer.close();
    assert.equal(viewer.close(), first);
    await first;
    assert.equal(viewer.state, 'closed');
    assert.equal(closes, 1);
    await assert.rejects(viewer.createOffer(), { code: 'ERR_CLOSED' });
  });
});
