/**
 * The probe library against the built-in demo camera: what it reports comes out of the server's own
 * track pipelines, so its frame and keyframe counts are what a viewer would get, and a damaged
 * stream shows as decode errors and dropped pictures, not as a healthy one.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { ToneStream } from '../../../server/src/demo/ToneStream.js';
import { accessUnitsFromAnnexB } from '../../../server/src/demo/annexb.js';
import type { RtpStreamSource } from '../../../server/src/demo/RtpStreamSource.js';
import { NaluType, naluType } from '../../../server/src/rtp/h264/nal.js';
import { TypedEmitter } from '../../../server/src/util/TypedEmitter.js';
import { probeCamera } from '../../../server/src/probe/Probe.js';
import type { TrackStats } from '../../../server/src/probe/ProbeReport.js';
import { repoRoot } from '../../helpers/paths.js';

const CLIP = join(repoRoot, 'server', 'assets', 'demo.h264');
const FPS = 25;

/** Pictures from one IDR to the next in the demo clip (it is looped whole). */
function clipGop(): number {
  const keys = accessUnitsFromAnnexB(readFileSync(CLIP))
    .map((au, i) => (au.some((n) => naluType(n) === NaluType.IdrSlice) ? i : -1))
    .filter((i) => i >= 0);
  assert.ok(keys.length >= 2, 'the clip has a GOP structure');
  const gop = keys[1] - keys[0];
  assert.ok(keys.every((k, i) => i === 0 || k - keys[i - 1] === gop), 'the clip has a fixed GOP');
  return gop;
}

/**
 * The clip as a camera that damages it: `rewrite` may drop a packet (returns undefined) or change it,
 * given its index among the packets sent.
 */
class DamagedStream extends TypedEmitter<{ packet: [Buffer] }> implements RtpStreamSource {
  private sent = 0;
  constructor(
    private readonly inner: H264ClipStream,
    rewrite: (packet: Buffer, index: number) => Buffer | undefined,
  ) {
    super();
    inner.on('packet', (packet) => {
      const out = rewrite(packet, this.sent++);
      if (out) this.safeEmit('packet', out);
    });
  }
  get media(): RtpStreamSource['media'] {
    return this.inner.media;
  }
  get ssrc(): number {
    return this.inner.ssrc;
  }
  get nextSequenceNumber(): number {
    return this.inner.nextSequenceNumber;
  }
  get currentTimestamp(): number {
    return this.inner.currentTimestamp;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  start(): void {
    this.inner.start();
  }
  close(): void {
    this.inner.close();
  }
}

async function probeDemo(streams: RtpStreamSource[], seconds: number): Promise<Awaited<ReturnType<typeof probeCamera>>> {
  const cam = new DemoCamera({ streams });
  try {
    const { url } = await cam.listen();
    return await probeCamera({ url, transport: 'tcp', seconds });
  } finally {
    await cam.close();
  }
}

describe('probeCamera over the server pipelines (demo camera)', () => {
  let gop: number;
  before(() => {
    gop = clipGop();
  });

  test('a healthy camera: every picture reaches viewers, one keyframe per GOP, audio frame per packet', async () => {
    const clip = new H264ClipStream({ file: CLIP, fps: FPS });
    const r = await probeDemo([clip, new ToneStream()], 2);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const [video, audio] = r.tracks;
    assert.deepEqual([video.played, video.forwardable, video.presented], [true, true, { codec: 'H264', clockRate: 90000 }]);
    assert.deepEqual(audio.presented, { codec: 'PCMA', clockRate: 8000, channels: 1 });
    const v = video.stats!;
    // 25 fps for 2 s; a loaded machine may run the demo's timers late, never early.
    assert.ok(v.accessUnits >= 25 && v.accessUnits <= 2 * FPS + 3, JSON.stringify(v));
    // The last picture may still be incomplete when the probe stops.
    assert.ok(v.frames >= v.accessUnits - 1 && v.frames <= v.accessUnits, JSON.stringify(v));
    // Any run of N consecutive pictures of a fixed GOP holds floor(N/gop) to ceil(N/gop) IDRs.
    assert.ok(v.keyframes! >= Math.floor(v.frames / gop) && v.keyframes! <= Math.ceil(v.frames / gop), `${v.keyframes} keyframes in ${v.frames} frames, GOP ${gop}`);
    assert.ok(v.keyframes! >= 1);
    assert.deepEqual([v.decodeErrors, v.lost, v.ssrcChanges, v.bFrames], [0, 0, 0, false]);
    assert.equal(v.profileLevelId, video.h264?.profileLevelId, 'viewers are told the SDP profile, which the SPS confirms');
    const a = audio.stats!;
    assert.ok(a.frames > 25, JSON.stringify(a));
    assert.equal(a.frames, a.packets, 'PCMA: one frame per packet');
    assert.equal(a.keyframes, null);
  });

  test('a camera losing packets: decode errors, and pictures dropped until the next keyframe', async () => {
    const clip = new H264ClipStream({ file: CLIP, fps: FPS });
    // About one packet in 30 lost: most GOPs lose a picture, and the P-frames after it.
    const lossy = new DamagedStream(clip, (packet, i) => (i % 30 === 29 ? undefined : packet));
    const r = await probeDemo([lossy], 2.5);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const v: TrackStats = r.tracks[0].stats!;
    assert.ok(v.lost > 0, JSON.stringify(v));
    assert.ok(v.decodeErrors > 0, JSON.stringify(v));
    assert.match(v.lastDecodeError?.code ?? '', /^ERR_/);
    assert.ok(v.frames < v.accessUnits - 2, `viewers got ${v.frames} of ${v.accessUnits} pictures`);
    assert.ok(v.keyframes! >= 1, 'the pipeline starts again at keyframes');
  });

  test('a camera that starts a new RTP stream (new SSRC): counted, and viewers restart at the next keyframe', async () => {
    const clip = new H264ClipStream({ file: CLIP, fps: FPS });
    // Halfway through the first second, in the middle of a GOP.
    const switched = new DamagedStream(clip, (packet, i) => {
      if (i < 30) return packet;
      const copy = Buffer.from(packet);
      copy.writeUInt32BE((clip.ssrc ^ 0x5a5a5a5a) >>> 0, 8);
      return copy;
    });
    const r = await probeDemo([switched], 2.5);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const v = r.tracks[0].stats!;
    assert.equal(v.ssrcChanges, 1);
    assert.equal(v.lost, 0);
    // The pictures between the switch and the next IDR are not forwarded.
    assert.ok(v.frames < v.accessUnits - 1, `viewers got ${v.frames} of ${v.accessUnits} pictures`);
    assert.ok(v.keyframes! >= 1);
  });
});
