import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpPacket } from 'werift';
import { RTP_HISTORY_SLOTS, RtpHistory } from '../../../server/src/webrtc/RtpHistory.js';
import { MAX_RETRANSMISSIONS_PER_SECOND, RtpWriter } from '../../../server/src/webrtc/RtpWriter.js';
import { srtpPair } from './srtpPeer.js';

function writer(history = true, now = () => 0) {
  const { protector, unprotect } = srtpPair();
  const sent: Buffer[] = [];
  const w = new RtpWriter({ ssrc: 0xdeadbeef, payloadType: 102, protector, output: (p) => sent.push(p), history, now });
  const received = () => sent.map((p) => RtpPacket.deSerialize(unprotect(p)));
  return { w, sent, received };
}

describe('RtpWriter', () => {
  it('writes this viewer\'s SSRC, payload type, sequence, timestamp and marker around the shared payload', () => {
    const { w, received } = writer();
    const a = Buffer.from([0x7c, 0x85, 1, 2, 3]);
    const b = Buffer.from([0x7c, 0x45, 4, 5]);
    w.write(65535, 4000, false, a);
    w.write(0, 4000, true, b);
    const [p1, p2] = received();
    assert.deepEqual(
      [p1.header.ssrc, p1.header.payloadType, p1.header.sequenceNumber, p1.header.timestamp, p1.header.marker, p1.header.version],
      [0xdeadbeef, 102, 65535, 4000, false, 2],
    );
    assert.deepEqual([p2.header.sequenceNumber, p2.header.marker], [0, true]);
    assert.deepEqual([p1.payload, p2.payload], [a, b]);
    assert.deepEqual([w.packets, w.octets], [2, a.length + b.length]);
  });

  it('answers a NACK with the identical packet, also across a sequence wrap', () => {
    const { w, sent, received } = writer();
    for (let i = 0; i < 5; i++) w.write((65534 + i) & 0xffff, 9000, i === 4, Buffer.from([i]));
    assert.equal(w.retransmit(0), true); // the packet after the wrap
    assert.equal(w.retransmit(65534), true); // the one before
    assert.deepEqual(sent[5], sent[2]);
    assert.deepEqual(sent[6], sent[0]);
    const packets = received();
    assert.deepEqual(packets.slice(5).map((p) => p.header.sequenceNumber), [0, 65534]);
    assert.equal(w.retransmitted, 2);
    assert.equal(w.packets, 5, 'retransmissions are not counted as new packets');
  });

  it('cannot answer a NACK for a packet it never sent, one overwritten, or audio (no history)', () => {
    const { w } = writer();
    w.write(10, 0, false, Buffer.from([1]));
    assert.equal(w.retransmit(11), false);
    for (let s = 11; s < 11 + RTP_HISTORY_SLOTS; s++) w.write(s, 0, false, Buffer.from([1]));
    assert.equal(w.retransmit(10), false);
    const audio = writer(false).w;
    audio.write(1, 0, false, Buffer.from([1]));
    assert.equal(audio.retransmit(1), false);
  });

  it('a NACK flood is capped per second (a hostile browser cannot multiply the server\'s traffic)', () => {
    let t = 0;
    const { w, sent } = writer(true, () => t);
    w.write(1, 0, false, Buffer.from([1]));
    let answered = 0;
    for (let i = 0; i < MAX_RETRANSMISSIONS_PER_SECOND * 3; i++) if (w.retransmit(1)) answered++;
    assert.equal(answered, MAX_RETRANSMISSIONS_PER_SECOND);
    t = 1000;
    assert.equal(w.retransmit(1), true, 'the budget comes back a second later');
    assert.equal(sent.length, 1 + MAX_RETRANSMISSIONS_PER_SECOND + 1);
  });

  it('close() lets go of the payloads', () => {
    const { w } = writer();
    w.write(1, 0, false, Buffer.from([1]));
    w.close();
    assert.equal(w.retransmit(1), false);
  });
});

describe('RtpHistory', () => {
  it('keeps the latest packet of each slot and refuses a sequence number that is not the one held', () => {
    const h = new RtpHistory(4);
    for (let s = 0; s < 6; s++) h.remember(s, s * 10, s === 5, 0, Buffer.from([s]));
    assert.equal(h.find(0), undefined);
    assert.equal(h.find(1), undefined);
    assert.deepEqual(h.find(5), { sequence: 5, timestamp: 50, marker: true, rolloverCounter: 0, payload: Buffer.from([5]) });
    assert.equal(h.find(9), undefined, 'same slot as 5, other sequence');
  });

  it('needs a power-of-two size', () => {
    assert.throws(() => new RtpHistory(100), /power of two/);
    assert.throws(() => new RtpHistory(0), /power of two/);
  });
});
