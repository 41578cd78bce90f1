// The test camera's faults (test/helpers/cameraFaults.ts through the server's hooks), on the wire:
// what a client receives from each, so the camera-fault tests built on them test what they claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { H264ClipStream } from '../../../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../../../server/src/demo/ToneStream.js';
import { CamrtcError } from '../../../../server/src/errors.js';
import { H264Depacketizer } from '../../../../server/src/rtp/h264/H264Depacketizer.js';
import { parseRtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import { RtspSession } from '../../../../server/src/rtsp/RtspSession.js';
import { parseSessionDescription } from '../../../../server/src/sdp/SessionDescription.js';
import { FakeStream } from '../../../helpers/fakeStream.js';
import { FaultyCamera, type CameraFaults, type FaultyCameraOptions } from '../../../helpers/faultyCamera.js';
import { repoRoot } from '../../../helpers/paths.js';
import { RtspTestClient, rtpSeq, rtpSsrc } from '../../../helpers/rtspTestClient.js';

const CLIP = join(repoRoot, 'server', 'assets', 'demo.h264');
const TCP0 = { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' };

async function withCamera(faults: CameraFaults, fn: (cam: FaultyCamera, c: RtspTestClient, url: string) => Promise<void>, extra: Partial<FaultyCameraOptions> = {}): Promise<void> {
  const cam = new FaultyCamera({ streams: [new FakeStream()], faults, ...extra });
  const { url, port } = await cam.listen();
  const c = await RtspTestClient.connect(port);
  try {
    await fn(cam, c, url);
  } finally {
    c.close();
    await cam.close();
  }
}

async function setupAndPlay(c: RtspTestClient, url: string): Promise<string> {
  const setup = await c.request('SETUP', `${url}/trackID=0`, TCP0);
  assert.equal(setup.status, 200);
  const session = setup.headers.get('Session')!.split(';')[0];
  assert.equal((await c.request('PLAY', url, { Session: session })).status, 200);
  return session;
}

test('refusePause answers 405, neverAnswer leaves GET_PARAMETER unanswered, garbage before answers is skipped', { timeout: 10_000 }, async () => {
  await withCamera({ refusePause: true, neverAnswer: ['GET_PARAMETER'], garbage: true }, async (cam, c, url) => {
    const session = await setupAndPlay(c, url);
    assert.ok(c.garbageBytes > 0, 'stray bytes were sent and skipped');
    assert.equal((await c.request('PAUSE', url, { Session: session })).status, 405);
    assert.equal(await c.requestOrSilence('GET_PARAMETER', url, 300, { Session: session }), undefined);
    assert.deepEqual(cam.requests.map((r) => r.method), ['SETUP', 'PLAY', 'PAUSE', 'GET_PARAMETER']);
  });
});

test('silent: PLAY is answered but no packet comes, until the fault is lifted', { timeout: 10_000 }, async () => {
  const stream = new FakeStream();
  await withCamera({ silent: true }, async (cam, c, url) => {
    await setupAndPlay(c, url);
    stream.push(5);
    await c.request('OPTIONS', url);
    assert.equal(c.frames.get(0)?.length ?? 0, 0);
    cam.faults.silent = false;
    stream.push(1);
    assert.equal(rtpSeq((await c.waitFrames(0, 1))[0]), 1005);
  }, { streams: [stream] });
});

test('silent, through camrtc\'s client: the session plays, then closes with "no media"', { timeout: 10_000 }, async () => {
  const cam = new FaultyCamera({ streams: [new H264ClipStream({ file: CLIP })], faults: { silent: true } });
  const { url } = await cam.listen();
  const session = new RtspSession({ url, cameraName: 'mute', readTimeoutMs: 300 });
  try {
    const closed = new Promise<CamrtcError | undefined>((resolve) => session.once('close', resolve));
    await session.start();
    const err = await closed;
    assert.equal(err?.code, 'ERR_RTSP_TIMEOUT');
    assert.match(err!.message, /no media from camera 'mute'/);
  } finally {
    await session.close();
    await cam.close();
  }
});

for (const mode of ['short', 'version', true] as const) {
  test(`badRtp ${String(mode)}: every packet is one camrtc's RTP parser refuses`, { timeout: 10_000 }, async () => {
    const stream = new FakeStream();
    await withCamera({ badRtp: mode }, async (_cam, c, url) => {
      await setupAndPlay(c, url);
      stream.push(6);
      const frames = await c.waitFrames(0, 6);
      const errors = frames.map((f) => parseRtpPacket(f)).map((p) => (p instanceof CamrtcError ? p.message : 'parsed'));
      const short = /too short \(8 bytes\)/;
      const version = /unsupported RTP version 1/;
      for (const [i, e] of errors.entries()) {
        const expected = mode === 'short' ? short : mode === 'version' ? version : i % 2 === 0 ? short : version;
        assert.match(e, expected, `packet ${i}`);
      }
    }, { streams: [stream] });
  });
}

test('ssrcPerPacket: no two packets carry the same SSRC', { timeout: 10_000 }, async () => {
  const stream = new FakeStream();
  await withCamera({ ssrcPerPacket: true }, async (_cam, c, url) => {
    await setupAndPlay(c, url);
    stream.push(10);
    const frames = await c.waitFrames(0, 10);
    assert.equal(new Set(frames.map(rtpSsrc)).size, 10);
    assert.deepEqual(frames.map(rtpSeq), [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009]);
  }, { streams: [stream] });
});

test('fuaWithoutStart: every H.264 packet is an FU-A without the start bit; a depacketizer rebuilds no picture', { timeout: 10_000 }, async () => {
  // The clip's IDRs are several packets long, so a second of it has both fragments and single NAL units.
  const cam = new FaultyCamera({ streams: [new H264ClipStream({ file: CLIP })], faults: { fuaWithoutStart: true } });
  const { url, port } = await cam.listen();
  const c = await RtspTestClient.connect(port);
  try {
    await setupAndPlay(c, url);
    const frames = await c.waitFrames(0, 60);
    const depacketizer = new H264Depacketizer();
    let pictures = 0;
    for (const f of frames) {
      assert.equal(f[12] & 0x1f, 28, 'FU-A');
      assert.equal(f[13] & 0x80, 0, 'no start bit');
      const p = parseRtpPacket(f);
      assert.ok(!(p instanceof CamrtcError));
      for (let r = depacketizer.push(p); r !== null; r = depacketizer.next()) if (!(r instanceof CamrtcError)) pictures++;
    }
    assert.equal(pictures, 0);
  } finally {
    c.close();
    await cam.close();
  }
});

test('restart with the tracks in another order: same port, old clients dropped, DESCRIBE lists audio first', { timeout: 10_000 }, async () => {
  const clip = new H264ClipStream({ file: CLIP });
  const tone = new ToneStream();
  const cam = new FaultyCamera({ streams: [clip, tone] });
  const first = await cam.listen();
  const before = await RtspTestClient.connect(first.port);
  try {
    const kinds = async (c: RtspTestClient, url: string): Promise<string[]> => {
      const res = await c.request('DESCRIBE', url);
      const sdp = parseSessionDescription(res.body.toString('utf8'), res.headers.get('Content-Base')!);
      assert.ok(!(sdp instanceof CamrtcError));
      return sdp.tracks.map((t) => `${t.kind} ${t.codec}`);
    };
    assert.deepEqual(await kinds(before, first.url), ['video H264', 'audio PCMA']);
    const closed = new Promise((resolve) => before.socket.once('close', resolve));
    const second = await cam.restart({ streams: [tone, clip] });
    await closed;
    assert.equal(second.port, first.port);
    assert.equal(second.url, first.url);
    const after = await RtspTestClient.connect(second.port);
    try {
      assert.deepEqual(await kinds(after, second.url), ['audio PCMA', 'video H264']);
      // The streams ran on: the same timeline, now trackID=1 is the video.
      const setup = await after.request('SETUP', `${second.url}/trackID=1`, TCP0);
      const session = setup.headers.get('Session')!.split(';')[0];
      await after.request('PLAY', second.url, { Session: session });
      const [packet] = await after.waitFrames(0, 1);
      assert.equal(rtpSsrc(packet), clip.ssrc);
    } finally {
      after.close();
    }
    // A stopped camera refuses connections, like one switched off.
    await cam.stop();
    await assert.rejects(RtspTestClient.connect(second.port));
  } finally {
    before.close();
    await cam.close();
  }
  assert.ok(clip.closed && tone.closed, 'close() closes the streams');
});
