import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
});
