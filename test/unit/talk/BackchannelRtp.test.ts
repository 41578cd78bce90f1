import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtpPacket } from '../../../server/src/rtp/RtpPacket.js';
import { BackchannelRtp } from '../../../server/src/talk/BackchannelRtp.js';
import { CamrtcError } from '../../../server/src/errors.js';

const fixed = (n: number): Buffer => Buffer.alloc(n, 0);

test('one stream across talk spurts: sequence continues, a pause moves the timestamp on and marks the next packet', () => {
  const rtp = new BackchannelRtp(0, 8000, fixed);
  const payload = Buffer.alloc(160, 0xff);
  const read = (b: Buffer) => {
    const p = parseRtpPacket(b);
    assert.ok(!(p instanceof CamrtcError));
    return p;
  };
  const a = read(rtp.packet(payload, 160, 1000));
  const b = read(rtp.packet(payload, 160, 1020));
  const c = read(rtp.packet(payload, 160, 1041));
  // Two seconds of nobody talking.
  const d = read(rtp.packet(payload, 160, 3061));
  assert.deepEqual([a.marker, b.marker, c.marker, d.marker], [true, false, false, true]);
  assert.deepEqual([a.sequenceNumber, b.sequenceNumber, c.sequenceNumber, d.sequenceNumber], [0, 1, 2, 3]);
  assert.deepEqual([b.timestamp - a.timestamp, c.timestamp - b.timestamp], [160, 160]);
  assert.equal(d.timestamp - c.timestamp, 160 + 2000 * 8, 'the pause in samples');
  assert.equal(a.payloadType, 0);
  assert.ok(a.payload.equals(payload));
});

test('sequence and timestamp wrap', () => {
  const rtp = new BackchannelRtp(8, 8000, () => Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]));
  const first = parseRtpPacket(rtp.packet(Buffer.alloc(160), 160, 0));
  const second = parseRtpPacket(rtp.packet(Buffer.alloc(160), 160, 20));
  assert.ok(!(first instanceof CamrtcError) && !(second instanceof CamrtcError));
  assert.equal(first.sequenceNumber, 0xffff);
  assert.equal(second.sequenceNumber, 0);
  assert.equal(second.timestamp, (first.timestamp + 160) >>> 0);
});
