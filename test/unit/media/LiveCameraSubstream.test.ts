/**
 * A camera with a `substream`: its sub stream is a LiveCamera of its own, with its own session to
 * the camera's sub stream URL, started only by a lease on it and let go after the idle timeout like
 * the main one; both count in the camera's counters, both close with the camera.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import type { RtspSessionOptions } from '../../../server/src/rtsp/RtspSession.js';
import { CamrtcError } from '../../../server/src/errors.js';

const PCMA: Track = { index: 0, kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {}, control: 'rtsp://h/cam/trackID=0', direction: 'recvonly' };

class FakeUpstream extends EventEmitter implements UpstreamSession {
  closed = false;
  constructor(readonly options: RtspSessionOptions) {
    super();
  }
  start(): Promise<{ tracks: readonly Track[] }> {
    return Promise.resolve({ tracks: [PCMA] });
  }
  async pause(): Promise<void> {}
  async play(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

async function waitFor(pred: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rtp(seq: number): Buffer {
  const b = Buffer.alloc(13);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(0x1234, 8);
  return b;
}

describe('LiveCamera with a sub stream', () => {
  it('the sub stream has its own session, only while leased, and closes with the camera', async () => {
    const sessions: FakeUpstream[] = [];
    const camera = new LiveCamera({
      camera: { name: 'cam', url: 'rtsp://admin:pw@192.0.2.1/main', substream: 'rtsp://admin:pw@192.0.2.1/sub', transport: 'tcp', preload: true, idleTimeoutMs: 20 },
      createSession: (options) => {
        const s = new FakeUpstream(options);
        sessions.push(s);
        return s;
      },
    });
    const sub = camera.substream;
    assert.ok(sub);
    assert.equal(sub.name, 'cam');
    // The camera is preloaded: its main stream, never its sub stream.
    assert.deepEqual(sessions.map((s) => s.options.url), ['rtsp://admin:pw@192.0.2.1/main']);
    assert.equal(camera.info().substream?.state, 'idle');
    const lease = sub.acquire();
    await waitFor(() => sub.status.state === 'waiting');
    assert.deepEqual(sessions.map((s) => s.options.url), ['rtsp://admin:pw@192.0.2.1/main', 'rtsp://admin:pw@192.0.2.1/sub']);
    assert.equal(sessions[1].options.password, undefined, 'the credentials come from the URL, as for the main stream');
    assert.equal(camera.info().substream?.state, 'waiting');
    const before = camera.counters.packetsIn;
    sessions[1].emit('rtp', 0, rtp(1));
    assert.equal(camera.counters.packetsIn, before + 1, "the sub stream counts in the camera's counters");
    lease.release();
    await waitFor(() => sessions[1].closed);
    assert.equal(sub.status.state, 'idle', 'let go after the idle timeout');
    assert.equal(sessions[0].closed, false, 'the preloaded main stream stays');
    sub.acquire();
    await waitFor(() => sessions.length === 3);
    let closedWith: CamrtcError | undefined;
    sub.on('closed', (reason) => (closedWith = reason));
    await camera.close(new CamrtcError('ERR_CAMERA_REMOVED', 'removed'));
    assert.ok(sessions.every((s) => s.closed));
    assert.equal(closedWith?.code, 'ERR_CAMERA_REMOVED');
  });

  it('a recording has no sub stream', () => {
    const camera = new LiveCamera({ camera: { name: 'rec', url: 'rtsp://h/a', substream: 'rtsp://h/b', transport: 'tcp', preload: false, idleTimeoutMs: 20, recording: true } });
    assert.equal(camera.substream, undefined);
  });
});
