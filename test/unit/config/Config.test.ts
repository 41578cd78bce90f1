import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseCameraFlag } from '../../../server/src/config/Config.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { buildProgram, configFromFlags, type ServeFlags } from '../../../server/src/cli/index.js';
import { parseConfigText } from '../../../server/src/config/configFile.js';

function flags(argv: string[]): ServeFlags {
  const program = buildProgram().exitOverride();
  program.action(() => undefined);
  program.parse(['node', 'camrtc', ...argv]);
  return program.opts() as ServeFlags;
}

describe('configuration', () => {
  it('defaults: port 8080 on every interface, no cameras, demo decided later', () => {
    const config = loadConfig(configFromFlags(flags([])));
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.deepEqual(config.cameras, []);
    assert.equal(config.demo, undefined);
  });

  it('--camera NAME=URL is repeatable and keeps the URL whole (query and = signs)', () => {
    const config = loadConfig(configFromFlags(flags(['--camera', 'front=rtsp://u:p@192.0.2.10/stream1?a=b', '-c', 'yard=rtsp://192.0.2.11/x', '--port', '9000', '--host', '127.0.0.1', '--rtsp-transport', 'udp'])));
    assert.deepEqual(config.cameras.map((c) => [c.name, c.url, c.transport]), [
      ['front', 'rtsp://u:p@192.0.2.10/stream1?a=b', 'udp'],
      ['yard', 'rtsp://192.0.2.11/x', 'udp'],
    ]);
    assert.equal(config.port, 9000);
    assert.equal(config.host, '127.0.0.1');
  });

  it('the config is frozen after validation', () => {
    const config = loadConfig({ cameras: [{ name: 'a', url: 'rtsp://h/x' }] });
    assert.throws(() => ((config.cameras[0] as { url: string }).url = 'rtsp://evil/'), TypeError);
  });

  it('a camera flag without = is a clear error', () => {
    assert.throws(() => parseCameraFlag('rtsp://192.0.2.10/x'), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID' && /NAME=URL/.test(e.message));
  });

  it('an http:// URL is refused, and the password in it is not repeated in the error', () => {
    assert.throws(
      () => loadConfig({ cameras: [{ name: 'cam', url: 'http://admin:hunter22@192.0.2.1/x' }] }),
      (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID' && /rtsp:\/\//.test(e.message) && !e.message.includes('hunter22'),
    );
  });

  it('duplicate camera names are refused', () => {
    assert.throws(() => loadConfig({ cameras: [{ name: 'a', url: 'rtsp://h/1' }, { name: 'a', url: 'rtsp://h/2' }] }), /configured twice/);
  });

  it('camera names that could break a URL path are refused', () => {
    assert.throws(() => loadConfig({ cameras: [{ name: '../x', url: 'rtsp://h/1' }] }), /camera names/);
  });

  it('an invalid port on the command line is refused by the parser', () => {
    assert.throws(() => flags(['--port', '70000']));
  });
});

describe('TLS settings (--tls-cert, --tls-key, tls: in the configuration file)', () => {
  const invalid = (fn: () => unknown, message: string): void =>
    assert.throws(fn, (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID' && e.message === message);

  it('neither: plain HTTP (no tls)', () => {
    assert.equal(loadConfig(configFromFlags(flags([]))).tls, undefined);
  });

  it('both flags: the two files', () => {
    const config = loadConfig(configFromFlags(flags(['--tls-cert', '/etc/camrtc/cert.pem', '--tls-key', '/etc/camrtc/key.pem'])));
    assert.deepEqual(config.tls, { cert: '/etc/camrtc/cert.pem', key: '/etc/camrtc/key.pem' });
  });

  it('--tls-cert without --tls-key is refused, naming the missing flag', () => {
    invalid(
      () => loadConfig(configFromFlags(flags(['--tls-cert', 'cert.pem']))),
      "invalid configuration: tls.key: missing: HTTPS needs the certificate's private key too (--tls-key FILE, or tls.key in the configuration file)",
    );
  });

  it('--tls-key without --tls-cert is refused, naming the missing flag', () => {
    invalid(
      () => loadConfig(configFromFlags(flags(['--tls-key', 'key.pem']))),
      'invalid configuration: tls.cert: missing: HTTPS needs the certificate too (--tls-cert FILE, or tls.cert in the configuration file)',
    );
  });

  it('the configuration file alone: tls: { cert, key }; only one of them is refused', () => {
    const config = loadConfig(configFromFlags(flags([]), parseConfigText('tls:\n  cert: /c.pem\n  key: /k.pem\n')));
    assert.deepEqual(config.tls, { cert: '/c.pem', key: '/k.pem' });
    invalid(() => loadConfig(configFromFlags(flags([]), parseConfigText('tls: { cert: /c.pem }'))), "invalid configuration: tls.key: missing: HTTPS needs the certificate's private key too (--tls-key FILE, or tls.key in the configuration file)");
    invalid(() => loadConfig(parseConfigText('tls: /c.pem')), 'invalid configuration: tls: expected the two files, as in tls: { cert: FILE, key: FILE }');
    invalid(() => loadConfig(parseConfigText("tls: { cert: '', key: /k.pem }")), 'invalid configuration: tls.cert: expected a file name (--tls-cert FILE)');
    invalid(() => loadConfig(parseConfigText('tls: { cert: /c.pem, key: /k.pem, ca: /ca.pem }')), 'invalid configuration: tls: Unrecognized key: "ca"');
  });

  it('a flag overrides its setting in the file and keeps the other', () => {
    const file = parseConfigText('tls: { cert: /old/cert.pem, key: /old/key.pem }');
    const config = loadConfig(configFromFlags(flags(['--tls-cert', '/new/cert.pem']), file));
    assert.deepEqual(config.tls, { cert: '/new/cert.pem', key: '/old/key.pem' });
    const completed = loadConfig(configFromFlags(flags(['--tls-key', '/k.pem']), parseConfigText('tls: { cert: /c.pem }')));
    assert.deepEqual(completed.tls, { cert: '/c.pem', key: '/k.pem' });
  });
});
