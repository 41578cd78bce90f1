/**
 * The camrtc command as a user runs it: camera passwords from a file or the environment instead of
 * the command line, and a configuration file whose YAML warnings must not echo a password line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distPath } from '../../helpers/paths.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `camrtc ARGS`; stops it (SIGTERM) once it says it is listening, or after 10 s. */
function camrtc(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distPath('server/src/main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const run: Run = { code: null, stdout: '', stderr: '' };
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

const BASE = ['--host', '127.0.0.1', '--port', '0', '--no-demo', '--ice-host', '127.0.0.1', '--webrtc-udp-port', '0'];

describe('camrtc credentials on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-cli-'));

  it('--password-env: a variable that is not set stops the start with the camera and the field named', async () => {
    const run = await camrtc([...BASE, '--camera', 'door=rtsp://admin@127.0.0.1:9/x', '--password-env', 'door=CAMRTC_TEST_DOOR_PW']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "camrtc: camera 'door': passwordEnv: the environment variable CAMRTC_TEST_DOOR_PW is not set [ERR_CONFIG_INVALID]\n");
  });

  it('--password-env and --password-file: the server starts, and the password is in no output', async () => {
    const file = join(dir, 'yard.pw');
    writeFileSync(file, 'Yard-S3cret\n');
    const run = await camrtc(
      [...BASE, '--camera', 'door=rtsp://admin@127.0.0.1:9/x', '--password-env', 'door=CAMRTC_TEST_DOOR_PW', '--camera', 'yard=rtsp://admin@127.0.0.1:9/y', '--password-file', `yard=${file}`],
      { CAMRTC_TEST_DOOR_PW: 'Door-S3cret' },
    );
    assert.match(run.stdout, /camrtc listening/);
    assert.ok(!/S3cret/.test(run.stdout + run.stderr), run.stdout + run.stderr);
  });

  it('a YAML warning in the configuration file is logged without the line it is about', async () => {
    const config = join(dir, 'camrtc.yml');
    writeFileSync(config, 'cameras:\n  yard:\n    url: rtsp://127.0.0.1:9/x\n    username: admin\n    password: !secret Tagged-S3cret\n');
    const run = await camrtc([...BASE, '--config', config]);
    assert.match(run.stdout, /camrtc listening/);
    assert.match(run.stdout, /camrtc\.yml: at line 5, column 15: an unknown !tag \(camrtc reads plain values: no tags\) \(YAML TAG_RESOLVE_FAILED\)/);
    assert.ok(!/S3cret/.test(run.stdout + run.stderr), run.stdout + run.stderr);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
