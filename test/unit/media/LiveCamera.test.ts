import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import type { CameraLease, FrameSink } from '../../../server/src/media/Camera.js';
import { Backoff } from '../../../server/src/media/Backoff.js';
import { CamrtcError } from '../../../server/src/errors.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import type { CameraStatus } from '../../../server/src/media/CameraState.js';
import type { RtspSessionOptions } from '../../../server/src/rtsp/RtspSession.js';

const PCMA: Track = { index: 1, kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {}, control: 'rtsp://h/cam/trackID=1', direction: 'recvonly' };
const METADATA: Track = { index: 2, kind: 'application', codec: 'VND.ONVIF.METADATA', payloadType: 107, clockRate: 90000, fmtp: {}, control: 'rtsp://h/cam/trackID=2', direction: 'recvonly' };

function rtp(seq: number, ts: number, payload: Buffer, pt = 8): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts, 4);
  b.writeUInt32BE(0x1234, 8);
  payload.copy(b, 12);
  return b;
}

/** An upstream RTSP session scripted by the test. */
class FakeUpstream extends EventEmitter implements UpstreamSession {
  closed = false;
  /** RTSP methods the fake camera received after start (PAUSE, PLAY). */
  readonly methods: string[] = [];
  refusePause = false;
  constructor(private readonly result: Promise<{ tracks: readonly Track[] }>, readonly options: RtspSessionOptions) {
    super();
  }
  start(): Promise<{ tracks: readonly Track[] }> {
    return this.result;
  }
  async pause(): Promise<void> {
    this.methods.push('PAUSE');
    if (this.refusePause) throw new CamrtcError('ERR_RTSP_BAD_STATUS', '501 Not Implemented: the camera refused PAUSE');
  }
  async play(): Promise<void> {
    this.methods.push('PLAY');
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function harness(script: Array<() => Promise<{ tracks: readonly Track[] }>>, idleTimeoutMs = 20, mediaTimeoutMs = 4000) {
  const sessions: FakeUpstream[] = [];
  const source = new LiveCamera({
    mediaTimeoutMs,
    camera: { name: 'cam', url: 'rtsp://admin:pw@192.0.2.1/cam', transport: 'tcp', preload: false, idleTimeoutMs },
    backoff: new Backoff({ initialMs: 5, maxMs: 10 }),
    createSession: (options) => {
      const next = script[Math.min(sessions.length, script.length - 1)];
      const s = new FakeUpstream(next(), options);
      sessions.push(s);
      return s;
    },
  });
  return { source, sessions };
}

function collect(): { frames: MediaFrame[]; onFrame: (f: MediaFrame) => void } {
  const frames: MediaFrame[] = [];
  return { frames, onFrame: (f) => frames.push(f) };
}

/** What a viewer's session does: a lease on the camera, and its sink subscribed through it. */
function watch(camera: LiveCamera, sink: FrameSink): CameraLease {
  const lease = camera.acquire();
  lease.subscribe(sink);
  return lease;
}

async function waitFor(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('LiveCamera: one upstream per camera, shared by its viewers', () => {
  it('starts the RTSP session on the first viewer only, and both viewers get the same frames', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [PCMA, METADATA] })]);
    assert.equal(sessions.length, 0, 'no viewer, no session');
    const a = collect();
    const b = collect();
    watch(source, a);
    watch(source, b);
    const tracks = await source.tracks();
    assert.deepEqual(tracks.map((t) => t.codec), ['PCMA'], 'metadata tracks are not forwarded');
    assert.equal(sessions.length, 1);
    assert.equal(source.status.state, 'waiting', 'PLAY answered, no media yet: not live');
    sessions[0].emit('rtp', 1, rtp(1, 160, Buffer.from([1, 2, 3])));
    assert.equal(source.status.state, 'live', 'live with the first frame');
    assert.equal(a.frames.length, 1, 'delivered in the same tick');
    assert.equal(b.frames.length, 1);
    assert.equal(a.frames[0], b.frames[0], 'one frame object shared by all viewers');
    assert.deepEqual([...a.frames[0].payloads[0]], [1, 2, 3]);
    await source.close();
  });

  it('stops the session idleTimeoutMs after the last viewer leaves, and a new viewer starts a new one', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [PCMA] })], 10);
    const a = collect();
    const lease = watch(source, a);
    await source.tracks();
    lease.release();
    lease.release();
    assert.equal(sessions[0].closed, false, 'not stopped at once');
    await waitFor(() => sessions[0].closed);
    assert.equal(source.status.state, 'idle');
    watch(source, a);
    await waitFor(() => sessions.length === 2 && source.status.state === 'waiting');
    await source.close();
    assert.ok(sessions[1].closed, 'close() tears the session down');
  });

  it('a camera failure is a state: retrying with the reason, viewers stay attached, frames resume with a new generation', async () => {
    const { source, sessions } = harness([
      async () => ({ tracks: [PCMA] }),
      async () => {
        throw new CamrtcError('ERR_RTSP_CONNECT', "camera 'cam' refused the connection (rtsp://admin:pw@192.0.2.1/cam)");
      },
      async () => ({ tracks: [PCMA] }),
    ]);
    const statuses: CameraStatus[] = [];
    source.on('status', (s) => statuses.push(s));
    const a = collect();
    watch(source, a);
    await source.tracks();
    sessions[0].emit('rtp', 1, rtp(1, 0, Buffer.from([1])));
    sessions[0].emit('close', new CamrtcError('ERR_RTSP_CONNECTION_LOST', 'connection reset'));
    await waitFor(() => sessions.length === 3 && source.status.state === 'waiting');
    sessions[2].emit('rtp', 1, rtp(500, 9999, Buffer.from([2])));
    // Generations are unique in the process (UpstreamFeed): each connection takes a new, larger one.
    const [before, after] = a.frames.map((f) => f.generation);
    assert.equal(a.frames.length, 2);
    assert.ok(after > before, `generation ${after} after ${before}`);
    const retrying = statuses.filter((s) => s.state === 'retrying');
    assert.ok(retrying.some((s) => s.error?.code === 'ERR_RTSP_CONNECT'));
    assert.ok(statuses.every((s) => !JSON.stringify(s).includes(':pw@')), 'no password in status');
    await source.close();
  });

  it('packets from a session that was replaced are ignored', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [PCMA] })]);
    const a = collect();
    watch(source, a);
    await source.tracks();
    const old = sessions[0];
    old.emit('close', new CamrtcError('ERR_RTSP_CONNECTION_LOST', 'gone'));
    old.emit('rtp', 1, rtp(1, 0, Buffer.from([9])));
    assert.equal(a.frames.length, 0);
    await source.close();
  });

  it('a viewer that throws does not stop the others; malformed RTP is dropped, never thrown', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [PCMA] })]);
    const good = collect();
    watch(source, { onFrame: () => { throw new Error('broken viewer'); } });
    watch(source, good);
    await source.tracks();
    sessions[0].emit('rtp', 1, Buffer.from([0x80, 8, 0])); // truncated header
    sessions[0].emit('rtp', 1, Buffer.from([0x00, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])); // RTP version 0
    sessions[0].emit('rtp', 1, rtp(2, 160, Buffer.from([7])));
    sessions[0].emit('rtp', 7, rtp(3, 160, Buffer.from([7]))); // unknown track
    assert.equal(good.frames.length, 1);
    await source.close();
  });

  it('a camera with nothing playable is unplayable (ERR_RTSP_NO_TRACKS): no retry, waiting viewers are told; the next viewer tries once more', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [METADATA] })]);
    const lease = watch(source, collect());
    const waiting = source.tracks();
    await assert.rejects(waiting, (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_RTSP_NO_TRACKS' && /application VND\.ONVIF\.METADATA/.test(e.message));
    assert.equal(source.status.state, 'unplayable');
    assert.equal(source.status.error?.code, 'ERR_RTSP_NO_TRACKS');
    assert.equal(source.info().state, 'unplayable');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sessions.length, 1, 'not retried (the backoff here is 5-10 ms)');
    await assert.rejects(source.tracks(), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_RTSP_NO_TRACKS');
    lease.release();
    watch(source, collect());
    await waitFor(() => sessions.length === 2 && source.status.state === 'unplayable');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sessions.length, 2, 'one attempt per new viewer');
    await source.close();
  });

  it('pause and play: the camera is paused only when every viewer paused, and resumed by the first play', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [PCMA] })]);
    const a = watch(source, collect());
    const b = watch(source, collect());
    await source.tracks();
    a.setPlaying(false);
    await waitFor(() => true);
    assert.deepEqual(sessions[0].methods, [], 'one viewer still plays: the camera is not paused');
    b.setPlaying(false);
    await waitFor(() => source.cameraPaused);
    assert.deepEqual(sessions[0].methods, ['PAUSE']);
    b.setPlaying(true);
    await waitFor(() => !source.cameraPaused);
    assert.deepEqual(sessions[0].methods, ['PAUSE', 'PLAY']);
    // The last playing viewer leaving while the other is paused pauses the camera too.
    b.release();
    await waitFor(() => source.cameraPaused);
    assert.deepEqual(sessions[0].methods, ['PAUSE', 'PLAY', 'PAUSE']);
    await source.close();
  });

  it('a camera that refuses PAUSE is asked once; afterwards pausing only stops forwarding', async () => {
    const { source, sessions } = harness([async () => ({ tracks: [PCMA] })]);
    const a = watch(source, collect());
    await source.tracks();
    sessions[0].refusePause = true;
    a.setPlaying(false);
    await waitFor(() => sessions[0].methods.length === 1);
    a.setPlaying(true);
    a.setPlaying(false);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sessions[0].methods, ['PAUSE'], 'PAUSE is not retried, and PLAY is not sent to a camera that never paused');
    assert.equal(source.cameraPaused, false);
    await source.close();
  });

  it('close() rejects pending tracks() waiters with ERR_CLOSED and is idempotent', async () => {
    const { source } = harness([() => new Promise(() => undefined)]);
    const lease = watch(source, collect());
    const waiting = source.tracks();
    await source.close();
    await source.close();
    await assert.rejects(waiting, (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CLOSED');
    assert.ok(source.closed);
    lease.setPlaying(false);
    lease.release();
    assert.deepEqual(lease.requestKeyframe(), [], 'a lease outliving its camera is inert');
  });
});
