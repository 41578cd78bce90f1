const START_CODE = Buffer.from([0, 0, 1]);

/** True when `buf` holds an Annex-B start code (00 00 01) anywhere. */
export function hasStartCode(buf: Buffer): boolean {
  return buf.indexOf(START_CODE) >= 0;
}

/**
 * Splits an Annex-B byte stream (or an RTP payload a camera filled with start codes) into NALUs,
 * as subarrays of `buf` (no copy). Bytes before the first start code form a NALU of their own when
 * they are not just zeros (a payload like `SPS 00 00 01 PPS`). The zero byte of a 4-byte start
 * code and trailing zeros are dropped; empty NALUs are skipped.
 */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const nalus: Buffer[] = [];
  let from = 0;
  for (;;) {
    const sc = buf.indexOf(START_CODE, from);
    const end = sc < 0 ? buf.length : sc;
    pushTrimmed(nalus, buf, from, end);
    if (sc < 0) return nalus;
    from = sc + 3;
  }
}

function pushTrimmed(out: Buffer[], buf: Buffer, start: number, end: number): void {
  // A NALU never ends in a zero byte (rbsp_trailing_bits), so trailing zeros are start-code
  // prefixes or trailing_zero_8bits.
  while (end > start && buf[end - 1] === 0) end--;
  if (end > start) out.push(buf.subarray(start, end));
}
