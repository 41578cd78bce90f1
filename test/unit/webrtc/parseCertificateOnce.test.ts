/**
 * parseCertificateOnce: werift's DTLS contexts share the parse of their (one) certificate and key
 * instead of parsing the PEM again for every connection; another certificate is parsed on its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { parseCertificateOnce } from '../../../server/src/webrtc/werift/index.js';

interface Parsed {
  localCert: Buffer;
  localPrivateKey: { sign(data: Buffer, hash: string): Buffer };
  signatureHashAlgorithm: unknown;
}

const ECDSA_SHA256 = { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 };

async function certificate(): Promise<{ certPem: string; keyPem: string }> {
  return CipherContext.createSelfSignedCertificateWithKey(ECDSA_SHA256, NamedCurveAlgorithm.secp256r1_23);
}

function context(cert: { certPem: string; keyPem: string }): Parsed {
  return new CipherContext(1, cert.certPem, cert.keyPem, ECDSA_SHA256) as unknown as Parsed;
}

describe('parseCertificateOnce', () => {
  it('contexts of one certificate share its parse; another certificate gets its own; signing still works', async () => {
    assert.equal(parseCertificateOnce(silentLogger()), true);
    assert.equal(parseCertificateOnce(silentLogger()), true, 'idempotent');
    const one = await certificate();
    const other = await certificate();
    const a = context(one);
    const b = context(one);
    const c = context(other);
    assert.equal(b.localPrivateKey, a.localPrivateKey, 'parsed once');
    assert.equal(b.localCert, a.localCert);
    assert.deepEqual(b.signatureHashAlgorithm, ECDSA_SHA256);
    assert.notEqual(c.localPrivateKey, a.localPrivateKey);
    assert.notDeepEqual(c.localCert, a.localCert, 'the other certificate is not mistaken for the first');
    // The DER is the certificate's (what the Certificate message carries), and the shared key signs.
    const der = Buffer.from(one.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.deepEqual(Buffer.from(b.localCert), der);
    assert.ok(b.localPrivateKey.sign(Buffer.from('hello'), 'sha256').length > 0);
  });
});
