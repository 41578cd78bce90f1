import { NaluType } from './nal.js';

/** Default largest RTP payload: fits an SRTP packet with headers in a 1280-byte IPv6 minimum MTU path. */
export const DEFAULT_MAX_PAYLOAD = 1200;
/** One byte of FU indicator and one of FU header. */
const FU_A_HEADER_SIZE = 2;
/** STAP-A NAL header byte; each aggregated NALU then takes a 2-byte size. */
const STAP_A_HEADER_SIZE = 1;
const STAP_A_SIZE_FIELD = 2;

/**
 * Packs NALUs into RTP payloads (RFC 6184 non-interleaved mode): consecutive small NALUs are
 * aggregated into a STAP-A while they fit (SPS+PPS+small SEI in one packet), a NALU that fits alone
 * travels as is (the input Buffer itself, no copy), a bigger one is split into FU-A fragments of
 * near-equal size. Every payload is at most `maxPayload` bytes; each new payload is one allocation.
 * The marker bit belongs on the packet carrying the last payload.
 */
export function packetizeH264(nalus: readonly Buffer[], maxPayload = DEFAULT_MAX_PAYLOAD): Buffer[] {
  if (!Number.isInteger(maxPayload) || maxPayload < FU_A_HEADER_SIZE + 1) {
    throw new RangeError(`maxPayload must be an integer >= ${FU_A_HEADER_SIZE + 1}`);
  }
  const out: Buffer[] = [];
  let groupStart = 0;
  let groupCount = 0;
  let groupSize = STAP_A_HEADER_SIZE;

  const flush = (): void => {
    if (groupCount === 1) out.push(nalus[groupStart]);
    else if (groupCount > 1) out.push(buildStapA(nalus, groupStart, groupCount, groupSize));
    groupCount = 0;
    groupSize = STAP_A_HEADER_SIZE;
  };

  for (let i = 0; i < nalus.length; i++) {
    const nalu = nalus[i];
    if (nalu.length === 0) {
      // Keep the group contiguous in `nalus`: an empty NALU ends it.
      flush();
      continue;
    }
    if (nalu.length > maxPayload) {
      flush();
      pushFuA(out, nalu, maxPayload);
      continue;
    }
    const added = STAP_A_SIZE_FIELD + nalu.length;
    if (groupCount > 0 && groupSize + added > maxPayload) flush();
    if (groupCount === 0) groupStart = i;
    groupCount++;
    groupSize += added;
  }
  flush();
  return out;
}

function buildStapA(nalus: readonly Buffer[], start: number, count: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  // F bit: OR of the aggregated units'; NRI: their maximum (RFC 6184 5.7.1).
  let f = 0;
  let nri = 0;
  for (let i = start; i < start + count; i++) {
    f |= nalus[i][0] & 0x80;
    nri = Math.max(nri, nalus[i][0] & 0x60);
  }
  out[0] = f | nri | NaluType.StapA;
  let off = STAP_A_HEADER_SIZE;
  for (let i = start; i < start + count; i++) {
    const nalu = nalus[i];
    out.writeUInt16BE(nalu.length, off);
    off += STAP_A_SIZE_FIELD;
    off += nalu.copy(out, off);
  }
  return out;
}

function pushFuA(out: Buffer[], nalu: Buffer, maxPayload: number): void {
  const header = nalu[0];
  const indicator = (header & 0xe0) | NaluType.FuA;
  const type = header & 0x1f;
  const body = nalu.length - 1;
  const maxChunk = maxPayload - FU_A_HEADER_SIZE;
  const count = Math.ceil(body / maxChunk);
  const chunk = Math.ceil(body / count);
  for (let i = 0, off = 1; i < count; i++) {
    const len = Math.min(chunk, nalu.length - off);
    const payload = Buffer.allocUnsafe(FU_A_HEADER_SIZE + len);
    payload[0] = indicator;
    payload[1] = (i === 0 ? 0x80 : 0) | (i === count - 1 ? 0x40 : 0) | type;
    nalu.copy(payload, FU_A_HEADER_SIZE, off, off + len);
    out.push(payload);
    off += len;
  }
}

/** Object form of packetizeH264 with a fixed payload limit (stateless). */
export class H264Packetizer {
  constructor(readonly maxPayload = DEFAULT_MAX_PAYLOAD) {
    if (!Number.isInteger(maxPayload) || maxPayload < FU_A_HEADER_SIZE + 1) {
      throw new RangeError(`maxPayload must be an integer >= ${FU_A_HEADER_SIZE + 1}`);
    }
  }
  packetize(nalus: readonly Buffer[]): Buffer[] {
    return packetizeH264(nalus, this.maxPayload);
  }
}
