/**
 * The keys of viewer tokens and of an identity provider come from a file or the environment like
 * camera passwords (config/secrets.ts): loadConfig reads them into `secret`, and a problem names
 * the key and the field, never the secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../server/src/config/Config.js';
import { processSecretSources, type SecretSources } from '../../../server/src/config/secrets.js';
import { CamrtcError } from '../../../server/src/errors.js';

const KEY = 'k3y-Material-0123456789-abcdefghijkl';
const sources = (env: Record<string, string> = {}): SecretSources => ({ env, readFile: processSecretSources.readFile });

function refusedWith(pattern: RegExp, secret = KEY) {
  return (e: unknown) => {
    assert.ok(e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID', String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(secret), e.message);
    return true;
  };
}

describe('token keys from a file or the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-keys-'));

  it('secretFile and secretEnv are read into secret, trimmed; secret stays as written', () => {
    const path = join(dir, 'key');
    writeFileSync(path, `${KEY}\n`);
    const config = loadConfig(
      {
        auth: {
          tokenKeys: [
            { id: 'new', secretFile: path },
            { id: 'old', secretEnv: 'OLD_KEY' },
            { id: 'inline', secret: KEY },
          ],
          jwt: { secretEnv: 'IDP_KEY', issuer: 'https://idp.example/', audience: 'camrtc' },
        },
      },
      sources({ OLD_KEY: `old-${KEY}`, IDP_KEY: `idp-${KEY}` }),
    );
    assert.deepEqual(config.auth!.tokenKeys.map((k) => k.secret), [KEY, `old-${KEY}`, KEY]);
    assert.equal(config.auth!.jwt!.secret, `idp-${KEY}`);
  });

  it('a missing file or variable, or a short secret, stops the start naming the key and the field', () => {
    const load = (tokenKeys: unknown[], env: Record<string, string> = {}) => () => loadConfig({ auth: { tokenKeys } } as never, sources(env));
    assert.throws(load([{ id: 'k1', secretFile: join(dir, 'nope') }]), refusedWith(/^auth\.tokenKeys\.0 \(id 'k1'\): secretFile .*nope cannot be read: no such file$/));
    assert.throws(load([{ id: 'k1', secretEnv: 'NOT_SET_ANYWHERE' }]), refusedWith(/^auth\.tokenKeys\.0 \(id 'k1'\): secretEnv: the environment variable NOT_SET_ANYWHERE is not set$/));
    assert.throws(load([{ id: 'k1', secretEnv: 'SHORT' }], { SHORT: 'tooShort' }), refusedWith(/^auth\.tokenKeys\.0 \(id 'k1'\): the secret is shorter than 32 characters/, 'tooShort'));
    assert.throws(load([{ id: 'k1', secret: KEY, secretEnv: 'X' }]), refusedWith(/auth\.tokenKeys\.0: give exactly one of secret, secretFile and secretEnv/));
  });

  it("an identity provider cannot take camrtc's own issuer", () => {
    assert.throws(
      () => loadConfig({ auth: { jwt: { secret: KEY, issuer: 'camrtc', audience: 'camrtc' } } }, sources()),
      refusedWith(/auth\.jwt\.issuer: 'camrtc' is the issuer of camrtc's own viewer tokens/),
    );
  });
});
