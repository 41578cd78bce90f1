/**
 * Recording cameras (NVR playback URLs): a RecordingCamera gives every viewer its own RTSP session, so
 * pause and seek act on that viewer only and map to RTSP PAUSE and PLAY with `Range: npt=`. First with
 * scripted upstream sessions (to see the exact requests), then against the demo camera over /ws.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { DEMO_CLIP } from '../../../server/src/App.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { RecordingCamera, nptRange } from '../../../server/src/media/RecordingCamera.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import type { CameraLease } from '../../../server/src/media/Camera.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import type { RtspSessionOptions, RtspSessionState } from '../../../server/src/rtsp/RtspSessionTypes.js';
import { SignalingServer } from '../../../server/src/signaling/SignalingServer.js';
import { peerSettings } from '../../../server/src/session/PeerSettings.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { pcmaTrack } from '../webrtc/helpers/FakeCamera.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';
import { TestClient } from '../../unit/signaling/wsClient.js';

/** An upstream session scripted by the test: records what it was asked. */
class ScriptedUpstream extends EventEmitter implements UpstreamSession {
  state: RtspSessionState = 'idle';
  readonly requests: string[] = [];
  constructor(readonly options: RtspSessionOptions) {
    super();
  }
  async start(): Promise<{ tracks: readonly Track[] }> {
    this.requests.push(`PLAY ${this.options.range ?? 'npt=0.000-'}`);
    this.state = 'playing';
    return { tracks: [pcmaTrack(0)] };
  }
  async pause(): Promise<void> {
    this.requests.push('PAUSE');
    this.state = 'paused';
  }
  async play(options: { range?: string } = {}): Promise<void> {
    this.requests.push(options.range ? `PLAY ${options.range}` : 'PLAY');
    this.state = 'playing';
  }
  async close(): Promise<void> {
    this.state = 'closed';
  }
  /** Sends one PCMA RTP packet, as the recording would. */
  sendPacket(seq: number): void {
    const b = Buffer.alloc(12 + 160, 0xd5);
    b[0] = 0x80;
    b[1] = 8;
    b.writeUInt16BE(seq, 2);
    b.writeUInt32BE(seq * 160, 4);
    this.emit('rtp', 0, b);
  }
}

function recording(): { source: RecordingCamera; sessions: ScriptedUpstream[] } {
  const sessions: ScriptedUpstream[] = [];
  const source = new RecordingCamera({
    camera: { name: 'nvr', url: 'rtsp://user:secret@192.0.2.5/playback?start=20240101', transport: 'tcp', preload: false, idleTimeoutMs: 0, recording: true } as never,
    createSession: (options) => {
      const s = new ScriptedUpstream(options);
      sessions.push(s);
      return s;
    },
  });
  return { source, sessions };
}

/** Turns a hang into a failure that shows what the client received. */
async function within<T>(promise: Promise<T>, client: TestClient, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}; received ${JSON.stringify(client.messages.map((m) => ({ ...m, sdp: undefined })))}`)), 10_000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sink(): { frames: MediaFrame[]; onFrame: (f: MediaFrame) => void } {
  const frames: MediaFrame[] = [];
  return { frames, onFrame: (f) => frames.push(f) };
}

/** What a viewer's session does: a lease, with its sink subscribed. */
function watch(source: RecordingCamera, s: ReturnType<typeof sink>): CameraLease {
  const lease = source.acquire();
  lease.subscribe(s);
  return lease;
}

describe('RecordingCamera', () => {
  it('each viewer gets its own session; pausing one viewer pauses only its session', async () => {
    const { source, sessions } = recording();
    const a = sink();
    const b = sink();
    const la = watch(source, a);
    watch(source, b);
    await source.tracks();
    await waitFor(() => sessions.length === 2 && sessions.every((s) => s.state === 'playing'), 'two sessions playing');
    sessions[0].sendPacket(1);
    assert.equal(a.frames.length, 1);
    assert.equal(b.frames.length, 0, 'frames of one viewer session never reach another viewer');
    la.setPlaying(false);
    await waitFor(() => sessions[0].state === 'paused', 'viewer a paused');
    assert.deepEqual(sessions[1].requests, ['PLAY npt=0.000-'], 'the other viewer is not paused');
    la.setPlaying(true);
    await waitFor(() => sessions[0].state === 'playing', 'viewer a resumed');
    assert.deepEqual(sessions[0].requests, ['PLAY npt=0.000-', 'PAUSE', 'PLAY']);
    await source.close();
  });

  it('seek sends PAUSE then PLAY with Range: npt=, and frames after it are a new generation', async () => {
    const { source, sessions } = recording();
    const a = sink();
    const la = watch(source, a);
    await source.tracks();
    await waitFor(() => sessions[0]?.state === 'playing', 'session playing');
    sessions[0].sendPacket(1);
    await la.seek(30);
    assert.deepEqual(sessions[0].requests, ['PLAY npt=0.000-', 'PAUSE', 'PLAY npt=30.000-']);
    sessions[0].sendPacket(2);
    assert.notEqual(a.frames[1].generation, a.frames[0].generation, 'the viewer re-bases its timeline after a seek');
    assert.equal(nptRange(1.23456), 'npt=1.235-');
    await source.close();
  });

  it('after the recording drops, the new session starts where the viewer last sought to', async () => {
    const { source, sessions } = recording();
    const a = sink();
    const la = watch(source, a);
    await source.tracks();
    await waitFor(() => sessions[0]?.state === 'playing', 'session playing');
    await la.seek(12);
    sessions[0].emit('close');
    await waitFor(() => sessions.length === 2 && sessions[1].state === 'playing', 'reconnected', 5_000);
    assert.equal(sessions[1].options.range, 'npt=12.000-');
    assert.deepEqual(sessions[1].requests, ['PLAY npt=12.000-']);
    await source.close();
  });
});

describe('recording over /ws with the demo camera', () => {
  it('two viewers: two RTSP sessions; seek is acknowledged with the position', async () => {
    const demo = new DemoCamera({ host: '127.0.0.1', port: 0, path: '/rec', streams: [new H264ClipStream({ file: DEMO_CLIP, fps: 25 })], logger: silentLogger() });
    const { url } = await demo.listen();
    const source = new RecordingCamera({ camera: { name: 'rec', url, transport: 'tcp', preload: false, idleTimeoutMs: 0, recording: true } as never });
    const http = createServer();
    const signaling = new SignalingServer({ server: http, cameras: { get: (n) => (n === 'rec' ? source : undefined), list: () => [source.info()] }, logger: silentLogger(), peer: peerSettings({ iceHostAddresses: ['127.0.0.1'] }) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const client = await TestClient.open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`);
    try {
      client.send({ type: 'watch', id: 'r1', camera: 'rec' });
      client.send({ type: 'watch', id: 'r2', camera: 'rec' });
      // The two sessions answer in either order.
      await waitFor(() => client.messages.filter((m) => m.type === 'playback').length === 2, 'both sessions offered');
      assert.ok(client.messages.every((m) => m.type !== 'playback' || m.seekable), 'a recording is seekable');
      await waitFor(() => demo.clientCount === 2, 'one RTSP connection per viewer');
      client.send({ type: 'seek', id: 'r1', seconds: 5 });
      const ack = await within(client.next('playback', (m) => m.id === 'r1' && m.position !== undefined), client, 'seek ack');
      assert.deepEqual(ack, { type: 'playback', id: 'r1', state: 'playing', seekable: true, position: 5 });
      const methods = demo.requests.map((r) => r.method);
      assert.ok(methods.filter((m) => m === 'PLAY').length >= 3, `PLAY per viewer plus the seek: ${methods.join(',')}`);
    } finally {
      await client.close();
      await signaling.close();
      await source.close();
      await new Promise((resolve) => http.close(resolve));
      await demo.close();
    }
  });
});
