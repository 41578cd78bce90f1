/**
 * The contract between camrtc and the exact werift version it pins: real calls over loopback, camrtc's
 * Viewer on one side and a werift peer connection playing the browser on the other, with a logger
 * that keeps every line. It fails when any reach into werift's internals (server/src/webrtc/werift/)
 * found another shape and fell back to werift's own behaviour, and it checks what the receiving side
 * needs for lip sync: the RTCP sender reports of the audio and the video stream carry NTP times from
 * the wall clock with sub-second resolution and RTP timestamps that advance at each stream's clock
 * rate, so both streams map onto one timeline. Both RTP outputs are covered: camrtc's own writer
 * (the Viewer's offer, AES-128-GCM) and werift's sender (the browser's offer, AES-CM only).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProtectionProfileAes128CmHmacSha1_80, RtcpSrPacket, RTCPeerConnection, type RtcpPacket } from 'werift';
import { createLogger } from '../../../server/src/log/logger.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import { unixMsFromNtp } from '../../../server/src/rtp/ntp.js';
import { Viewer } from '../../../server/src/webrtc/Viewer.js';
import { IceMux } from '../../../server/src/webrtc/ice/IceMux.js';
import { SHAPE_CHANGED_MESSAGE, weriftFallbacks } from '../../../server/src/webrtc/werift/index.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { repoRoot } from '../../helpers/paths.js';
import { h264Track, pcmaTrack } from './helpers/FakeCamera.js';
import { H264FrameSource } from './helpers/h264Frames.js';
import { waitFor } from './helpers/waitFor.js';

/** Every log line of the server side, from the first werift reach on (some reaches run once per process). */
const lines: string[] = [];
const logger = createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });

const VIDEO_CLOCK = 90_000;
const AUDIO_CLOCK = 8_000;
const AUDIO_FRAME_MS = 20;
const STREAM_MS = 4_000;

const wallMs = (): number => performance.timeOrigin + performance.now();

interface Report {
  ssrc: number;
  ntpMs: number;
  rtp: number;
  receivedAt: number;
}
interface Received {
  ssrc: number;
  timestamp: number;
  receivedAt: number;
}

/** What the browser side sees: RTP packets and sender reports, with their arrival wall time. */
function listen(browser: RTCPeerConnection): { packets: Received[]; reports: Report[] } {
  const packets: Received[] = [];
  const reports: Report[] = [];
  const seen = new Set<string>();
  browser.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => packets.push({ ssrc: rtp.header.ssrc, timestamp: rtp.header.timestamp, receivedAt: wallMs() }));
  });
  const onRtcp = (packet: RtcpPacket): void => {
    if (!(packet instanceof RtcpSrPacket)) return;
    const key = `${packet.ssrc}:${packet.senderInfo.ntpTimestamp}`;
    if (seen.has(key)) return;
    seen.add(key);
    reports.push({ ssrc: packet.ssrc, ntpMs: unixMsFromNtp(packet.senderInfo.ntpTimestamp), rtp: packet.senderInfo.rtpTimestamp, receivedAt: wallMs() });
  };
  const subscribed = new Set<object>();
  const subscribe = (): void => {
    for (const transceiver of browser.getTransceivers()) {
      if (subscribed.has(transceiver)) continue;
      subscribed.add(transceiver);
      transceiver.receiver.onRtcp.subscribe(onRtcp);
    }
  };
  subscribe();
  // The transceivers of the Viewer's offer appear with the browser's setRemoteDescription.
  browser.onTransceiverAdded.subscribe(() => subscribe());
  return { packets, reports };
}

/**
 * Feeds the viewer STREAM_MS of video (the demo clip, 25 fps) and PCMA audio (20 ms frames) in real
 * time, both stamped from one capture clock, as a camera's tracks are.
 */
async function streamAudioAndVideo(viewer: Viewer): Promise<void> {
  const clip = new H264FrameSource(join(repoRoot, 'server/assets/demo.h264'));
  const silence = Buffer.alloc(160, 0xd5);
  const start = performance.now();
  const video0 = 1_000_000;
  const audio0 = 3_000_000;
  let videoFrames = 0;
  let audioFrames = 0;
  while (performance.now() - start < STREAM_MS) {
    const elapsed = performance.now() - start;
    while (videoFrames * (1000 / clip.fps) <= elapsed) {
      const frame = clip.nextFrame();
      viewer.onFrame({ ...frame, timestamp: (video0 + videoFrames * (VIDEO_CLOCK / clip.fps)) >>> 0, receivedAt: performance.now() });
      videoFrames++;
    }
    while (audioFrames * AUDIO_FRAME_MS <= elapsed) {
      const frame: MediaFrame = {
        trackIndex: 1,
        kind: 'audio',
        timestamp: (audio0 + audioFrames * (AUDIO_CLOCK / 1000) * AUDIO_FRAME_MS) >>> 0,
        keyframe: true,
        payloads: [silence],
        generation: 1,
        receivedAt: performance.now(),
      };
      viewer.onFrame(frame);
      audioFrames++;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The NTP time (ms) the receiver maps an RTP timestamp to, through a sender report. */
function mappedMs(report: Report, timestamp: number, clockRate: number): number {
  const ticks = (timestamp - report.rtp) | 0;
  return report.ntpMs + (ticks * 1000) / clockRate;
}

function checkReports(what: string, viewer: Viewer, seen: { packets: Received[]; reports: Report[] }): void {
  const streams = [
    { kind: 'video', ssrc: viewer.ssrcOf(0)!, clockRate: VIDEO_CLOCK },
    { kind: 'audio', ssrc: viewer.ssrcOf(1)!, clockRate: AUDIO_CLOCK },
  ];
  const offsets: number[] = [];
  for (const { kind, ssrc, clockRate } of streams) {
    const reports = seen.reports.filter((r) => r.ssrc === ssrc);
    assert.ok(reports.length >= 2, `${what}: ${reports.length} ${kind} sender reports`);
    for (const r of reports) {
      // The NTP time is that of the last packet sent before the report: the wall clock, to the ms.
      const lag = r.receivedAt - r.ntpMs;
      assert.ok(lag > -20 && lag < 150, `${what}: ${kind} report NTP ${lag.toFixed(0)} ms before its arrival (a whole-second clock is off by up to 1000)`);
    }
    for (let i = 1; i < reports.length; i++) {
      const wall = reports[i].ntpMs - reports[i - 1].ntpMs;
      const media = (((reports[i].rtp - reports[i - 1].rtp) | 0) * 1000) / clockRate;
      assert.ok(Math.abs(media - wall) < 50, `${what}: ${kind} RTP advanced ${media.toFixed(0)} ms of ${clockRate} Hz clock in ${wall.toFixed(0)} ms of NTP`);
    }
    // Where the receiver puts each packet of the last second on the sender's clock, relative to when it arrived.
    const last = reports[reports.length - 1];
    const recent = seen.packets.filter((p) => p.ssrc === ssrc && p.receivedAt > last.receivedAt - 1_000);
    assert.ok(recent.length > 0, `${what}: ${kind} packets`);
    offsets.push(recent.reduce((sum, p) => sum + (mappedMs(last, p.timestamp, clockRate) - p.receivedAt), 0) / recent.length);
  }
  // Audio and video captured together must land together on the receiver's timeline (lip sync).
  assert.ok(Math.abs(offsets[0] - offsets[1]) < 40, `${what}: video maps ${offsets[0].toFixed(0)} ms, audio ${offsets[1].toFixed(0)} ms from arrival`);
}

function assertNoFallback(what: string): void {
  const fallbacks = lines.filter((l) => l.includes(SHAPE_CHANGED_MESSAGE) || l.includes('"weriftShapeChanged":true'));
  assert.deepEqual(fallbacks, [], `${what}: a werift reach fell back`);
  assert.deepEqual(weriftFallbacks(), [], `${what}: a werift reach fell back`);
}

describe('werift contract', () => {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it("camrtc's offer: every reach holds, camrtc writes the RTP, and the sender reports sync audio with video", async () => {
    const viewer = new Viewer({ id: 'contract-camrtc', tracks: [h264Track(0, '42e01f'), pcmaTrack(1)], network: { hostAddresses: ['127.0.0.1'] }, logger });
    const browser = loopbackPeer();
    closers.push(() => viewer.close(), () => browser.close());
    const seen = listen(browser);
    await browser.setRemoteDescription({ type: 'offer', sdp: await viewer.createOffer() });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(browser.localDescription!.sdp);
    await waitFor(() => viewer.state === 'connected', 'viewer connected');
    assert.equal(viewer.stats.rtpPath, 'camrtc');
    await streamAudioAndVideo(viewer);
    await waitFor(() => streamsReported(viewer, seen.reports), 'two sender reports per stream', 5_000);
    checkReports('camrtc path', viewer, seen);
    assertNoFallback('camrtc path');
  });

  it('on the shared WebRTC ports (muxedIce): werift gathers there, and the RTP and sender reports go through them', async () => {
    const mux = (await IceMux.start({ udpPort: 0, tcpPort: 0, hostAddresses: ['127.0.0.1'], logger }))!;
    closers.push(() => mux.close());
    const viewer = new Viewer({ id: 'contract-mux', tracks: [h264Track(0, '42e01f'), pcmaTrack(1)], network: { hostAddresses: ['127.0.0.1'], mux }, logger });
    const browser = loopbackPeer();
    closers.push(() => viewer.close(), () => browser.close());
    const seen = listen(browser);
    const offer = await viewer.createOffer();
    assert.match(offer, new RegExp(` udp \\d+ 127\\.0\\.0\\.1 ${mux.udpPort} typ host`));
    assert.match(offer, new RegExp(` tcp \\d+ 127\\.0\\.0\\.1 ${mux.tcpPort} typ host tcptype passive`));
    await browser.setRemoteDescription({ type: 'offer', sdp: offer });
    await browser.setLocalDescription(await browser.createAnswer());
    await viewer.setAnswer(browser.localDescription!.sdp);
    await waitFor(() => viewer.state === 'connected', 'viewer connected');
    assert.equal(viewer.stats.rtpPath, 'camrtc');
    assert.ok(mux.stats.routes >= 1, 'the browser routed to the viewer');
    await streamAudioAndVideo(viewer);
    await waitFor(() => streamsReported(viewer, seen.reports), 'two sender reports per stream', 5_000);
    checkReports('shared ports', viewer, seen);
    assertNoFallback('shared ports');
  });

  it("the browser's offer with AES-CM only: werift's sender writes the RTP, and its reports carry the wall clock", async () => {
    const viewer = new Viewer({ id: 'contract-werift', tracks: [h264Track(0, '42e01f'), pcmaTrack(1)], network: { hostAddresses: ['127.0.0.1'] }, logger });
    // One transport from the start: an offering werift peer that bundles later keeps the UDP socket of
    // the transport it dropped open after close() (werift 0.25.2), which would keep this process alive.
    const browser = loopbackPeer({ bundlePolicy: 'max-bundle' });
    closers.push(() => viewer.close(), () => browser.close());
    browser.addTransceiver('video', { direction: 'recvonly' });
    browser.addTransceiver('audio', { direction: 'recvonly' });
    // A browser that offers no AES-128-GCM: the Viewer cannot use its own writer.
    for (const transport of browser.dtlsTransports) (transport as unknown as { srtpProfiles: number[] }).srtpProfiles = [ProtectionProfileAes128CmHmacSha1_80];
    await browser.setLocalDescription(await browser.createOffer());
    const seen = listen(browser);
    await browser.setRemoteDescription({ type: 'answer', sdp: await viewer.acceptOffer(browser.localDescription!.sdp) });
    await waitFor(() => viewer.state === 'connected', 'viewer connected');
    assert.equal(viewer.stats.rtpPath, 'werift');
    await streamAudioAndVideo(viewer);
    await waitFor(() => streamsReported(viewer, seen.reports), 'two sender reports per stream', 5_000);
    checkReports('werift path', viewer, seen);
    assertNoFallback('werift path');
  });
});

function streamsReported(viewer: Viewer, reports: readonly Report[]): boolean {
  return [0, 1].every((track) => reports.filter((r) => r.ssrc === viewer.ssrcOf(track)).length >= 2);
}
