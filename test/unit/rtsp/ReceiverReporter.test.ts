import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReceiverReporter } from '../../../server/src/rtsp/ReceiverReporter.js';

function rtp(seq: number, ssrc = 0xabcdef01): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

function senderReport(ssrc: number, ntpMiddle: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc, 4);
  b.writeUInt32BE(ntpMiddle >>> 16, 8);
  b.writeUInt32BE(((ntpMiddle & 0xffff) << 16) >>> 0, 12);
  return b;
}

interface Block {
  ssrc: number;
  fraction: number;
  lost: number;
  highest: number;
  lsr: number;
  dlsr: number;
}

function block(report: Buffer): Block | undefined {
  assert.equal(report[1], 201, 'starts with a receiver report');
  if ((report[0] & 0x1f) === 0) return undefined;
  return {
    ssrc: report.readUInt32BE(8),
    fraction: report[12],
    lost: report.readIntBE(13, 3),
    highest: report.readUInt32BE(16),
    lsr: report.readUInt32BE(24),
    dlsr: report.readUInt32BE(28),
  };
}

describe('ReceiverReporter (RFC 3550 receiver reports to the camera)', () => {
  it('before any packet: an empty RR and the SDES CNAME', () => {
    const r = new ReceiverReporter(0x1234, 'camrtc');
    const report = r.build(0);
    assert.equal(block(report), undefined);
    assert.equal(report.readUInt32BE(4), 0x1234);
    assert.equal(report[8 + 1], 202, 'SDES follows');
    assert.equal(r.extendedHighestSeq, undefined);
  });

  it('counts loss, the fraction lost since the last report, and sequence wraps', () => {
    const r = new ReceiverReporter(1, 'c');
    for (let s = 65530; s < 65540; s++) if (s !== 65533 && s !== 65534) r.onRtp(rtp(s));
    const first = block(r.build(0))!;
    assert.deepEqual([first.ssrc, first.lost, first.highest], [0xabcdef01, 2, 65539]);
    assert.equal(first.fraction, Math.floor((2 * 256) / 10));
    for (let s = 65540; s < 65550; s++) r.onRtp(rtp(s));
    const second = block(r.build(0))!;
    assert.deepEqual([second.lost, second.fraction, second.highest], [2, 0, 65549]);
    assert.equal(r.extendedHighestSeq, 65549);
  });

  it('a late packet that fills a gap takes its loss back', () => {
    const r = new ReceiverReporter(1, 'c');
    for (const s of [10, 11, 13, 14, 12]) r.onRtp(rtp(s));
    assert.equal(block(r.build(0))!.lost, 0);
    assert.equal(block(r.build(0))!.highest, 14);
  });

  it('echoes the last sender report (LSR) with the delay since it arrived (DLSR, 1/65536 s)', () => {
    const r = new ReceiverReporter(1, 'c');
    r.onRtp(rtp(1));
    r.onRtcp(senderReport(0xabcdef01, 0x11223344), 1000);
    const b = block(r.build(1500))!;
    assert.equal(b.lsr, 0x11223344);
    assert.equal(b.dlsr, 32768);
    r.onRtcp(senderReport(0x999, 0x55555555), 1600);
    assert.equal(block(r.build(1600))!.lsr, 0x11223344, 'a report of another source is ignored');
  });

  it('a new SSRC (the camera restarted its stream) starts the statistics over', () => {
    const r = new ReceiverReporter(1, 'c');
    for (const s of [100, 105]) r.onRtp(rtp(s));
    assert.equal(block(r.build(0))!.lost, 4);
    for (const s of [7, 8, 9]) r.onRtp(rtp(s, 0x42));
    const b = block(r.build(0))!;
    assert.deepEqual([b.ssrc, b.lost, b.highest, b.fraction], [0x42, 0, 9, 0]);
  });

  it('packetsLost (for /metrics) keeps the loss of the SSRCs before a restart; the reports start over', () => {
    const r = new ReceiverReporter(1, 'c');
    assert.equal(r.packetsLost, 0);
    for (const s of [100, 105]) r.onRtp(rtp(s));
    assert.equal(r.packetsLost, 4);
    for (const s of [7, 9]) r.onRtp(rtp(s, 0x42));
    assert.equal(block(r.build(0))!.lost, 1, 'the report is of the new SSRC only');
    assert.equal(r.packetsLost, 5, 'the total never goes back');
  });

  it('a keyframe request is RR + SDES + PLI + FIR for the camera\'s SSRC, with a counting FIR sequence', () => {
    const r = new ReceiverReporter(7, 'c');
    assert.equal(r.buildKeyframeRequest(0), undefined, 'no SSRC known yet');
    r.onRtp(rtp(1));
    const a = r.buildKeyframeRequest(0)!;
    const b = r.buildKeyframeRequest(0)!;
    const tail = (p: Buffer) => p.subarray(p.length - 32);
    const pli = tail(a).subarray(0, 12);
    const fir = tail(a).subarray(12);
    assert.deepEqual([pli[0] & 0x1f, pli[1], pli.readUInt32BE(4), pli.readUInt32BE(8)], [1, 206, 7, 0xabcdef01]);
    assert.deepEqual([fir[0] & 0x1f, fir[1], fir.readUInt32BE(12)], [4, 206, 0xabcdef01]);
    assert.equal(tail(b)[12 + 16], (fir[16] + 1) & 0xff);
  });

  it('ignores what is not an RTP version 2 packet', () => {
    const r = new ReceiverReporter(1, 'c');
    r.onRtp(Buffer.alloc(5));
    const v1 = rtp(3);
    v1[0] = 0x40;
    r.onRtp(v1);
    assert.equal(r.extendedHighestSeq, undefined);
  });
});
