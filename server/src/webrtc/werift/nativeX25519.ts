/**
 * Reach: X25519 in native code. werift does its DTLS key exchange (X25519, what browsers pick) with tweetnacl, in JavaScript: two
 * scalar multiplications per handshake, 3-10 ms of CPU each on this project's 2-core machine and far
 * more when the CPU is contended, right on the path to a viewer's first frame. Node's crypto does
 * the same in native code in about 0.05 ms.
 *
 * werift imports tweetnacl's CommonJS exports object, the one `require('tweetnacl')` gives from
 * werift's own folder, so replacing `box.keyPair` and `scalarMult` on that object switches werift to
 * native code without touching werift. The replacements keep tweetnacl's contract (Uint8Array in, a
 * fresh 32-byte Uint8Array out, whose `.buffer` is exactly those 32 bytes, as werift relies on), and
 * anything the native path does not take (a secret it did not make, a low-order point that OpenSSL
 * refuses) goes to tweetnacl's own function, so behaviour is unchanged except for speed.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

const KEY_BYTES = 32;

interface NaclX25519 {
  scalarMult: ((n: Uint8Array, p: Uint8Array) => Uint8Array) & { base?: unknown };
  box: { keyPair: (() => { publicKey: Uint8Array; secretKey: Uint8Array }) & { fromSecretKey?: unknown } };
}

const NATIVE = Symbol('camrtc.nativeX25519');
let installed: boolean | undefined;
/**
 * Key objects of the secret keys nativeKeyPair made, by the secret's ArrayBuffer (werift wraps it in
 * a Buffer of its own): importing a raw private key costs OpenSSL ~1.5 ms, more than the math.
 */
const privateKeys = new WeakMap<ArrayBufferLike, KeyObject>();

/** werift's tweetnacl instance (undefined when werift no longer depends on it). */
export function weriftNacl(): NaclX25519 | undefined {
  try {
    const fromWerift = createRequire(createRequire(import.meta.url).resolve('werift'));
    const nacl = fromWerift('tweetnacl') as Partial<NaclX25519>;
    if (typeof nacl.scalarMult !== 'function' || typeof nacl.box?.keyPair !== 'function') return undefined;
    return nacl as NaclX25519;
  } catch {
    return undefined;
  }
}

/** A fresh Uint8Array that owns exactly its 32 bytes (werift reads `.buffer`). */
function own(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(KEY_BYTES);
  out.set(bytes.subarray(bytes.length - KEY_BYTES));
  return out;
}

function rawKey(base64url: string | undefined): Uint8Array {
  const bytes = Buffer.from(base64url ?? '', 'base64url');
  if (bytes.length !== KEY_BYTES) throw new RangeError('X25519 keys are 32 bytes');
  return own(bytes);
}

/**
 * X25519(n, p) in native code, for a secret `n` made by nativeKeyPair; undefined for any other
 * secret. Throws on a public key OpenSSL refuses (a low-order point).
 */
export function nativeScalarMult(n: Uint8Array, p: Uint8Array): Uint8Array | undefined {
  const privateKey = n.byteLength === KEY_BYTES ? privateKeys.get(n.buffer) : undefined;
  if (!privateKey || p.length !== KEY_BYTES) return undefined;
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64url') }, format: 'jwk' });
  return own(diffieHellman({ privateKey, publicKey }));
}

export function nativeKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const secretKey = rawKey(jwk.d);
  privateKeys.set(secretKey.buffer, privateKey);
  return { secretKey, publicKey: rawKey(jwk.x) };
}

/**
 * Switches werift's X25519 to Node's native implementation, once per process. Returns whether it is
 * in use; when werift's tweetnacl is not where expected, says so once and leaves werift as it is.
 */
export function useNativeX25519(logger: Logger): boolean {
  if (installed !== undefined) return installed;
  const nacl = weriftNacl();
  if (!nacl) {
    weriftShapeChanged(logger, 'tweetnacl X25519', 'DTLS key exchange stays in JavaScript');
    installed = false;
    return false;
  }
  if ((nacl.scalarMult as unknown as Record<symbol, unknown>)[NATIVE]) return (installed = true);
  const jsScalarMult = nacl.scalarMult;
  const scalarMult = Object.assign(
    (n: Uint8Array, p: Uint8Array): Uint8Array => {
      try {
        return nativeScalarMult(n, p) ?? jsScalarMult(n, p);
      } catch {
        return jsScalarMult(n, p);
      }
    },
    { base: jsScalarMult.base, [NATIVE]: true },
  );
  const keyPair = Object.assign(() => nativeKeyPair(), { fromSecretKey: nacl.box.keyPair.fromSecretKey });
  nacl.scalarMult = scalarMult;
  nacl.box.keyPair = keyPair;
  installed = true;
  return true;
}
