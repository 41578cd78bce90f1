import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtpReorderBuffer } from '../../../server/src/rtp/RtpReorderBuffer.js';

function pkt(seq: number, ssrc = 0xcafe): Buffer {
  const b = Buffer.alloc(13);
  b[0] = 0x80;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ssrc, 8);
  b[12] = seq & 0xff;
  return b;
}

function run(buf: RtpReorderBuffer, seqs: number[], ssrc?: number): number[] {
  const out: number[] = [];
  for (const s of seqs) buf.push(pkt(s, ssrc), (p) => out.push(p.readUInt16BE(2)));
  return out;
}

describe('RTP reorder buffer', () => {
  it('in-order packets pass straight through', () => {
    const b = new RtpReorderBuffer();
    assert.deepEqual(run(b, [10, 11, 12, 13]), [10, 11, 12, 13]);
    assert.deepEqual(b.stats, { reordered: 0, late: 0, lost: 0 });
  });

  it('a swapped pair (UDP from a camera) comes out in order', () => {
    const b = new RtpReorderBuffer();
    assert.deepEqual(run(b, [1, 3, 2, 4]), [1, 2, 3, 4]);
    assert.equal(b.stats.reordered, 1);
  });

  it('sequence wraparound at 65535 is not reordering', () => {
    const b = new RtpReorderBuffer();
    assert.deepEqual(run(b, [65534, 0, 65535, 1]), [65534, 65535, 0, 1]);
  });

  it('a lost packet is given up after `window` later packets, which then go out in order', () => {
    const b = new RtpReorderBuffer(4);
    assert.deepEqual(run(b, [1, 3, 4, 5]), [1]);
    assert.deepEqual(run(b, [6]), [3, 4, 5, 6]);
    assert.equal(b.stats.lost, 1);
    assert.deepEqual(run(b, [2]), [], 'the packet that arrives after being given up is dropped');
    assert.equal(b.stats.late, 1);
  });

  it('duplicates are dropped', () => {
    const b = new RtpReorderBuffer();
    assert.deepEqual(run(b, [1, 2, 2, 3]), [1, 2, 3]);
    assert.equal(b.stats.late, 1);
  });

  it('a camera that restarts its stream (far jump, or new SSRC) is followed at once', () => {
    const b = new RtpReorderBuffer();
    assert.deepEqual(run(b, [100, 101, 40000, 40001]), [100, 101, 40000, 40001]);
    const c = new RtpReorderBuffer();
    assert.deepEqual(run(c, [100, 102]), [100]);
    assert.deepEqual(run(c, [7], 0xbeef), [102, 7], 'held packets of the old stream go first');
  });

  it('property: any shuffle within the window comes out complete and sorted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 200 }), (start, jitter) => {
        // Each packet is delayed by up to 7 places: a bounded reordering.
        const order = jitter.map((j, i) => ({ seq: (start + i) & 0xffff, key: i + j })).sort((a, b) => a.key - b.key);
        const b = new RtpReorderBuffer(32);
        const out = run(b, order.map((o) => o.seq));
        b.reset((p) => out.push(p.readUInt16BE(2)));
        const first = order[0].seq;
        // The first packet fixes the position; packets older than it are late by definition.
        const expected = jitter.map((_, i) => (start + i) & 0xffff).filter((s) => ((s - first) & 0xffff) < 0x8000);
        assert.deepEqual(out, expected);
      }),
    );
  });

  it('property: arbitrary sequence numbers never hold more than the window and never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }), (seqs) => {
        const b = new RtpReorderBuffer(16);
        const out = run(b, seqs);
        // Every packet went out, is held, or was dropped as late/duplicate; at most window-1 are held.
        assert.equal(out.length + b.pending + b.stats.late, seqs.length);
        assert.ok(b.pending < 16);
        for (let i = 1; i < out.length; i++) assert.notEqual(out[i], out[i - 1], 'no duplicate goes out');
      }),
    );
  });
});
