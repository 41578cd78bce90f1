import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildProgram, configFromFlags, type ServeFlags } from '../../../server/src/cli/index.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { parseConfigText } from '../../../server/src/config/configFile.js';

function flags(argv: string[]): ServeFlags {
  const program = buildProgram().exitOverride();
  program.action(() => undefined);
  program.parse(['node', 'camrtc', ...argv]);
  return program.opts() as ServeFlags;
}

/** As `camrtc` runs: commander says which flags were typed. */
function fromCli(argv: string[], file = ''): ReturnType<typeof loadConfig> {
  const program = buildProgram().exitOverride();
  program.action(() => undefined);
  program.parse(['node', 'camrtc', ...argv]);
  return loadConfig(configFromFlags(program.opts() as ServeFlags, parseConfigText(file), (flag) => program.getOptionValueSource(flag)));
}

describe('configuration: the WebRTC ports', () => {
  it('defaults: UDP 8189 for every viewer, no TCP, the interfaces announced and nothing else', () => {
    const { webrtc } = loadConfig(configFromFlags(flags([])));
    assert.deepEqual(
      { udpPort: webrtc.udpPort, tcpPort: webrtc.tcpPort, announcedAddresses: webrtc.announcedAddresses, announceInterfaces: webrtc.announceInterfaces },
      { udpPort: 8189, tcpPort: 'off', announcedAddresses: [], announceInterfaces: true },
    );
    // A file or a library caller that says nothing about WebRTC gets the same.
    assert.equal(loadConfig({}).webrtc.udpPort, 8189);
    assert.equal(loadConfig({ webrtc: { iceHostAddresses: ['127.0.0.1'] } }).webrtc.udpPort, 8189);
  });

  it('flags: ports, off, repeated announced addresses, and interfaces not announced', () => {
    const { webrtc } = fromCli(['--webrtc-udp-port', '9000', '--webrtc-tcp-port', '9001', '--webrtc-announce', '203.0.113.7', '--webrtc-announce', '2001:db8::7', '--no-webrtc-announce-interfaces']);
    assert.equal(webrtc.udpPort, 9000);
    assert.equal(webrtc.tcpPort, 9001);
    assert.deepEqual(webrtc.announcedAddresses, ['203.0.113.7', '2001:db8::7']);
    assert.equal(webrtc.announceInterfaces, false);
    assert.equal(fromCli(['--webrtc-udp-port', 'off']).webrtc.udpPort, 'off');
    assert.equal(fromCli(['--webrtc-udp-port', '0']).webrtc.udpPort, 0);
  });

  it('the file sets them; a flag typed on the command line wins', () => {
    const file = 'webrtc:\n  udpPort: 8555\n  tcpPort: 8555\n  announcedAddresses: [192.168.1.10]\n  announceInterfaces: false\n';
    const fromFile = fromCli([], file).webrtc;
    assert.deepEqual([fromFile.udpPort, fromFile.tcpPort, fromFile.announcedAddresses, fromFile.announceInterfaces], [8555, 8555, ['192.168.1.10'], false]);
    const overridden = fromCli(['--webrtc-udp-port', '9000', '--webrtc-announce', '198.51.100.1'], file).webrtc;
    assert.deepEqual([overridden.udpPort, overridden.tcpPort, overridden.announcedAddresses], [9000, 8555, ['198.51.100.1']]);
    assert.equal(fromCli([], 'webrtc:\n  udpPort: off\n').webrtc.udpPort, 'off');
  });

  it('refused: a port out of range or a word other than off, a host name to announce, hiding the interfaces without the UDP port', () => {
    assert.throws(() => flags(['--webrtc-udp-port', '70000']));
    assert.throws(() => flags(['--webrtc-tcp-port', 'on']));
    assert.throws(() => loadConfig({ webrtc: { udpPort: 65536 } }), /webrtc\.udpPort: .*65535/);
    assert.throws(() => loadConfig({ webrtc: { announcedAddresses: ['cams.example.org'] } }), /webrtc\.announcedAddresses\.0: an IP address/);
    assert.throws(() => loadConfig({ webrtc: { udpPort: 'off', announceInterfaces: false } }), /announceInterfaces: false needs webrtc\.udpPort/);
  });
});
