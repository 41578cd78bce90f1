/**
 * webrtc.turn (TURN REST with coturn's shared secret) and webrtc.iceTransportPolicy, from the
 * configuration file and the command line; the checks on webrtc.iceServers, which browsers get too.
 * Errors name the field and never the secret.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type ConfigInput } from '../../../server/src/config/Config.js';
import type { SecretSources } from '../../../server/src/config/secrets.js';
import { turnRestOf } from '../../../server/src/config/turnConfig.js';
import { buildProgram, configFromFlags, type ServeFlags } from '../../../server/src/cli/index.js';
import { parseConfigText } from '../../../server/src/config/configFile.js';
import { CamrtcError } from '../../../server/src/errors.js';

const SECRET = 'turn-shared-secret-abcdef0123456789';
const sources: SecretSources = {
  env: { TURN_SECRET: SECRET, EMPTY: '' },
  readFile: (path) => {
    if (path === '/run/secrets/turn') return Buffer.from(`${SECRET}\n`);
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  },
};

function flags(argv: string[]): ServeFlags {
  const program = buildProgram().exitOverride();
  program.action(() => undefined);
  program.parse(['node', 'camrtc', ...argv]);
  return program.opts() as ServeFlags;
}

function load(webrtc: Record<string, unknown>): ReturnType<typeof loadConfig> {
  return loadConfig({ webrtc } as ConfigInput, sources);
}

function refused(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof CamrtcError && err.code === 'ERR_CONFIG_INVALID', String(err));
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(SECRET) && !err.message.includes('short-secret'), `no secret in: ${err.message}`);
    return true;
  });
}

describe('webrtc.turn', () => {
  it('reads the secret from secretFile, secretEnv or secret; defaults: an hour, the server uses TURN too', () => {
    for (const source of [{ secretFile: '/run/secrets/turn' }, { secretEnv: 'TURN_SECRET' }, { secret: SECRET }]) {
      const config = load({ turn: { urls: ['turn:turn.example:3478?transport=udp'], ...source } });
      assert.equal(config.webrtc.turn?.secret, SECRET);
      assert.equal(config.webrtc.turn?.ttlSeconds, 3600);
      assert.equal(config.webrtc.turn?.forServer, true);
      assert.equal(config.webrtc.iceTransportPolicy, undefined);
      assert.deepEqual(turnRestOf(config.webrtc.turn)?.toJSON(), { urls: ['turn:turn.example:3478?transport=udp'], ttlSeconds: 3600 });
    }
  });

  it('refuses a missing, short or doubly given secret, an unreadable file and bad URLs, naming the field', () => {
    const urls = ['turn:turn.example'];
    refused(() => load({ turn: { urls } }), /webrtc\.turn: the TURN server's shared secret is missing: give secretFile, secretEnv or secret/);
    refused(() => load({ turn: { urls, secret: 'short-secret' } }), /webrtc\.turn\.secret: at least 16 characters/);
    refused(() => load({ turn: { urls, secretEnv: 'EMPTY' } }), /webrtc\.turn: secretEnv: the environment variable EMPTY is empty/);
    refused(() => load({ turn: { urls, secretFile: '/nope' } }), /webrtc\.turn: secretFile \/nope cannot be read: no such file/);
    refused(() => load({ turn: { urls, secret: SECRET, secretEnv: 'TURN_SECRET' } }), /give one of secret, secretFile and secretEnv, not secret and secretEnv/);
    refused(() => load({ turn: { urls: [], secret: SECRET } }), /webrtc\.turn\.urls: at least one TURN URL/);
    refused(() => load({ turn: { urls: ['stun:stun.example'], secret: SECRET } }), /webrtc\.turn\.urls\.0: a TURN URL is turn:/);
    refused(() => load({ turn: { urls: ['turn:a.example>; rel=x'], secret: SECRET } }), /webrtc\.turn\.urls\.0/);
    refused(() => load({ turn: { urls, secret: SECRET, ttlSeconds: 5 } }), /webrtc\.turn\.ttlSeconds/);
    refused(() => load({ iceTransportPolicy: 'public' }), /webrtc\.iceTransportPolicy/);
  });

  it('webrtc.iceServers: browsers get them too, so a TURN entry needs its credential and every URL must be one', () => {
    assert.deepEqual(load({ iceServers: [{ urls: 'stun:stun.example:3478' }, { urls: ['turn:t.example'], username: 'u', credential: 'p' }] }).webrtc.iceServers.length, 2);
    refused(() => load({ iceServers: [{ urls: 'turn:t.example' }] }), /webrtc\.iceServers\.0: a TURN server needs username and credential/);
    refused(() => load({ iceServers: [{ urls: 'http://stun.example' }] }), /webrtc\.iceServers\.0\.urls/);
  });

  it('--turn, --turn-secret-env and --ice-transport-policy give the same section; no flag takes the secret itself', () => {
    const config = loadConfig(configFromFlags(flags(['--turn', 'turn:t.example:3478', '--turn', 'turns:t.example:5349', '--turn-secret-env', 'TURN_SECRET', '--ice-transport-policy', 'relay'])), sources);
    assert.deepEqual(config.webrtc.turn?.urls, ['turn:t.example:3478', 'turns:t.example:5349']);
    assert.equal(config.webrtc.turn?.secret, SECRET);
    assert.equal(config.webrtc.iceTransportPolicy, 'relay');
    assert.throws(() => flags(['--turn-secret', SECRET]));
    assert.throws(() => flags(['--ice-transport-policy', 'nohost']));
  });

  it("the file's section passes through the flags; a flag replaces only what it names", () => {
    const file = parseConfigText(`webrtc:\n  turn:\n    urls: [turn:file.example]\n    secret: ${SECRET}\n    ttlSeconds: 600\n  iceTransportPolicy: relay\n`);
    const fromFile = loadConfig(configFromFlags(flags([]), file), sources);
    assert.deepEqual(fromFile.webrtc.turn?.urls, ['turn:file.example']);
    assert.equal(fromFile.webrtc.turn?.ttlSeconds, 600);
    assert.equal(fromFile.webrtc.iceTransportPolicy, 'relay');
    const overridden = loadConfig(configFromFlags(flags(['--turn', 'turn:flag.example', '--turn-secret-file', '/run/secrets/turn', '--ice-transport-policy', 'all']), file), sources);
    assert.deepEqual(overridden.webrtc.turn?.urls, ['turn:flag.example']);
    assert.equal(overridden.webrtc.turn?.ttlSeconds, 600);
    assert.equal(overridden.webrtc.turn?.secret, SECRET, "the file's secret gave way to --turn-secret-file (both would be refused)");
    assert.equal(overridden.webrtc.iceTransportPolicy, 'all');
  });
});
