// Property tests for the configuration (server/src/config/configFile.ts + Config.ts) and `--camera`
// (server/src/cli/index.ts): what a user writes comes through unchanged, anything else is refused
// with ERR_CONFIG_INVALID, and a refusal never prints a camera password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfigText } from '../../../server/src/config/configFile.js';
import { loadConfig, parseCameraFlag, TRANSPORTS, type Config } from '../../../server/src/config/Config.js';
import { buildProgram, configFromFlags, type ServeFlags } from '../../../server/src/cli/index.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { assertFast, runs } from '../../helpers/property.js';

const SECRET_MARK = 'Zq7';
/** A password a user may well pick: letters, digits and URL-safe punctuation, plus the marker. */
const secret = fc.stringMatching(/^[A-Za-z0-9!$*+,;=._~-]{3,12}$/).map((s) => SECRET_MARK + s);
const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/).filter((n) => !n.includes(SECRET_MARK));
const host = fc.constantFrom('192.0.2.10', 'cam.local', '[2001:db8::1]', 'cam.local:8554');
const cameraUrl = fc.tuple(fc.constantFrom('rtsp', 'rtsps'), fc.option(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), secret)), host, fc.constantFrom('', '/', '/Streaming/Channels/101', '/live?subtype=0'))
  .map(([s, cred, h, p]) => `${s}://${cred ? `${cred[0]}:${cred[1]}@` : ''}${h}${p}`);

/** Silences and collects the YAML library's warnings (process warnings) while `fn` runs. */
function withWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((w: string | Error) => void warnings.push(String(w))) as typeof process.emitWarning;
  try {
    return { result: fn(), warnings };
  } finally {
    process.emitWarning = original;
  }
}

/** parseConfigText then loadConfig: a frozen Config, or the thrown error (which must be ERR_CONFIG_INVALID). */
function load(text: string): Config | CamrtcError {
  try {
    return loadConfig(parseConfigText(text));
  } catch (err) {
    assert.ok(err instanceof CamrtcError && err.code === 'ERR_CONFIG_INVALID', `unexpected ${String(err)}`);
    return err;
  }
}

const cameraEntry = fc.oneof(
  cameraUrl,
  fc.record({ url: cameraUrl, transport: fc.constantFrom(...TRANSPORTS), username: fc.string({ maxLength: 10 }), password: secret, tlsInsecure: fc.boolean(), preload: fc.boolean(), idleTimeoutMs: fc.nat(100_000), recording: fc.boolean() }, { requiredKeys: ['url'] }),
);
const settings = fc.record({
  port: fc.integer({ min: 0, max: 65535 }),
  host: fc.constantFrom('0.0.0.0', '127.0.0.1', '::'),
  logLevel: fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  cameras: fc.dictionary(name.filter((n) => n !== '__proto__'), cameraEntry, { maxKeys: 4 }),
  allowedOrigins: fc.array(fc.constantFrom('https://intranet.example', 'http://10.0.0.1:8080'), { maxLength: 2 }),
}, { requiredKeys: [] });

test('a configuration written as YAML or JSON is read back as written', () => {
  fc.assert(fc.property(settings, fc.boolean(), (s, json) => {
    const { result: config } = withWarnings(() => load(json ? JSON.stringify(s) : stringify(s)));
    assert.ok(!(config instanceof CamrtcError), String(config));
    for (const key of ['port', 'host', 'logLevel'] as const) if (s[key] !== undefined) assert.equal(config[key], s[key]);
    assert.deepEqual(config.allowedOrigins, s.allowedOrigins ?? []);
    const cams = Object.entries(s.cameras ?? {});
    assert.deepEqual(config.cameras.map((c) => c.name), cams.map(([n]) => n));
    cams.forEach(([, entry], i) => {
      const c = config.cameras[i];
      if (typeof entry === 'string') return assert.equal(c.url, entry);
      for (const [k, v] of Object.entries(entry)) assert.deepEqual(c[k as keyof typeof c], v, k);
    });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.cameras));
  }), { numRuns: runs(1000) });
});

test('arbitrary text is a configuration or an ERR_CONFIG_INVALID, never another error', () => {
  const line = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('cameras:', '  front: rtsp://h/', '  - x', 'port: 99999', 'port: "8080"', 'demo: yes', '&a [*a]', '*b', '!!js/function x', '<<: *a', 'cameras: [1]', '  yard: {url: 1}', '? complex', '--- ', '%YAML 1.1', 'cameras: {__proto__: {url: rtsp://h/}}'));
  fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
    withWarnings(() => load(lines.join('\n')));
  }), { numRuns: runs(3000) });
});

test('a refused configuration never prints the camera password (in the URL or in password:)', () => {
  // A valid file with one thing broken: a bad setting, value, type or YAML syntax.
  const breakage = fc.constantFrom('port: -1', 'transport: carrier-pigeon', 'idleTimeoutMs: soon', 'tlsInsecure: maybe', 'colour: blue', 'cameras: 3', 'url: 42',
    'password: [1, 2]', 'bad yaml: [unclosed', 'x: "unterminated', '\t- tab', 'dup: 1\ndup: 2');
  fc.assert(fc.property(name, cameraUrl, secret, breakage, fc.boolean(), (n, url, pw, broken, nested) => {
    const text = nested
      ? `cameras:\n  ${n}:\n    url: ${url}\n    password: ${pw}\n    ${broken.replace('\n', '\n    ')}\n`
      : `${broken}\ncameras:\n  ${n}: ${url}\n  other:\n    url: rtsp://192.0.2.1/\n    password: ${pw}\n`;
    const { result } = withWarnings(() => load(text));
    if (!(result instanceof CamrtcError)) return;
    for (const s of [pw, ...(url.match(/Zq7[^@]*/g) ?? [])]) assert.ok(!result.message.includes(s), `${JSON.stringify(s)} in: ${result.message}`);
  }), { numRuns: runs(2000) });
});

test('YAML warnings never echo a password line', () => {
  fc.assert(fc.property(secret, (pw) => {
    const { warnings } = withWarnings(() => load(`cameras:\n  front:\n    url: rtsp://192.0.2.10/\n    password: !!str ${pw} # x\n    user: !unknown ${pw}\n`));
    for (const w of warnings) assert.ok(!w.includes(pw), w);
  }), { numRuns: runs(100) });
});

test('files made to be slow to read (alias bombs, deep nesting, a 1 MiB scalar) are read or refused in bounded time', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
  const mib = 1024 * 1024 - 64;
  for (const [label, text] of [['alias bomb', bomb], ['deep flow nesting', '['.repeat(5000) + ']'.repeat(5000)], ['1 MiB of one scalar', 'x: ' + 'y'.repeat(mib)],
    // Not 1 MiB of keys: the yaml library's duplicate-key check is quadratic (65 000 keys take ~90 s).
    ['64 KiB of keys', Array.from({ length: 4096 }, (_, i) => `k${i}: ${i}`).join('\n')], ['64 KiB of cameras', 'cameras:\n' + Array.from({ length: 1600 }, (_, i) => `  c${i}: rtsp://192.0.2.1/${i}`).join('\n')]] as const) {
    assertFast(label, 5000, () => withWarnings(() => load(text)));
  }
});

// ---- --camera NAME=URL ---------------------------------------------------------------------------

/** Parses argv like the real CLI (without serving) and returns the loaded config or the error. */
function fromArgv(argv: string[]): Config | CamrtcError {
  const program = buildProgram().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  let config: Config | CamrtcError | undefined;
  program.action((flags: ServeFlags, command) => {
    try {
      config = loadConfig(configFromFlags(flags, {}, (f) => command.getOptionValueSource(f)));
    } catch (err) {
      assert.ok(err instanceof CamrtcError && err.code === 'ERR_CONFIG_INVALID', `unexpected ${String(err)}`);
      config = err;
    }
  });
  program.parse(['node', 'camrtc', ...argv]);
  return config!;
}

test('--camera NAME=URL, repeated, serves those cameras with those URLs', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(name, cameraUrl), { minLength: 1, maxLength: 4, selector: ([n]) => n }), fc.boolean(), (cams, joined) => {
    const argv = cams.flatMap(([n, u]) => (joined ? [`--camera=${n}=${u}`] : ['--camera', `${n}=${u}`]));
    const config = fromArgv(argv);
    assert.ok(!(config instanceof CamrtcError), String(config));
    assert.deepEqual(config.cameras.map((c) => [c.name, c.url]), cams);
  }), { numRuns: runs(500) });
});

test('parseCameraFlag splits at the first "=", or refuses without printing the password', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (value) => {
    let r: { name: string; url: string };
    try {
      r = parseCameraFlag(value);
    } catch (err) {
      assert.ok(err instanceof CamrtcError && err.code === 'ERR_CONFIG_INVALID');
      assert.ok(value.indexOf('=') <= 0);
      return;
    }
    assert.equal(`${r.name}=${r.url}`, value);
    assert.ok(r.name.length > 0 && !r.name.includes('='));
  }), { numRuns: runs(3000) });
  fc.assert(fc.property(cameraUrl.filter((u) => !u.includes('=')), secret.filter((pw) => !pw.includes('=')), (url, pw) => {
    // Forgot the NAME=: the URL (with its password) is in the error, redacted.
    const withPw = url.replace(/^(rtsps?:\/\/)(?:[^@]*@)?/, `$1admin:${pw}@`);
    try {
      parseCameraFlag(withPw);
    } catch (err) {
      assert.ok(!(err as Error).message.includes(pw), (err as Error).message);
      return;
    }
    assert.fail('a URL alone is not NAME=URL');
  }), { numRuns: runs(1000) });
});

test('arbitrary --camera values give cameras or ERR_CONFIG_INVALID, and never print a password', () => {
  const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.tuple(fc.string({ maxLength: 10 }), cameraUrl).map(([n, u]) => `${n}=${u}`), cameraUrl);
  fc.assert(fc.property(value, (v) => {
    const result = fromArgv([`--camera=${v}`]);
    const secrets = v.match(/Zq7[^@/]*/g) ?? [];
    if (result instanceof CamrtcError) for (const s of secrets) assert.ok(!result.message.includes(s), result.message);
  }), { numRuns: runs(2000) });
});
