import { H265NaluType, H265_NAL_HEADER_SIZE } from './nal.js';

/** Two bytes of payload header and one of FU header. */
const FU_HEADER_SIZE = 3;
const AP_SIZE_FIELD = 2;

/**
 * Packs H.265 NAL units into RFC 7798 payloads of at most `maxPayload` bytes (no DONL): consecutive
 * small units go into an AP while they fit (VPS+SPS+PPS in one packet), a unit that fits alone
 * travels as is (no copy), a bigger one is split into FUs of near-equal size.
 */
export function packetizeH265(nalus: readonly Buffer[], maxPayload: number): Buffer[] {
  if (!Number.isInteger(maxPayload) || maxPayload < FU_HEADER_SIZE + 1) throw new RangeError(`maxPayload must be an integer >= ${FU_HEADER_SIZE + 1}`);
  const out: Buffer[] = [];
  let group: Buffer[] = [];
  let groupSize = H265_NAL_HEADER_SIZE;
  const flush = (): void => {
    if (group.length === 1) out.push(group[0]);
    else if (group.length > 1) out.push(buildAp(group, groupSize));
    group = [];
    groupSize = H265_NAL_HEADER_SIZE;
  };
  for (const nalu of nalus) {
    if (nalu.length < H265_NAL_HEADER_SIZE) continue;
    if (nalu.length > maxPayload) {
      flush();
      pushFu(out, nalu, maxPayload);
      continue;
    }
    if (group.length > 0 && groupSize + AP_SIZE_FIELD + nalu.length > maxPayload) flush();
    group.push(nalu);
    groupSize += AP_SIZE_FIELD + nalu.length;
  }
  flush();
  return out;
}

function buildAp(nalus: readonly Buffer[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  // F: OR of the units'; LayerId and TID: the lowest of them (RFC 7798 4.4.2).
  let f = 0;
  let layer = 0x3f;
  let tid = 7;
  for (const n of nalus) {
    f |= n[0] & 0x80;
    layer = Math.min(layer, ((n[0] & 1) << 5) | (n[1] >> 3));
    tid = Math.min(tid, n[1] & 7);
  }
  out[0] = f | (H265NaluType.Ap << 1) | (layer >> 5);
  out[1] = ((layer & 0x1f) << 3) | tid;
  let off = H265_NAL_HEADER_SIZE;
  for (const n of nalus) {
    out.writeUInt16BE(n.length, off);
    off += AP_SIZE_FIELD;
    off += n.copy(out, off);
  }
  return out;
}

function pushFu(out: Buffer[], nalu: Buffer, maxPayload: number): void {
  const type = (nalu[0] >> 1) & 0x3f;
  const b0 = (nalu[0] & 0x81) | (H265NaluType.Fu << 1);
  const b1 = nalu[1];
  const body = nalu.length - H265_NAL_HEADER_SIZE;
  const count = Math.ceil(body / (maxPayload - FU_HEADER_SIZE));
  const chunk = Math.ceil(body / count);
  for (let i = 0, off = H265_NAL_HEADER_SIZE; i < count; i++) {
    const len = Math.min(chunk, nalu.length - off);
    const p = Buffer.allocUnsafe(FU_HEADER_SIZE + len);
    p[0] = b0;
    p[1] = b1;
    p[2] = (i === 0 ? 0x80 : 0) | (i === count - 1 ? 0x40 : 0) | type;
    nalu.copy(p, FU_HEADER_SIZE, off, off + len);
    out.push(p);
    off += len;
  }
}
