/**
 * Real certificates for TLS tests, made by the openssl command (as a user would with
 * `openssl req -x509`), and a look at the certificate a server presents to a new connection.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';

export interface TestCertificate {
  readonly cn: string;
  /** PEM text. */
  readonly cert: string;
  readonly key: string;
  readonly fingerprint256: string;
}

/** Why TLS tests cannot run here, or undefined. */
export function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'the openssl command is not installed (apt-get install openssl)';
  }
}

/** A self-signed EC certificate for 127.0.0.1 and localhost, valid one day; each call a new key and serial. */
export function makeCertificate(cn: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-cert-'));
  try {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`,
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const pem = readFileSync(cert, 'utf8');
    return { cn, cert: pem, key: readFileSync(key, 'utf8'), fingerprint256: new X509Certificate(pem).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to 127.0.0.1:port is shown. */
export function presentedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}
