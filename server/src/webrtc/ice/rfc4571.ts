/**
 * RFC 4571 framing, as ICE over TCP uses it (RFC 6544): each STUN, DTLS or SRTP packet is preceded
 * by its length in two bytes. Pure: splits what a connection sent so far.
 */

export type FrameSplit =
  | { readonly frames: Buffer[]; readonly rest: Buffer; readonly tooLarge?: undefined }
  | { readonly tooLarge: number; readonly frames?: undefined; readonly rest?: undefined };

/**
 * The complete frames at the start of `data` and what follows them; `tooLarge` when a frame
 * announces more than `maxFrame` bytes (or none: an empty frame carries no packet).
 * `maxFrames` bounds the work per call.
 */
export function splitFrames(data: Buffer, maxFrame: number, maxFrames = 64): FrameSplit {
  const frames: Buffer[] = [];
  let offset = 0;
  while (data.length - offset >= 2 && frames.length < maxFrames) {
    const length = data.readUInt16BE(offset);
    if (length === 0 || length > maxFrame) return { tooLarge: length };
    if (data.length - offset - 2 < length) break;
    frames.push(data.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return { frames, rest: data.subarray(offset) };
}
