import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseRtpPacket, type RtpPacket } from '../../../../server/src/rtp/RtpPacket.js';
import { H265Depacketizer, type H265AccessUnit } from '../../../../server/src/rtp/h265/H265Depacketizer.js';
import { packetizeH265 } from '../../../../server/src/rtp/h265/H265Packetizer.js';
import { H265ParameterSets } from '../../../../server/src/rtp/h265/H265ParameterSets.js';
import { h265NaluType } from '../../../../server/src/rtp/h265/nal.js';
import { rawRtp } from '../rtpFixtures.js';

const nal = (type: number, size: number, fill = 0x33): Buffer => Buffer.concat([Buffer.from([type << 1, 0x01]), Buffer.alloc(size - 2, fill)]);
const VPS = nal(32, 24);
const SPS = nal(33, 40);
const PPS = nal(34, 8);
const IDR = (size: number) => nal(19, size, 0x44);
const TRAIL = (size: number) => nal(1, size, 0x55);

function packets(payloads: Buffer[], seq: number, ts: number): RtpPacket[] {
  return payloads.map((payload, i) => parseRtpPacket(rawRtp({ seq: seq + i, ts, payload, marker: i === payloads.length - 1 })) as RtpPacket);
}

function feed(d: H265Depacketizer, pkts: RtpPacket[]): Array<H265AccessUnit | CamrtcError> {
  const out: Array<H265AccessUnit | CamrtcError> = [];
  for (const p of pkts) for (let r = d.push(p); r !== null; r = d.next()) out.push(r);
  return out;
}

describe('H.265 RTP (RFC 7798) round trips', () => {
  it('VPS+SPS+PPS aggregate into one AP, a big IRAP splits into FUs, and depacketizing gives the NAL units back', () => {
    const au = [VPS, SPS, PPS, IDR(5000)];
    const payloads = packetizeH265(au, 1200);
    assert.equal(h265NaluType(payloads[0]), 48, 'AP first');
    assert.ok(payloads.slice(1).every((p) => h265NaluType(p) === 49 && p.length <= 1200), 'then FUs of at most 1200 bytes');
    const [r] = feed(new H265Depacketizer(), packets(payloads, 65534, 1000)); // sequence wraps inside
    assert.ok(!(r instanceof CamrtcError));
    assert.equal(r.keyframe, true);
    assert.deepEqual(r.nalus, au);
  });

  it('FU with start and end bits in one packet is a whole NAL unit; a small one travels as a single NAL unit packet', () => {
    const fu = Buffer.concat([Buffer.from([49 << 1, 0x01, 0xc0 | 1]), Buffer.alloc(10, 0x55)]);
    const [r] = feed(new H265Depacketizer(), packets([fu], 1, 0));
    assert.ok(!(r instanceof CamrtcError));
    assert.deepEqual(r.nalus, [TRAIL(12)]);
    assert.deepEqual(packetizeH265([TRAIL(100)], 1200), [TRAIL(100)]);
  });

  it('a lost FU fragment drops the picture and reports it; the next picture comes through', () => {
    const payloads = packetizeH265([IDR(4000)], 1200);
    const pkts = packets(payloads, 10, 0).filter((_, i) => i !== 1);
    const out = feed(new H265Depacketizer(), [...pkts, ...packets([TRAIL(50)], 10 + payloads.length, 3000)]);
    assert.ok(out[0] instanceof CamrtcError && out[0].code === 'ERR_PARSE_H265');
    const last = out.at(-1);
    assert.ok(last && !(last instanceof CamrtcError) && last.nalus[0].equals(TRAIL(50)));
  });

  it('DONL fields (sprop-max-don-diff > 0) are skipped', () => {
    const ap = Buffer.concat([Buffer.from([48 << 1, 1, 0, 7, 0, VPS.length]), VPS, Buffer.from([1, 0, SPS.length]), SPS]);
    const fu = Buffer.concat([Buffer.from([49 << 1, 1, 0xc0 | 19, 0, 9]), Buffer.alloc(20, 0x44)]);
    const out = feed(new H265Depacketizer({ donl: true }), packets([ap, fu], 1, 0));
    const au = out[0] as H265AccessUnit;
    assert.deepEqual(au.nalus, [VPS, SPS, IDR(22)]);
  });

  it('parameter sets from sprop-vps/sps/pps are put in front of an IRAP that lacks them, not of other pictures', () => {
    const ps = new H265ParameterSets({ 'sprop-vps': VPS.toString('base64'), 'sprop-sps': SPS.toString('base64'), 'sprop-pps': PPS.toString('base64') });
    assert.deepEqual(ps.prepare({ timestamp: 0, keyframe: true, nalus: [IDR(30)] }), [VPS, SPS, PPS, IDR(30)]);
    const trail = [TRAIL(30)];
    assert.equal(ps.prepare({ timestamp: 0, keyframe: false, nalus: trail }), trail);
  });
});
