import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../server/src/errors.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { parseRtpPacket, type RtpPacket } from '../../../server/src/rtp/RtpPacket.js';
import { H264Depacketizer, type H264AccessUnit } from '../../../server/src/rtp/h264/H264Depacketizer.js';
import { DEMO_CLIP, demoAccessUnits, hex } from '../rtp/rtpFixtures.js';
import { FakeClock } from './FakeClock.js';

function open(clock: FakeClock, extra: Partial<ConstructorParameters<typeof H264ClipStream>[0]> = {}): H264ClipStream {
  return new H264ClipStream({ file: DEMO_CLIP, clock, ssrc: 0xcafe, sequenceNumber: 65530, timestamp: 2 ** 32 - 7200, ...extra });
}

function collect(stream: H264ClipStream): RtpPacket[] {
  const packets: RtpPacket[] = [];
  stream.on('packet', (buf) => {
    const p = parseRtpPacket(buf);
    assert.ok(!(p instanceof CamrtcError));
    packets.push(p);
  });
  return packets;
}

function depacketize(packets: readonly RtpPacket[]): H264AccessUnit[] {
  const d = new H264Depacketizer();
  const out: H264AccessUnit[] = [];
  for (const p of packets) {
    const r = d.push(p);
    assert.ok(!(r instanceof CamrtcError), r instanceof CamrtcError ? r.message : '');
    if (r) out.push(r);
  }
  return out;
}

test('describes itself like a camera: H264/90000, fmtp with profile-level-id and sprop from the clip', () => {
  const clip = demoAccessUnits();
  const stream = open(new FakeClock(), { payloadType: 97 });
  assert.deepEqual(stream.media, {
    kind: 'video',
    codec: 'H264',
    clockRate: 90000,
    payloadType: 97,
    fmtp: `packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=${clip[0][0].toString('base64')},${clip[0][1].toString('base64')}`,
  });
  assert.deepEqual([stream.width, stream.height, stream.frameCount], [640, 360, 100]);
  stream.close();
});

test('sends nothing before start, then one picture per 40 ms with continuous sequence numbers', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  const packets = collect(stream);
  clock.advance(1000);
  assert.equal(packets.length, 0);
  assert.equal(stream.nextSequenceNumber, 65530);
  stream.start();
  stream.start(); // idempotent
  clock.advance(960); // ticks at 0, 40, ..., 960
  const units = depacketize(packets);
  assert.equal(units.length, 25);
  packets.forEach((p, i) => {
    assert.equal(p.sequenceNumber, (65530 + i) & 0xffff);
    assert.equal(p.ssrc, 0xcafe);
    assert.equal(p.payloadType, 96);
    assert.ok(p.payload.length <= 1400);
  });
  units.forEach((au, i) => {
    assert.equal(au.timestamp, (2 ** 32 - 7200 + i * 3600) >>> 0);
    assert.deepEqual(au.nalus, demoAccessUnits()[i]);
  });
  assert.equal(stream.nextSequenceNumber, (65530 + packets.length) & 0xffff);
  assert.equal(stream.currentTimestamp, (2 ** 32 - 7200 + 25 * 3600) >>> 0);
  stream.close();
});

test('loops forever with continuous timestamps and sequence numbers', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  const packets = collect(stream);
  stream.start();
  clock.advance(250 * 40 - 1); // two and a half loops
  const units = depacketize(packets);
  assert.equal(units.length, 250);
  units.forEach((au, i) => {
    assert.equal(au.timestamp, (2 ** 32 - 7200 + i * 3600) >>> 0);
    assert.equal(au.keyframe, i % 25 === 0);
  });
  assert.deepEqual(units[100].nalus, units[0].nalus);
  for (let i = 1; i < packets.length; i++) assert.equal(packets[i].sequenceNumber, (packets[i - 1].sequenceNumber + 1) & 0xffff);
  stream.close();
});

test('without listeners the timeline runs but no packet is built', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  stream.start();
  clock.advance(400 - 1); // 10 ticks
  assert.equal(stream.nextSequenceNumber, 65530);
  assert.equal(stream.currentTimestamp, (2 ** 32 - 7200 + 10 * 3600) >>> 0);
  const packets = collect(stream);
  clock.advance(1);
  const [au] = depacketize(packets);
  assert.equal(au.timestamp, stream.currentTimestamp - 3600);
  assert.deepEqual(au.nalus, demoAccessUnits()[10], 'the clip moved on while nobody listened');
  assert.equal(packets[0].sequenceNumber, 65530);
  stream.close();
});

test('requestKeyframe: the next picture is an IDR with its SPS and PPS', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  const packets = collect(stream);
  stream.start();
  clock.advance(3 * 40 - 1); // frames 0..2
  stream.requestKeyframe();
  clock.advance(40);
  const units = depacketize(packets);
  assert.equal(units.length, 4);
  assert.equal(units[3].keyframe, true);
  assert.deepEqual(units[3].nalus, demoAccessUnits()[25]);
  assert.equal(units[3].timestamp, units[2].timestamp + 3600, 'timestamps stay continuous');
  stream.close();
});

test('after a long stall it does not burst the missed frames', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  const packets = collect(stream);
  stream.start();
  clock.advance(0);
  clock.time += 10_000; // the process was suspended; no timer ran
  clock.advance(0);
  const units = depacketize(packets);
  assert.equal(units.length, 2);
  assert.equal(units[1].timestamp - units[0].timestamp, 3600);
  stream.close();
});

test('close is idempotent, leaves no timer, and start after close does nothing', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  const packets = collect(stream);
  stream.start();
  clock.advance(100);
  assert.equal(clock.pendingTimers, 1);
  stream.close();
  stream.close();
  assert.equal(stream.closed, true);
  assert.equal(clock.pendingTimers, 0);
  const count = packets.length;
  stream.start();
  clock.advance(1000);
  assert.equal(packets.length, count);
});

test('a listener closing the stream stops it mid-picture', () => {
  const clock = new FakeClock();
  const stream = open(clock);
  let received = 0;
  stream.on('packet', () => {
    received++;
    stream.close();
  });
  stream.start();
  clock.advance(1000);
  assert.equal(received, 1);
  assert.equal(clock.pendingTimers, 0);
});

test('with the real clock it streams and closes without leaving a timer behind', async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const stream = new H264ClipStream({ file: DEMO_CLIP });
  const first = new Promise<Buffer>((resolve) => stream.once('packet', resolve));
  stream.start();
  const packet = await first;
  assert.equal(packet[0], 0x80);
  stream.close();
  assert.equal(timers(), before);
});

test('a clip without an IDR or a missing file is a configuration error', () => {
  assert.throws(() => new H264ClipStream({ data: hex('00000001 419aaa') }), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID');
  assert.throws(() => new H264ClipStream({ file: '/nonexistent/demo.h264' }), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID');
  assert.throws(() => new H264ClipStream({ file: DEMO_CLIP, fps: 0 }), CamrtcError);
});
