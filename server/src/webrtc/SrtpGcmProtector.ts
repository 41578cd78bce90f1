/**
 * SRTP protection with AEAD_AES_128_GCM (RFC 7714) for the packets camrtc sends. werift encrypts the
 * same way but, per packet and per viewer, builds an RtpHeader object, serializes it, clones the
 * packet and concatenates three buffers; at a hundred viewers that bookkeeping costs more than the
 * cipher itself. This class keeps only what the cipher needs: one IV buffer reused for every packet.
 *
 * Pure apart from node:crypto: the session key and salt come from the DTLS-SRTP key derivation
 * (werift's), the rollover counter from the caller, which knows its own sequence numbers.
 */
import { createCipheriv } from 'node:crypto';

/** Authentication tag appended to every packet. */
export const GCM_TAG_BYTES = 16;
const KEY_BYTES = 16;
const SALT_BYTES = 12;

export class SrtpGcmProtector {
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #iv = Buffer.alloc(SALT_BYTES);

  /**
   * `sessionSalt` may be longer than the 96 bits AES-GCM uses (a key derivation written for AES-CM
   * yields 112): only its first 12 bytes count, as the KDF's output is the same stream either way.
   */
  constructor(sessionKey: Uint8Array, sessionSalt: Uint8Array) {
    if (sessionKey.length !== KEY_BYTES || sessionSalt.length < SALT_BYTES) {
      throw new RangeError(`AES-128-GCM needs a ${KEY_BYTES}-byte session key and a salt of at least ${SALT_BYTES} bytes`);
    }
    // Own allocations, not slices of Node's shared 8 KiB pool: a viewer's keys live as long as the
    // viewer, and a pooled slice would keep its whole slab alive.
    this.#key = Buffer.allocUnsafeSlow(KEY_BYTES);
    this.#key.set(sessionKey);
    this.#salt = Buffer.allocUnsafeSlow(SALT_BYTES);
    this.#salt.set(sessionSalt.subarray(0, SALT_BYTES));
  }

  /**
   * `header` (the whole RTP header, authenticated but not encrypted) followed by the encrypted
   * `payload` and the tag, in one new buffer. `rolloverCounter` counts the sequence number wraps of
   * this SSRC (RFC 3711 3.3.1).
   */
  protect(header: Uint8Array, payload: Uint8Array, rolloverCounter: number): Buffer {
    const iv = this.#iv;
    const salt = this.#salt;
    // RFC 7714 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt; SSRC and SEQ come from the header.
    iv[0] = salt[0];
    iv[1] = salt[1];
    iv[2] = header[8] ^ salt[2];
    iv[3] = header[9] ^ salt[3];
    iv[4] = header[10] ^ salt[4];
    iv[5] = header[11] ^ salt[5];
    iv[6] = ((rolloverCounter >>> 24) & 0xff) ^ salt[6];
    iv[7] = ((rolloverCounter >>> 16) & 0xff) ^ salt[7];
    iv[8] = ((rolloverCounter >>> 8) & 0xff) ^ salt[8];
    iv[9] = (rolloverCounter & 0xff) ^ salt[9];
    iv[10] = header[2] ^ salt[10];
    iv[11] = header[3] ^ salt[11];
    const cipher = createCipheriv('aes-128-gcm', this.#key, iv);
    cipher.setAAD(header);
    const out = Buffer.allocUnsafe(header.length + payload.length + GCM_TAG_BYTES);
    out.set(header, 0);
    const encrypted = cipher.update(payload);
    out.set(encrypted, header.length);
    let offset = header.length + encrypted.length;
    const rest = cipher.final();
    if (rest.length > 0) {
      out.set(rest, offset);
      offset += rest.length;
    }
    out.set(cipher.getAuthTag(), offset);
    return out;
  }
}
