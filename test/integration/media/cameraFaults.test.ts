/**
 * A live camera against a misbehaving camera over a real socket (the RTSP server with fault hooks):
 * undecodable media is never `live`, the state says why, the log says it at most once every few
 * seconds (not per packet), and a camera that recovers, or reboots with its tracks in another
 * order, is live again with frames on the tracks viewers know.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { Writable } from 'node:stream';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../../server/src/demo/ToneStream.js';
import type { RtpStreamSource } from '../../../server/src/demo/RtpStreamSource.js';
import { DEMO_CLIP } from '../../../server/src/App.js';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import type { Logger } from '../../../server/src/log/logger.js';
import { FaultyCamera, type CameraFaults } from '../../helpers/faultyCamera.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

/** A logger whose lines the test reads, as a user reads the server's log. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream) as unknown as Logger, lines };
}

const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const o of open.reverse()) await o.close();
});

async function watchFaulty(faults: CameraFaults, streams: () => RtpStreamSource[] = () => [new H264ClipStream({ file: DEMO_CLIP, fps: 25 })]) {
  const camera = new FaultyCamera({ streams: streams(), faults });
  const { url } = await camera.listen();
  const { logger, lines } = capturingLogger();
  const live = new LiveCamera({ camera: { name: 'cam', url, transport: 'tcp', preload: false, idleTimeoutMs: 1000 }, logger, mediaTimeoutMs: 1500 });
  open.push(camera, live);
  const frames: MediaFrame[] = [];
  const lease = live.acquire();
  lease.subscribe({ onFrame: (f) => frames.push(f) });
  return { camera, live, lease, frames, lines };
}

describe('a live camera whose camera misbehaves', () => {
  for (const [name, faults, code] of [
    ['malformed RTP packets', { badRtp: true }, 'ERR_MEDIA_UNDECODABLE'],
    ['FU-A fragments without a start', { fuaWithoutStart: true }, 'ERR_MEDIA_UNDECODABLE'],
    ['an SSRC that changes on every packet', { ssrcPerPacket: true }, 'ERR_MEDIA_UNDECODABLE'],
    ['PLAY answered, then nothing', { silent: true }, 'ERR_NO_MEDIA'],
  ] as const) {
    it(`${name}: never live, the state says why (${code}), the log says it rarely`, async () => {
      const { live, frames, lines } = await watchFaulty({ ...faults });
      const states = new Set<string>();
      live.on('status', (s) => states.add(s.state));
      await waitFor(() => live.status.error !== undefined, 'a reason', 8000);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(states.has('live'), false, `never live: ${[...states].join(', ')}`);
      assert.equal(live.status.state, 'waiting');
      assert.equal(live.status.error?.code, code, JSON.stringify(live.status));
      assert.equal(live.info().error?.code, code);
      assert.equal(frames.filter((f) => f.kind === 'video').length, 0, 'no picture reached the viewer');
      // About 2.5 s of 25 fps media: hundreds of bad packets, a handful of lines.
      const warnings = lines.filter((l) => (l.level as number) >= 40);
      assert.ok(warnings.length <= 4, `at most a few warnings, not one per packet: ${warnings.map((w) => w.msg).join(' | ')}`);
    });
  }

  it('a camera that recovers from sending garbage is live again, without a reconnect', async () => {
    const { camera, live, frames } = await watchFaulty({ badRtp: true });
    await waitFor(() => live.status.error?.code === 'ERR_MEDIA_UNDECODABLE', 'undecodable', 8000);
    camera.faults.badRtp = false;
    await waitFor(() => live.status.state === 'live', 'live again', 8000);
    assert.equal(live.status.error, undefined);
    await waitFor(() => frames.some((f) => f.kind === 'video' && f.keyframe), 'a keyframe reaches the viewer', 5000);
    assert.equal(camera.requests.filter((r) => r.method === 'DESCRIBE').length, 1, 'the same RTSP session');
  });

  it('a camera that reboots with its tracks in the other order: live again at once, frames keep their tracks', async () => {
    const video = () => new H264ClipStream({ file: DEMO_CLIP, fps: 25 });
    const audio = () => new ToneStream({ codec: 'PCMA' });
    const { camera, live, frames } = await watchFaulty({}, () => [video(), audio()]);
    await waitFor(() => live.status.state === 'live', 'live', 8000);
    const known = live.knownTracks!.map((t) => [t.index, t.kind]);
    assert.deepEqual(known, [[0, 'video'], [1, 'audio']]);
    // Up long enough for the fast retries after a long connection.
    await new Promise((r) => setTimeout(r, 5200));
    await camera.stop();
    await waitFor(() => live.status.state !== 'live', 'noticed the reboot', 15_000);
    const before = frames.length;
    await camera.start({ streams: [audio(), video()] });
    // The fast retries after a long connection reconnect within a second (the e2e test holds the
    // page to 2 s); the deadline here only turns a hang into a failure.
    await waitFor(() => live.status.state === 'live', 'live again', 5000);
    await waitFor(() => frames.slice(before).some((f) => f.kind === 'audio') && frames.slice(before).some((f) => f.kind === 'video'), 'both media', 3000);
    for (const f of frames.slice(before)) assert.equal(f.trackIndex, f.kind === 'video' ? 0 : 1, `a ${f.kind} frame on track ${f.trackIndex}`);
    assert.deepEqual(live.knownTracks!.map((t) => [t.index, t.kind]), known);
  });
});
