// RtspSession against the project's own demo camera (server/src/demo), which is written
// independently of the client: the two must agree on the wire, over TCP and UDP, with auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { RtspSession } from '../../../server/src/rtsp/RtspSession.js';
import { FaultyCamera } from '../../helpers/faultyCamera.js';
import { repoRoot } from '../../helpers/paths.js';

const CLIP = join(repoRoot, 'server', 'assets', 'demo.h264');

for (const scheme of ['digest', 'basic'] as const) {
  for (const transport of ['tcp', 'udp'] as const) {
    test(`demo camera (${scheme} auth): plays H264 over ${transport} and tears down`, { timeout: 10_000 }, async () => {
      const cam = new DemoCamera({ streams: [new H264ClipStream({ file: CLIP })], auth: { username: 'viewer', password: 's3cret!', scheme } });
      const { url } = await cam.listen();
      const session = new RtspSession({ url, username: 'viewer', password: 's3cret!', transport, udpBindAddress: '127.0.0.1', cameraName: 'demo' });
      try {
        const got: Buffer[] = [];
        const enough = new Promise<void>((resolve) => {
          session.on('rtp', (track, packet) => {
            assert.equal(track, 0);
            got.push(packet);
            if (got.length === 20) resolve();
          });
        });
        const { tracks } = await session.start();
        assert.deepEqual(tracks.map((t) => `${t.kind} ${t.codec}`), ['video H264']);
        await enough;
        assert.equal(session.transport, transport);
        // Consecutive sequence numbers: nothing lost or reordered on loopback.
        for (let i = 1; i < got.length; i++) assert.equal(got[i].readUInt16BE(2), (got[i - 1].readUInt16BE(2) + 1) & 0xffff);
        await session.close();
        assert.ok(cam.requests.some((r) => r.method === 'TEARDOWN'));
      } finally {
        await session.close();
        await cam.close();
      }
    });
  }
}

test('demo camera: a wrong password fails with ERR_RTSP_AUTH', { timeout: 10_000 }, async () => {
  const cam = new DemoCamera({ streams: [new H264ClipStream({ file: CLIP })], auth: { username: 'viewer', password: 'right', scheme: 'digest' } });
  const { url } = await cam.listen();
  const session = new RtspSession({ url, username: 'viewer', password: 'wrong', cameraName: 'demo' });
  try {
    await assert.rejects(session.start(), { code: 'ERR_RTSP_AUTH', message: "401 Unauthorized: wrong user or password for camera 'demo'" });
    assert.equal(cam.requests.filter((r) => r.method === 'DESCRIBE').length, 2);
  } finally {
    await session.close();
    await cam.close();
  }
});

for (const transport of ['tcp', 'udp'] as const) {
  test(`keyframe request over ${transport}: the camera receives RTCP PLI/FIR and answers with an IDR`, { timeout: 10_000 }, async () => {
    // fps 1: without the request the next IDR of the 25-frame GOP would be up to 25 s away.
    const cam = new DemoCamera({ streams: [new H264ClipStream({ file: CLIP, fps: 1 })] });
    const { url } = await cam.listen();
    const session = new RtspSession({ url, transport, udpBindAddress: '127.0.0.1', cameraName: 'demo' });
    try {
      const nalTypes: number[] = [];
      session.on('rtp', (_track, packet) => {
        const nal = packet[12] & 0x1f;
        nalTypes.push(nal === 28 || nal === 24 ? packet[13] & 0x1f : nal);
      });
      await session.start();
      // Wait until the stream is past its first keyframe, so an IDR can only come from the request.
      while (!nalTypes.includes(1)) await new Promise((r) => setTimeout(r, 20));
      const before = nalTypes.length;
      session.requestKeyframe(0);
      while (cam.keyframeRequests === 0) await new Promise((r) => setTimeout(r, 20));
      while (!nalTypes.slice(before).some((t) => t === 5 || t === 7)) await new Promise((r) => setTimeout(r, 20));
      assert.equal(cam.keyframeRequests, 1);
    } finally {
      await session.close();
      await cam.close();
    }
  });
}

test('a network that reorders UDP packets: the session hands them back in sequence order', { timeout: 10_000 }, async () => {
  const cam = new FaultyCamera({ streams: [new H264ClipStream({ file: CLIP })], faults: { reorderUdp: true } });
  const { url } = await cam.listen();
  const session = new RtspSession({ url, transport: 'udp', udpBindAddress: '127.0.0.1', cameraName: 'demo' });
  try {
    const seqs: number[] = [];
    session.on('rtp', (_track, packet) => seqs.push(packet.readUInt16BE(2)));
    await session.start();
    while (seqs.length < 60) await new Promise((r) => setTimeout(r, 20));
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1] + 1) & 0xffff, `packet ${i} out of order: ${seqs.slice(0, i + 1).join(',')}`);
  } finally {
    await session.close();
    await cam.close();
  }
});
