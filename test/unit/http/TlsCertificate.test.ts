/**
 * TlsCertificate on real files and openssl certificates: what is refused at start and why (the file
 * named, the key never shown), the stat poll that notices a change the directory watch cannot see,
 * and close().
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TlsCertificate, type CertificateInfo } from '../../../server/src/http/TlsCertificate.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { makeCertificate, opensslMissing, type TestCertificate } from '../../helpers/tlsFiles.js';

const logger = silentLogger();

describe('TlsCertificate', { skip: opensslMissing() }, () => {
  let dir: string;
  let one: TestCertificate, two: TestCertificate;
  let n = 0;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrtc-tlscert-'));
    one = makeCertificate('camrtc-one');
    two = makeCertificate('camrtc-two');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a pair into a fresh folder; returns the two paths. */
  function files(cert: string, key: string): { cert: string; key: string } {
    const sub = join(dir, `pair-${n++}`);
    mkdirSync(sub);
    writeFileSync(join(sub, 'cert.pem'), cert);
    writeFileSync(join(sub, 'key.pem'), key);
    return { cert: join(sub, 'cert.pem'), key: join(sub, 'key.pem') };
  }

  function refusal(f: { cert: string; key: string }): string {
    try {
      TlsCertificate.load(f, { logger }).close();
    } catch (err) {
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      return err.message;
    }
    assert.fail('the pair was accepted');
  }

  it('a good pair loads, and tells the certificate it serves', () => {
    const f = files(one.cert, one.key);
    const certificate = TlsCertificate.load(f, { logger });
    try {
      assert.equal(certificate.info.fingerprint256, one.fingerprint256);
      assert.equal(certificate.info.subject, 'CN=camrtc-one');
      assert.equal(certificate.pair.cert.toString(), one.cert);
    } finally {
      certificate.close();
    }
  });

  it('refuses, naming the file: missing, empty, not PEM, cut short, encrypted, or the wrong key', () => {
    const ok = files(one.cert, one.key);
    assert.equal(refusal({ ...ok, cert: join(dir, 'absent.pem') }), `cannot read the TLS certificate ${join(dir, 'absent.pem')}: no such file`);
    const empty = files('', one.key);
    assert.equal(refusal(empty), `the TLS certificate ${empty.cert} is empty`);
    const notPem = files('hello\n', one.key);
    assert.equal(refusal(notPem), `the TLS certificate ${notPem.cert} is not a PEM certificate, or is cut short`);
    const cutCert = files(one.cert.slice(0, one.cert.length / 2), one.key);
    assert.match(refusal(cutCert), /is not a PEM certificate, or is cut short/);
    const cutKey = files(one.cert, one.key.slice(0, 80));
    assert.equal(refusal(cutKey), `the TLS key ${cutKey.key} is not a PEM private key, or is cut short`);
    const encrypted = createPrivateKey(one.key).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass-phrase-x' }) as string;
    const locked = files(one.cert, encrypted);
    assert.match(refusal(locked), /is encrypted with a passphrase: give camrtc an unencrypted key/);
    const wrong = files(one.cert, two.key);
    assert.equal(
      refusal(wrong),
      `the TLS key ${wrong.key} does not belong to the certificate ${wrong.cert} (a renewal that wrote one file but not yet the other, or the wrong key file)`,
    );
  });

  it('the stat poll notices a renewal the directory watch cannot see (the target of a symlink rewritten in place)', async () => {
    const target = files(one.cert, one.key);
    const links = join(dir, `links-${n++}`);
    mkdirSync(links);
    symlinkSync(target.cert, join(links, 'cert.pem'));
    symlinkSync(target.key, join(links, 'key.pem'));
    const certificate = TlsCertificate.load({ cert: join(links, 'cert.pem'), key: join(links, 'key.pem') }, { logger, pollIntervalMs: 100 });
    try {
      const reloaded = new Promise<CertificateInfo>((resolve) => certificate.once('reloaded', resolve));
      // fs.watchFile takes its first stat on the thread pool: on a busy machine it can come after
      // writes made at once, which then look like the starting state. A renewal comes later than that.
      await new Promise((r) => setTimeout(r, 500));
      writeFileSync(target.cert, two.cert);
      writeFileSync(target.key, two.key);
      const info = await Promise.race([reloaded, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no reload within 3 s')), 3000))]);
      assert.equal(info.fingerprint256, two.fingerprint256);
      assert.equal(certificate.pair.key.toString(), two.key);
    } finally {
      certificate.close();
    }
  });

  it('close() stops watching: later changes are not read', async () => {
    const f = files(one.cert, one.key);
    const certificate = TlsCertificate.load(f, { logger, pollIntervalMs: 100, settleMs: 20 });
    const events: string[] = [];
    certificate.on('reloaded', () => events.push('reloaded'));
    certificate.on('reloadFailed', () => events.push('reloadFailed'));
    certificate.close();
    certificate.close();
    assert.equal(certificate.closed, true);
    writeFileSync(f.cert, two.cert);
    writeFileSync(f.key, two.key);
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(events, []);
    assert.equal(certificate.info.fingerprint256, one.fingerprint256);
  });
});
