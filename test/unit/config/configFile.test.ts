import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText, readConfigFile } from '../../../server/src/config/configFile.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { buildProgram, configFromFlags, type ServeFlags } from '../../../server/src/cli/index.js';

const FILE = `
port: 9000
logLevel: warn
cameras:
  front: rtsp://admin:secret@192.0.2.10/stream1
  yard:
    url: rtsps://192.0.2.11/live
    username: admin
    password: "p@ss:word"
    transport: tcp
    tlsInsecure: true
    readTimeoutMs: 20000
`;

function isConfigError(pattern: RegExp) {
  return (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID' && pattern.test(e.message);
}

/** Parses argv like the real CLI and returns the merged config input. */
function merged(argv: string[], fileText: string) {
  const program = buildProgram().exitOverride();
  let result: ReturnType<typeof configFromFlags> | undefined;
  program.action((flags: ServeFlags, command) => {
    result = configFromFlags(flags, parseConfigText(fileText), (f) => command.getOptionValueSource(f));
  });
  program.parse(['node', 'camrtc', ...argv]);
  return loadConfig(result!);
}

describe('configuration file', () => {
  it('cameras are a map from name to a URL or to options', () => {
    const config = loadConfig(parseConfigText(FILE));
    assert.equal(config.port, 9000);
    assert.deepEqual(config.cameras.map((c) => [c.name, c.transport, c.tlsInsecure ?? false]), [
      ['front', 'auto', false],
      ['yard', 'tcp', true],
    ]);
    assert.equal(config.cameras[1].password, 'p@ss:word');
    assert.equal(config.cameras[1].readTimeoutMs, 20000);
  });

  it('an empty file is an empty configuration', () => {
    assert.deepEqual(parseConfigText(''), {});
  });

  it('broken YAML says so, with the line', () => {
    assert.throws(() => parseConfigText('port: 8080\ncameras:\n  front: [unclosed\n'), isConfigError(/not valid YAML at line \d/));
  });

  it('a misspelt setting is refused instead of silently ignored', () => {
    assert.throws(() => loadConfig(parseConfigText('prot: 8080\n')), isConfigError(/prot/));
    assert.throws(() => loadConfig(parseConfigText('cameras:\n  a:\n    url: rtsp://h/x\n    pasword: x\n')), isConfigError(/pasword/));
  });

  it('cameras given as a list, or a camera without a URL, get a clear message', () => {
    assert.throws(() => parseConfigText('cameras:\n  - rtsp://h/x\n'), isConfigError(/maps camera names/));
    assert.throws(() => parseConfigText('cameras:\n  a: 12\n'), isConfigError(/camera 'a' needs a URL/));
  });

  it('a missing file names the path', () => {
    assert.throws(() => readConfigFile('/nonexistent/camrtc.yml'), isConfigError(/\/nonexistent\/camrtc\.yml: no such file/));
  });

  it('reads a file from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-config-'));
    try {
      writeFileSync(join(dir, 'camrtc.yml'), FILE);
      assert.equal(loadConfig(readConfigFile(join(dir, 'camrtc.yml'))).cameras.length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags given on the command line override the file; defaults do not; cameras add up', () => {
    const fromFile = merged([], FILE);
    assert.equal(fromFile.port, 9000, 'the default --port does not override the file');
    assert.equal(fromFile.logLevel, 'warn');
    const overridden = merged(['--port', '7000', '--rtsp-transport', 'udp', '--camera', 'door=rtsp://192.0.2.12/x'], FILE);
    assert.equal(overridden.port, 7000);
    assert.deepEqual(overridden.cameras.map((c) => [c.name, c.transport]), [
      ['front', 'udp'],
      ['yard', 'udp'],
      ['door', 'udp'],
    ]);
  });

  it('YAML errors and warnings say where and what, and never quote the line (it may hold a password)', () => {
    const broken: Array<[string, RegExp]> = [
      ['cameras:\n  yard:\n    password: |x hunter2\n', /at line 3, column 16: unexpected text: a value with special characters may need quotes \(YAML UNEXPECTED_TOKEN\)/],
      ['cameras:\n  yard:\n    password: "hun\\qter2"\n', /at line 3, column 19: a double-quoted value holds an invalid backslash escape/],
      ['cameras:\n  yard:\n    password: @hunter2\n', /at line 3, column 15: a value starts with a character YAML reserves/],
      ['cameras:\n  yard:\n    password: "hunter2\n', /a character is missing \(a closing quote/],
      ['cameras:\n  yard:\n    password: hunter2\n    password: hunter2\n', /at line 4, column 5: a key appears twice/],
      ['cameras:\n  yard:\n    url: rtsp://admin:hunter2@h/x\n   password: hunter2\n', /at line 4, column 1: the indentation does not line up/],
    ];
    const emitted: unknown[] = [];
    const onProcessWarning = (w: unknown) => emitted.push(w);
    process.on('warning', onProcessWarning);
    try {
      for (const [text, pattern] of broken) {
        assert.throws(() => parseConfigText(text, 'camrtc.yml'), (e: unknown) => {
          assert.ok(e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID');
          assert.match(e.message, /^camrtc\.yml is not valid YAML at line \d+, column \d+: /);
          assert.match(e.message, pattern);
          assert.ok(!e.message.includes('hunter2') && !e.message.includes('hun'), e.message);
          return true;
        });
      }
      const warnings: string[] = [];
      const input = parseConfigText('cameras:\n  yard:\n    url: rtsp://h/x\n    password: !secret hunter2\n', 'camrtc.yml', (w) => warnings.push(w));
      assert.equal(input.cameras?.length, 1);
      assert.deepEqual(warnings, ['camrtc.yml: at line 4, column 15: an unknown !tag (camrtc reads plain values: no tags) (YAML TAG_RESOLVE_FAILED)']);
    } finally {
      process.off('warning', onProcessWarning);
    }
    // Node prints process warnings on stderr: the yaml library must not emit its own (with the line).
    assert.deepEqual(emitted, []);
  });

  it('property: no error or warning about a configuration file ever contains a password written in it', () => {
    const password = fc.string({ unit: fc.constantFrom(...'Zq7#@:!&*|>%`"\'[]{},\\ '.split('')), minLength: 1, maxLength: 12 }).map((s) => `Zq7${s}Zq7`);
    // No line break: the password stays a value of its line (a key of its own would be named as a misspelt setting).
    const junk = fc.string({ unit: fc.constantFrom(...' \t:-[]{}"\'!&*|>#'.split('')), maxLength: 6 });
    fc.assert(
      fc.property(password, junk, junk, fc.boolean(), (pw, before, after, inUrl) => {
        const line = inUrl ? `url: ${before}rtsp://admin:${pw}@h/x${after}` : `url: rtsp://h/x\n    password: ${before}${pw}${after}`;
        const text = `port: 8080\ncameras:\n  yard:\n    ${line}\n`;
        const said: string[] = [];
        try {
          loadConfig(parseConfigText(text, 'camrtc.yml', (w) => said.push(w)));
        } catch (err) {
          said.push(err instanceof Error ? err.message : String(err));
        }
        for (const s of said) assert.ok(!s.includes('Zq7'), s);
      }),
      { numRuns: 500 },
    );
  });

  it('--password-file and --password-env give a camera its password, from the command line or the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-config-'));
    try {
      writeFileSync(join(dir, 'door.pw'), 'from-a-file\n');
      process.env.CAMRTC_TEST_YARD_PW = 'from-the-env';
      const config = merged(['--camera', 'door=rtsp://admin@192.0.2.12/x', '--password-file', `door=${join(dir, 'door.pw')}`, '--password-env', 'yard=CAMRTC_TEST_YARD_PW'], FILE);
      const byName = new Map(config.cameras.map((c) => [c.name, c]));
      assert.equal(byName.get('door')?.password, 'from-a-file');
      assert.equal(byName.get('yard')?.password, 'from-the-env', "the flag replaces the file's password");
      assert.equal(byName.get('front')?.password, undefined);
      assert.throws(() => merged(['--password-env', 'nobody=X'], FILE), isConfigError(/--password-env: no camera is named 'nobody'/));
      assert.throws(() => merged(['--password-file', 'door'], FILE), isConfigError(/--password-file expects CAMERA=FILE/));
    } finally {
      delete process.env.CAMRTC_TEST_YARD_PW;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
