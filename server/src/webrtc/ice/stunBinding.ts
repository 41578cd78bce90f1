/**
 * Just enough STUN (RFC 8489) to route a datagram or a TCP connection to a viewer before any viewer
 * owns it: is it a binding request, whose local ufrag does its USERNAME name, and does its
 * MESSAGE-INTEGRITY verify with that viewer's ICE password. Pure: bytes in, a value out, never a
 * throw; a hostile datagram costs one bounded walk over its attributes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = 20;
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const INTEGRITY_LENGTH = 20;
/** RFC 8489 14.3: a USERNAME is under 513 bytes; ICE's is `remote-ufrag:local-ufrag`. */
export const MAX_USERNAME_BYTES = 512;
/** A binding request carries a handful of attributes; a longer walk is not a real one. */
const MAX_ATTRIBUTES = 32;

/** What routing needs from a binding request. */
export interface BindingRequest {
  /** The receiver's ufrag: USERNAME up to its first ':' (the sender's ufrag follows it). */
  readonly ufrag: string;
  /** Offset of the MESSAGE-INTEGRITY attribute (its type field), for verifyIntegrity. */
  readonly integrityOffset: number;
}

/** First byte of a STUN message (RFC 7983: 0-3), as opposed to DTLS (20-63) or RTP/RTCP (128-191). */
export function looksLikeStun(data: Buffer): boolean {
  return data.length >= HEADER && data[0] < 4;
}

/** Cheap pre-check on the header alone: a STUN binding request with the magic cookie. */
export function isBindingRequest(data: Buffer): boolean {
  return data.length >= HEADER && data.readUInt16BE(0) === BINDING_REQUEST && data.readUInt32BE(4) === MAGIC_COOKIE;
}

/**
 * The local ufrag and the place of MESSAGE-INTEGRITY of a binding request, or undefined for
 * anything else (another message, a truncated or lying length, no USERNAME, no integrity).
 */
export function readBindingRequest(data: Buffer): BindingRequest | undefined {
  if (!isBindingRequest(data)) return undefined;
  const length = data.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER + length > data.length) return undefined;
  const end = HEADER + length;
  let offset = HEADER;
  let ufrag: string | undefined;
  for (let n = 0; n < MAX_ATTRIBUTES && offset + 4 <= end; n++) {
    const type = data.readUInt16BE(offset);
    const valueLength = data.readUInt16BE(offset + 2);
    const valueStart = offset + 4;
    if (valueStart + valueLength > end) return undefined;
    if (type === ATTR_USERNAME) {
      if (valueLength === 0 || valueLength > MAX_USERNAME_BYTES) return undefined;
      const colon = data.indexOf(0x3a, valueStart);
      const ufragEnd = colon >= 0 && colon < valueStart + valueLength ? colon : valueStart + valueLength;
      if (ufragEnd === valueStart) return undefined;
      ufrag = data.toString('latin1', valueStart, ufragEnd);
    } else if (type === ATTR_MESSAGE_INTEGRITY) {
      // Attributes after MESSAGE-INTEGRITY (FINGERPRINT) are not covered by it: routing is done.
      if (valueLength !== INTEGRITY_LENGTH || ufrag === undefined) return undefined;
      return { ufrag, integrityOffset: offset };
    }
    offset = valueStart + ((valueLength + 3) & ~3);
  }
  return undefined;
}

/**
 * RFC 8489 14.5: HMAC-SHA1 keyed with the ICE password over the message up to MESSAGE-INTEGRITY,
 * with the header's length as if that attribute ended the message.
 */
export function verifyIntegrity(data: Buffer, request: BindingRequest, password: string): boolean {
  const at = request.integrityOffset;
  if (at < HEADER || at + 4 + INTEGRITY_LENGTH > data.length) return false;
  const header = Buffer.from(data.subarray(0, HEADER));
  header.writeUInt16BE(at - HEADER + 4 + INTEGRITY_LENGTH, 2);
  const mac = createHmac('sha1', password).update(header).update(data.subarray(HEADER, at)).digest();
  return timingSafeEqual(mac, data.subarray(at + 4, at + 4 + INTEGRITY_LENGTH));
}
