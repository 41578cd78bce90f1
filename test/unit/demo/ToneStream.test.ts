import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../server/src/errors.js';
import { ToneStream, TONE_BEEP_PACKETS, TONE_PACKETS_PER_SECOND } from '../../../server/src/demo/ToneStream.js';
import { parseRtpPacket, type RtpPacket } from '../../../server/src/rtp/RtpPacket.js';
import { alawToLinear, ulawToLinear } from '../../../server/src/rtp/g711.js';
import { FakeClock } from './FakeClock.js';

function collect(stream: ToneStream): RtpPacket[] {
  const packets: RtpPacket[] = [];
  stream.on('packet', (buf) => {
    const p = parseRtpPacket(buf);
    assert.ok(!(p instanceof CamrtcError));
    packets.push(p);
  });
  return packets;
}

test('PCMA: 50 packets of 160 samples per second, timestamps +160, sequence +1', () => {
  const clock = new FakeClock();
  const stream = new ToneStream({ clock, ssrc: 42, sequenceNumber: 65535, timestamp: 2 ** 32 - 160 });
  assert.deepEqual(stream.media, { kind: 'audio', codec: 'PCMA', clockRate: 8000, payloadType: 8, channels: 1 });
  const packets = collect(stream);
  stream.start();
  clock.advance(2000 - 1);
  assert.equal(packets.length, 2 * TONE_PACKETS_PER_SECOND);
  packets.forEach((p, i) => {
    assert.equal(p.payloadType, 8);
    assert.equal(p.ssrc, 42);
    assert.equal(p.sequenceNumber, (65535 + i) & 0xffff);
    assert.equal(p.timestamp, (2 ** 32 - 160 + i * 160) >>> 0);
    assert.equal(p.payload.length, 160);
    assert.equal(p.marker, i === 0, 'marker only on the first packet of the talkspurt');
  });
  assert.equal(stream.nextSequenceNumber, (65535 + packets.length) & 0xffff);
  assert.equal(stream.currentTimestamp, (2 ** 32 - 160 + packets.length * 160) >>> 0);
  stream.close();
});

test('a quiet 100 ms 1 kHz beep once per second, silence otherwise', () => {
  const clock = new FakeClock();
  const stream = new ToneStream({ clock });
  const packets = collect(stream);
  stream.start();
  clock.advance(1000 - 1);
  packets.forEach((p, i) => {
    const silent = p.payload.every((b) => b === 0xd5);
    assert.equal(silent, i >= TONE_BEEP_PACKETS, `packet ${i}`);
  });
  // The middle of the beep: 20 periods of 1 kHz in 20 ms, peak near -20 dBFS.
  const samples = [...packets[2].payload].map(alawToLinear);
  const crossings = samples.filter((s, i) => i > 0 && Math.sign(s) !== Math.sign(samples[i - 1]) && s !== 0).length;
  assert.ok(crossings >= 38 && crossings <= 41, `${crossings} zero crossings`);
  const peak = Math.max(...samples.map(Math.abs));
  assert.ok(peak > 2500 && peak < 4000, `peak ${peak}`);
  stream.close();
});

test('PCMU uses payload type 0 and µ-law silence', () => {
  const clock = new FakeClock();
  const stream = new ToneStream({ clock, codec: 'PCMU' });
  assert.equal(stream.media.payloadType, 0);
  assert.equal(stream.media.codec, 'PCMU');
  const packets = collect(stream);
  stream.start();
  clock.advance(200);
  assert.ok(packets[1].payload.some((b) => Math.abs(ulawToLinear(b)) > 1000), 'beep');
  assert.ok(packets[7].payload.every((b) => b === 0xff), 'silence');
  stream.close();
});

test('timestamps keep running while nobody listens', () => {
  const clock = new FakeClock();
  const stream = new ToneStream({ clock, timestamp: 0, sequenceNumber: 0 });
  stream.start();
  clock.advance(500 - 1); // 25 ticks
  assert.equal(stream.currentTimestamp, 25 * 160);
  const packets = collect(stream);
  clock.advance(1);
  assert.equal(packets[0].timestamp, 25 * 160);
  assert.equal(packets[0].sequenceNumber, 0);
  stream.close();
});

test('close is idempotent and leaves no timer', () => {
  const clock = new FakeClock();
  const stream = new ToneStream({ clock });
  stream.start();
  clock.advance(50);
  stream.close();
  stream.close();
  assert.equal(stream.closed, true);
  assert.equal(clock.pendingTimers, 0);
});
