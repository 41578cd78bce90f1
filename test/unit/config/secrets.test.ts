import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../server/src/config/Config.js';
import { MAX_PASSWORD_FILE_BYTES, processSecretSources, resolvePassword, type SecretSources } from '../../../server/src/config/secrets.js';
import { CamrtcError } from '../../../server/src/errors.js';

const SECRET = 'Hunter2-@:#?';

/** A config error that names the camera and the field, and never the secret. */
function refusedWith(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID', String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(SECRET), e.message);
    return true;
  };
}

describe('camera passwords from a file or the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-secrets-'));
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const sources = (env: Record<string, string> = {}): SecretSources => ({ env, readFile: processSecretSources.readFile });

  it('passwordFile: the file content, trimmed of its newline, becomes the password', () => {
    const config = loadConfig({ cameras: [{ name: 'yard', url: 'rtsp://admin@192.0.2.1/x', passwordFile: file('pw', `${SECRET}\n`) }] }, sources());
    assert.equal(config.cameras[0].password, SECRET);
  });

  it('passwordEnv: the variable value becomes the password', () => {
    const config = loadConfig({ cameras: [{ name: 'yard', url: 'rtsp://admin@192.0.2.1/x', passwordEnv: 'YARD_PW' }] }, sources({ YARD_PW: SECRET }));
    assert.equal(config.cameras[0].password, SECRET);
  });

  it('with neither, the password is the configured one (or none)', () => {
    assert.equal(resolvePassword({ name: 'a', password: 'x' }, sources()), 'x');
    assert.equal(resolvePassword({ name: 'a' }, sources()), undefined);
  });

  it('a missing, empty, unreadable or oversized file is refused with the camera and the field', () => {
    const cam = (passwordFile: string) => ({ cameras: [{ name: 'yard', url: 'rtsp://192.0.2.1/x', passwordFile }] });
    assert.throws(() => loadConfig(cam(join(dir, 'nope')), sources()), refusedWith(/^camera 'yard': passwordFile .*nope cannot be read: no such file$/));
    assert.throws(() => loadConfig(cam(file('empty', ' \n')), sources()), refusedWith(/camera 'yard': passwordFile .* is empty/));
    assert.throws(() => loadConfig(cam(file('big', SECRET.repeat(MAX_PASSWORD_FILE_BYTES))), sources()), refusedWith(/is larger than 4096 bytes: not a password/));
    assert.throws(() => loadConfig(cam(dir), sources()), refusedWith(/camera 'yard': passwordFile .* cannot be read \(EISDIR\)/));
    if (process.getuid?.() !== 0) {
      const locked = file('locked', SECRET);
      chmodSync(locked, 0o000);
      assert.throws(() => loadConfig(cam(locked), sources()), refusedWith(/cannot be read \(EACCES\)/));
    }
  });

  it('an endless file (/dev/zero given by mistake) is refused instead of hanging the start', () => {
    assert.throws(() => loadConfig({ cameras: [{ name: 'yard', url: 'rtsp://192.0.2.1/x', passwordFile: '/dev/zero' }] }, sources()), refusedWith(/larger than/));
  });

  it('an unset or empty variable, or an invalid variable name, is refused', () => {
    const cam = (passwordEnv: string) => ({ cameras: [{ name: 'yard', url: 'rtsp://192.0.2.1/x', passwordEnv }] });
    assert.throws(() => loadConfig(cam('YARD_PW'), sources()), refusedWith(/camera 'yard': passwordEnv: the environment variable YARD_PW is not set/));
    assert.throws(() => loadConfig(cam('YARD_PW'), sources({ YARD_PW: '' })), refusedWith(/YARD_PW is empty/));
    assert.throws(() => loadConfig(cam('YARD PW'), sources()), refusedWith(/cameras\.0\.passwordEnv: an environment variable name/));
  });

  it('two password sources for one camera are refused, without printing either', () => {
    const input = { cameras: [{ name: 'yard', url: 'rtsp://192.0.2.1/x', password: SECRET, passwordEnv: 'YARD_PW' }] };
    assert.throws(() => loadConfig(input, sources({ YARD_PW: SECRET })), refusedWith(/camera 'yard': give one of password, passwordFile and passwordEnv, not password and passwordEnv/));
  });

  it('a password of the wrong type names the field and does not print the value', () => {
    assert.throws(
      () => loadConfig({ cameras: [{ name: 'yard', url: 'rtsp://192.0.2.1/x', password: 987654321 as unknown as string }] }),
      (e: unknown) => e instanceof CamrtcError && /cameras\.0\.password: /.test(e.message) && !e.message.includes('987654321'),
    );
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
