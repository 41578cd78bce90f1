/**
 * Main and sub streams (issue 17) on one peer connection: a session that starts on the camera's sub
 * stream is offered what both streams need (the H.264 profile covering both, the main stream's
 * audio), keeps sending the sub stream until the main stream's keyframe is there, then sends the main
 * stream on the same SSRC with sequence numbers and timestamps running on; the sub stream's lease is
 * released at that moment, not before. A cached GOP makes the switch back immediate. A stream whose
 * video cannot go on the negotiated codec is refused and the viewer stays. A werift peer stands in
 * for the browser; FakeCameras for the two streams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import { ViewerSession, type SessionStream } from '../../../server/src/session/ViewerSession.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { FakeCamera, h264Track, pcmaTrack } from '../webrtc/helpers/FakeCamera.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const peer = peerSettings({ iceHostAddresses: ['127.0.0.1'] });

function video(generation: number, keyframe: boolean, timestamp: number, tag: number): MediaFrame {
  const nal = keyframe ? Buffer.from([0x65, 0x88, tag]) : Buffer.from([0x41, 0x9a, tag]);
  return { trackIndex: 0, kind: 'video', timestamp, keyframe, payloads: [nal], generation, receivedAt: performance.now() };
}
function audio(generation: number, timestamp: number): MediaFrame {
  return { trackIndex: 1, kind: 'audio', timestamp, keyframe: true, payloads: [Buffer.alloc(160, 0xd5)], generation, receivedAt: performance.now() };
}

describe('ViewerSession: switching between a camera\'s main and sub streams', () => {
  const main = new FakeCamera('front', [h264Track(0, '640028'), pcmaTrack(1)]);
  const sub = new FakeCamera('front', [h264Track(0, '42e01e')]);
  main.substream = sub;
  main.setStatus({ state: 'live' });
  sub.setStatus({ state: 'live' });
  let session: ViewerSession;
  let browser: RTCPeerConnection;
  const videoRtp: RtpPacket[] = [];
  const audioRtp: RtpPacket[] = [];
  const streams: SessionStream[] = [];
  let offer = '';
  /** Tags of the video frames the browser received, in order (the third payload byte). */
  const tags = (): number[] => videoRtp.map((p) => p.payload[2]);

  before(async () => {
    browser = loopbackPeer();
    browser.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => (track.kind === 'video' ? videoRtp : audioRtp).push(rtp.clone())));
    session = new ViewerSession({ id: 'mix', camera: main, h265: false, peer, logger: silentLogger(), stream: 'sub' });
    session.on('stream', (s) => streams.push(s));
    session.on('offer', (sdp) => (offer = sdp));
    await session.start();
    await browser.setRemoteDescription({ type: 'offer', sdp: offer });
    await browser.setLocalDescription(await browser.createAnswer());
    await session.answer(browser.localDescription!.sdp);
    await waitFor(() => session.viewer?.state === 'connected', 'connected');
  });
  after(async () => {
    await session.close();
    await browser.close();
  });

  it('starts on the sub stream, offered the profile covering both and the main stream\'s audio; the main stream is not leased', () => {
    assert.equal(session.stream, 'sub');
    assert.deepEqual([main.leases.size, sub.leases.size], [0, 1]);
    assert.match(offer, /profile-level-id=640028/, 'High 4.0 covers the sub stream\'s Constrained Baseline 3.0');
    assert.match(offer, /m=audio[^\n]*\r?\n[\s\S]*PCMA\/8000/, "the main stream's audio has its track already");
    assert.deepEqual(streams.at(-1), { stream: 'sub', streams: [{ name: 'main' }, { name: 'sub' }] });
  });

  it('keeps sending the sub stream until the main stream\'s keyframe, then the main stream on the same SSRC, sequence and timeline', async () => {
    sub.push(video(11, true, 1000, 1));
    sub.push(video(11, false, 4600, 2));
    await waitFor(() => videoRtp.length === 2, 'the sub stream plays');
    session.switchStream('main');
    await waitFor(() => main.leases.size === 1 && main.sinks.size === 1, 'the main stream leased and watched');
    main.push(video(21, false, 500_000, 90)); // a P-frame without its keyframe: useless to the decoder
    sub.push(video(11, false, 8200, 3)); // the sub stream still plays meanwhile
    await waitFor(() => videoRtp.length === 3, 'the sub stream still plays');
    assert.equal(sub.leases.size, 1, 'the sub stream is held until the cut-over');
    assert.equal(streams.length, 1, 'no stream message before the cut-over');
    main.push(video(21, true, 503_600, 4)); // the cut-over
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([main.leases.size, sub.leases.size], [1, 0], 'the sub stream let go at the cut-over');
    sub.push(video(11, false, 11_800, 91)); // not this viewer's any more
    main.push(video(21, false, 507_200, 5));
    main.push(audio(21, 8000));
    await waitFor(() => videoRtp.length === 5 && audioRtp.length === 1, 'the main stream plays, with sound');
    assert.deepEqual(tags(), [1, 2, 3, 4, 5]);
    assert.equal(new Set(videoRtp.map((p) => p.header.ssrc)).size, 1, 'one SSRC');
    const seq = videoRtp.map((p) => p.header.sequenceNumber);
    assert.ok(seq.every((s, i) => i === 0 || s === ((seq[i - 1] + 1) & 0xffff)), `sequence numbers run on: ${seq.join(' ')}`);
    const ts = videoRtp.map((p) => p.header.timestamp);
    assert.equal((ts[1] - ts[0]) >>> 0, 3600);
    const step = (ts[3] - ts[2]) >>> 0;
    assert.ok(step > 0 && step < 90_000, `the main stream's keyframe follows the last sub frame by the wall time between them (${step} ticks)`);
    assert.equal((ts[4] - ts[3]) >>> 0, 3600, "then the main stream's own spacing");
    assert.equal(session.stream, 'main');
    assert.equal(streams.at(-1)?.stream, 'main');
  });

  it('switches back at once from the sub stream\'s cached GOP; asking for the stream it is on answers at once', async () => {
    sub.gop = [video(12, true, 20_000, 6), video(12, false, 23_600, 7)];
    const before = videoRtp.length;
    session.switchStream('sub');
    await waitFor(() => session.stream === 'sub', 'switched back');
    assert.deepEqual([main.leases.size, sub.leases.size], [0, 1]);
    await waitFor(() => videoRtp.length === before + 2, 'the cached GOP replayed');
    assert.deepEqual(tags().slice(-2), [6, 7]);
    const count = streams.length;
    session.switchStream('sub');
    assert.equal(streams.length, count + 1);
    assert.equal(streams.at(-1)?.stream, 'sub');
    assert.equal(streams.at(-1)?.error, undefined);
  });

  it('a stream whose video cannot go on the negotiated codec is refused: the viewer stays, the lease goes', async () => {
    main.setTracks([{ ...h264Track(0), codec: 'H265', fmtp: {} }]);
    session.switchStream('main');
    await waitFor(() => streams.at(-1)?.error !== undefined, 'the refusal');
    assert.equal(streams.at(-1)?.error?.code, 'ERR_CODEC_UNSUPPORTED');
    assert.equal(streams.at(-1)?.stream, 'sub');
    assert.deepEqual([main.leases.size, sub.leases.size], [0, 1]);
    const before = videoRtp.length;
    sub.push(video(12, false, 27_200, 8));
    await waitFor(() => videoRtp.length === before + 1, 'the sub stream plays on');
  });

  it('close() releases every lease', async () => {
    await session.close();
    assert.deepEqual([main.leases.size, sub.leases.size], [0, 0]);
  });
});

describe('ViewerSession: a stream that cannot play here starts the other one', () => {
  it('an H.265 main stream, a browser without H.265: the H.264 sub stream', async () => {
    const main = new FakeCamera('hevc', [{ ...h264Track(0), codec: 'H265', fmtp: {} }]);
    main.substream = new FakeCamera('hevc', [h264Track(0)]);
    const session = new ViewerSession({ id: 'h1', camera: main, h265: false, peer, logger: silentLogger() });
    const events: string[] = [];
    session.on('offer', (sdp) => events.push(/H264\/90000/.test(sdp) ? 'offer H264' : 'offer'));
    session.on('stream', (s) => events.push(`stream ${s.stream}`));
    session.on('failed', (e) => events.push(`failed ${e.code}`));
    await session.start();
    assert.deepEqual(events, ['offer H264', 'stream sub']);
    assert.deepEqual([main.leases.size, main.substream.leases.size], [0, 1]);
    await session.close();
  });

  it('an unplayable sub stream (MJPEG only): the main stream, without showing the sub stream\'s state', async () => {
    const main = new FakeCamera('old', [h264Track(0)]);
    const sub = new FakeCamera('old');
    main.substream = sub;
    const session = new ViewerSession({ id: 'm1', camera: main, h265: false, peer, logger: silentLogger(), stream: 'sub' });
    const states: string[] = [];
    session.on('status', (s) => states.push(s.state));
    const started = session.start();
    sub.setStatus({ state: 'unplayable', error: { code: 'ERR_RTSP_NO_TRACKS', message: 'MJPEG only' } });
    await sub.close();
    await started;
    assert.equal(session.stream, 'main');
    assert.ok(!states.includes('unplayable'), `states: ${states.join(' ')}`);
    assert.deepEqual([main.leases.size, sub.leases.size], [1, 0]);
    await session.close();
  });
});
