/** The size of a baseline or progressive JPEG, from its SOF marker; undefined when `buf` is no JPEG. */
export function jpegSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let off = 2;
  while (off + 9 < buf.length) {
    if (buf[off] !== 0xff) return undefined;
    const marker = buf[off + 1];
    const length = buf.readUInt16BE(off + 2);
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: buf.readUInt16BE(off + 5), width: buf.readUInt16BE(off + 7) };
    }
    off += 2 + length;
  }
  return undefined;
}
