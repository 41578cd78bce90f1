// The RTSP restream's settings: on by default at 8554 like MediaMTX, any free port when the HTTP
// port is 0 (tests, several servers on one machine), --rtsp-port and --no-rtsp over the file's rtsp.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RTSP_PORT, loadConfig, rtspPortOf } from '../../../server/src/config/Config.js';
import { buildProgram, configFromFlags, type ServeFlags } from '../../../server/src/cli/index.js';
import { parseConfigText } from '../../../server/src/config/configFile.js';

/** The flags and where commander says each value came from, as `camrtc` itself passes them. */
function parse(argv: string[]): { flags: ServeFlags; source: (flag: keyof ServeFlags) => string | undefined } {
  const program = buildProgram().exitOverride().configureOutput({ writeErr: () => undefined });
  program.action(() => undefined);
  program.parse(['node', 'camrtc', ...argv]);
  return { flags: program.opts() as ServeFlags, source: (flag) => program.getOptionValueSource(flag) };
}

function configOf(argv: string[], file = ''): ReturnType<typeof loadConfig> {
  const { flags, source } = parse(argv);
  return loadConfig(configFromFlags(flags, parseConfigText(file), source));
}

describe('rtsp restream settings', () => {
  it('on by default, at 8554; at any free port when the HTTP port is 0', () => {
    const config = configOf([]);
    assert.deepEqual(config.rtsp, { enabled: true });
    assert.equal(rtspPortOf(config), DEFAULT_RTSP_PORT);
    assert.equal(rtspPortOf(configOf(['--port', '0'])), 0);
    assert.equal(rtspPortOf(configOf(['--port', '0', '--rtsp-port', '9554'])), 9554);
  });

  it('--rtsp-port and --no-rtsp; the file\'s rtsp section, each flag overriding its own setting', () => {
    assert.equal(rtspPortOf(configOf(['--rtsp-port', '10554'])), 10554);
    assert.equal(configOf(['--no-rtsp']).rtsp.enabled, false);
    const file = 'rtsp: { port: 7554, enabled: true }\n';
    assert.deepEqual(configOf([], file).rtsp, { enabled: true, port: 7554 });
    assert.deepEqual(configOf(['--no-rtsp'], file).rtsp, { enabled: false, port: 7554 });
    assert.deepEqual(configOf(['--rtsp-port', '6554'], 'rtsp: { enabled: false }\n').rtsp, { enabled: false, port: 6554 });
  });

  it('a port out of range or an unknown key is refused, naming the setting', () => {
    assert.throws(() => loadConfig({ rtsp: { port: 70000 } }), /rtsp\.port/);
    assert.throws(() => loadConfig({ rtsp: { tls: true } } as never), /rtsp: Unrecognized key: "tls"/);
    assert.throws(() => parse(['--rtsp-port', 'x']), /expected a port number/);
  });
});
