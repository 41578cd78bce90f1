/**
 * Reach: the DTLS certificate parsed once per process instead of once per handshake.
 */
import { CipherContext } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

type ParseX509 = (this: ParsedCertificate, certPem: string, keyPem: string, signatureHash: unknown) => void;
interface ParsedCertificate {
  localCert: unknown;
  localPrivateKey: unknown;
  signatureHashAlgorithm: unknown;
}

/** Parsed certificates kept: werift makes one per process; a bound, not a working set. */
const MAX_PARSED_CERTIFICATES = 4;
let certificatePatch: boolean | undefined;

/**
 * werift's DTLS parses its own certificate and key from PEM (in JavaScript, @fidm/x509) when every
 * connection's handshake starts, right between ICE and the first DTLS flight: 154 ms of CPU over 14
 * handshakes in a server profile of the benchmark's page loads. werift uses one certificate per
 * process, and the parsed certificate (DER bytes) and key (signs without state) are only read, so
 * each (certificate, key) pair is parsed once. Process-wide and idempotent.
 */
export function parseCertificateOnce(logger: Logger): boolean {
  if (certificatePatch !== undefined) return certificatePatch;
  const proto = (CipherContext as unknown as { prototype?: { parseX509?: unknown } } | undefined)?.prototype;
  const original = proto?.parseX509;
  if (!proto || typeof original !== 'function' || original.length !== 3) {
    weriftShapeChanged(logger, 'CipherContext.parseX509', 'the certificate is parsed for every connection');
    certificatePatch = false;
    return false;
  }
  const parse = original as ParseX509;
  const parsed = new Map<string, Pick<ParsedCertificate, 'localCert' | 'localPrivateKey'>>();
  proto.parseX509 = function (this: ParsedCertificate, certPem: string, keyPem: string, signatureHash: unknown): void {
    const key = `${certPem}\u0000${keyPem}`;
    const known = parsed.get(key);
    if (!known) {
      parse.call(this, certPem, keyPem, signatureHash);
      if (parsed.size >= MAX_PARSED_CERTIFICATES) parsed.clear();
      parsed.set(key, { localCert: this.localCert, localPrivateKey: this.localPrivateKey });
      return;
    }
    this.localCert = known.localCert;
    this.localPrivateKey = known.localPrivateKey;
    this.signatureHashAlgorithm = signatureHash;
  } satisfies ParseX509;
  certificatePatch = true;
  return true;
}
