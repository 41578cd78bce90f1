/**
 * The camrtc command with --tls-cert and --tls-key as a user types it: what the terminal says when a
 * file is missing or only one of the two is given, and the https:// address when both are good.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distPath } from '../../helpers/paths.js';
import { makeCertificate, opensslMissing } from '../../helpers/tlsFiles.js';

/** Runs `camrtc ARGS`; stops it (SIGTERM) once it says it is listening, or after 10 s. */
function camrtc(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distPath('server/src/main.js'), '--host', '127.0.0.1', '--port', '0', '--no-demo', '--ice-host', '127.0.0.1', '--webrtc-udp-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run = { code: null as number | null, stdout: '', stderr: '' };
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      run.stdout += d.toString();
      if (run.stdout.includes('camrtc listening')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
  });
}

describe('camrtc --tls-cert --tls-key', { skip: opensslMissing() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-tlscli-'));
  const pair = makeCertificate('camrtc-cli');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, pair.cert);
  writeFileSync(key, pair.key);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('only --tls-cert: refused, naming --tls-key', async () => {
    const run = await camrtc(['--tls-cert', cert]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "camrtc: invalid configuration: tls.key: missing: HTTPS needs the certificate's private key too (--tls-key FILE, or tls.key in the configuration file) [ERR_CONFIG_INVALID]\n");
  });

  it('a key file that does not exist stops the start with the file named', async () => {
    const run = await camrtc(['--tls-cert', cert, '--tls-key', join(dir, 'absent.pem')]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `camrtc: cannot read the TLS key ${join(dir, 'absent.pem')}: no such file [ERR_CONFIG_INVALID]\n`);
  });

  it('both good: listening on https://, and the key is in no output', async () => {
    const run = await camrtc(['--tls-cert', cert, '--tls-key', key]);
    assert.match(run.stdout, /camrtc listening on https:\/\/127\.0\.0\.1:\d+/);
    const keyBody = pair.key.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    assert.ok(!(run.stdout + run.stderr).includes(keyBody.slice(48, 80)), 'the private key was printed');
  });
});
