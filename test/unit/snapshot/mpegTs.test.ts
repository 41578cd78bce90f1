import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32Mpeg, muxTs } from '../../../server/src/snapshot/mpegTs.js';

/** The video PID's PES packets reassembled from the TS packets (the demuxer's view). */
function pesOf(ts: Buffer): Buffer[] {
  const pes: Buffer[][] = [];
  let expectedCc: number | undefined;
  for (let off = 0; off < ts.length; off += 188) {
    const p = ts.subarray(off, off + 188);
    assert.equal(p[0], 0x47, 'sync byte');
    const pid = ((p[1] & 0x1f) << 8) | p[2];
    if (pid !== 0x100) continue;
    const cc = p[3] & 0x0f;
    if (expectedCc !== undefined) assert.equal(cc, expectedCc, 'continuity counter');
    expectedCc = (cc + 1) & 0x0f;
    const start = (p[3] & 0x20) !== 0 ? 5 + p[4] : 4;
    if (p[1] & 0x40) pes.push([]);
    pes[pes.length - 1].push(p.subarray(start));
  }
  return pes.map((parts) => Buffer.concat(parts));
}

function ptsOf(pes: Buffer): number {
  return (((pes[9] >> 1) & 0x07) * 2 ** 30) + ((pes.readUInt16BE(10) >> 1) * 2 ** 15) + (pes.readUInt16BE(12) >> 1);
}

describe('muxTs: a minimal MPEG-TS for ffmpeg', () => {
  it('CRC-32/MPEG-2 check value', () => {
    assert.equal(crc32Mpeg(Buffer.from('123456789')), 0x0376e6e7);
  });

  it('PAT and PMT first (CRC valid, stream type by codec), then one PES per picture with its PTS and bytes', () => {
    const pictures = [
      { annexB: Buffer.alloc(183, 1), pts: 0 },
      { annexB: Buffer.alloc(184 * 3, 2), pts: 3000 },
      { annexB: Buffer.alloc(70_000, 3), pts: 3600 * 90_000 },
    ];
    for (const codec of ['H264', 'H265'] as const) {
      const ts = muxTs(codec, pictures);
      assert.equal(ts.length % 188, 0);
      for (const [i, pid] of [[0, 0], [1, 0x1000]]) {
        const p = ts.subarray(i * 188, (i + 1) * 188);
        assert.equal(((p[1] & 0x1f) << 8) | p[2], pid);
        const length = ((p[6] & 0x0f) << 8) | p[7];
        const section = p.subarray(5, 5 + 3 + length);
        assert.equal(crc32Mpeg(section.subarray(0, section.length - 4)), section.readUInt32BE(section.length - 4));
      }
      assert.equal(ts[188 + 17], codec === 'H264' ? 0x1b : 0x24);
      const pes = pesOf(ts);
      assert.equal(pes.length, 3);
      pes.forEach((p, i) => {
        assert.equal(p.readUInt32BE(0), 0x1e0);
        assert.equal(ptsOf(p), pictures[i].pts);
        assert.deepEqual(p.subarray(14), pictures[i].annexB);
        const declared = p.readUInt16BE(4);
        assert.equal(declared, pictures[i].annexB.length + 8 > 0xffff ? 0 : pictures[i].annexB.length + 8);
      });
    }
  });
});
