/**
 * `camrtc token` as a user runs it: the bare token on stdout (for `TOKEN=$(camrtc token ...)`), made
 * with the configuration's first key so the server accepts it; clear refusals without a key or with a
 * bad flag.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ViewerTokens } from '../../../server/src/auth/ViewerTokens.js';
import { distPath } from '../../helpers/paths.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function camrtc(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distPath('server/src/main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const run: Run = { code: null, stdout: '', stderr: '' };
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
  });
}

const NEW_KEY = 'cli-test-new-key-0123456789abcdefghij';
const OLD_KEY = 'cli-test-old-key-0123456789abcdefghij';

describe('camrtc token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-token-cli-'));
  const keyFile = join(dir, 'new.key');
  writeFileSync(keyFile, `${NEW_KEY}\n`);
  const config = join(dir, 'camrtc.yml');
  writeFileSync(
    config,
    [
      'cameras:',
      '  front: rtsp://127.0.0.1:9/front',
      '  yard-east: rtsp://127.0.0.1:9/yard',
      'auth:',
      '  tokenKeys:',
      `    - { id: "2026-12", secretFile: "${keyFile}" }`,
      '    - { id: "2026-11", secretEnv: CAMRTC_TEST_OLD_KEY }',
      '',
    ].join('\n'),
  );
  const env = { CAMRTC_TEST_OLD_KEY: OLD_KEY };

  it('prints only the token, signed with the first key, for the cameras, action, origin and subject asked', async () => {
    const run = await camrtc(['token', '--camera', 'front', '--camera', 'yard-*', '--ttl', '15m', '--origin', 'https://shop.example', '--action', 'playback', '--subject', 'visitor-7', '--config', config], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = run.stdout.trim();
    // What the server does with it: verified by a server holding the same keys.
    const server = new ViewerTokens([{ id: '2026-12', secret: NEW_KEY }, { id: '2026-11', secret: OLD_KEY }]);
    const principal = await server.verify(token);
    assert.deepEqual(principal.permissions, { playback: ['front', 'yard-*'] });
    assert.equal(principal.origin, 'https://shop.example');
    assert.equal(principal.name, 'visitor-7');
    const left = principal.expiresAt! - Date.now();
    assert.ok(left > 14 * 60_000 && left <= 15 * 60_000, `${left} ms left`);
    await assert.rejects(new ViewerTokens([{ id: '2026-11', secret: OLD_KEY }]).verify(token), /rotated out/);
  });

  it('--json prints the token and its expiry', async () => {
    const run = await camrtc(['token', '--camera', 'front', '--config', config, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { token: string; expiresAt: string };
    const left = Date.parse(out.expiresAt) - Date.now();
    assert.ok(left > 59 * 60_000 && left <= 3600_000, 'the default ttl is 1h');
    assert.match(out.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('warns on stderr about a camera name the configuration does not have (a typo), and still mints', async () => {
    const run = await camrtc(['token', '--camera', 'frnot', '--config', config], env);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, `camrtc token: warning: ${config} configures no camera named 'frnot'\n`);
  });

  it('refuses without auth.tokenKeys, a bad ttl or origin, and without --config, saying what to do', async () => {
    const bare = join(dir, 'bare.yml');
    writeFileSync(bare, 'cameras:\n  front: rtsp://127.0.0.1:9/front\n');
    const noKey = await camrtc(['token', '--camera', 'front', '--config', bare]);
    assert.equal(noKey.code, 1);
    assert.equal(noKey.stdout, '');
    assert.match(noKey.stderr, /^camrtc: .*bare\.yml has no auth\.tokenKeys: add a key \(id and secretFile\) so the server and this command share it .* \[ERR_CONFIG_INVALID\]\n$/);

    const ttl = await camrtc(['token', '--camera', 'front', '--ttl', '1y', '--config', config], env);
    assert.equal(ttl.code, 1);
    assert.equal(ttl.stderr, 'camrtc: --ttl: "1y" is not a duration: use a number and a unit, e.g. 30s, 15m, 1h or 7d [ERR_CONFIG_INVALID]\n');
    const origin = await camrtc(['token', '--camera', 'front', '--origin', 'https://shop.example/page', '--config', config], env);
    assert.equal(origin.code, 1);
    assert.match(origin.stderr, /^camrtc: --origin: an origin is scheme:\/\/host\[:port\], without a path/);
    const noCamera = await camrtc(['token', '--config', config], env);
    assert.equal(noCamera.code, 1);
    assert.match(noCamera.stderr, /name at least one camera with --camera NAME/);
    const noConfig = await camrtc(['token', '--camera', 'front']);
    assert.equal(noConfig.code, 1);
    assert.match(noConfig.stderr, /required option '--config <file>' not specified/);
    const missingEnv = await camrtc(['token', '--camera', 'front', '--config', config]);
    assert.equal(missingEnv.code, 1);
    assert.match(missingEnv.stderr, /auth\.tokenKeys\.1 \(id '2026-11'\): secretEnv: the environment variable CAMRTC_TEST_OLD_KEY is not set/);
  });
});
