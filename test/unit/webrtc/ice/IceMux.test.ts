import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CamrtcError } from '../../../../server/src/errors.js';
import { silentLogger } from '../../../../server/src/log/logger.js';
import { bindAddresses, IceMux } from '../../../../server/src/webrtc/ice/IceMux.js';

const logger = silentLogger();

describe('IceMux: where the WebRTC ports bind and what each viewer announces', () => {
  it('binds the one host address of a family, the wildcard for several or none', () => {
    assert.deepEqual(bindAddresses(['192.168.1.5'], true), [{ family: 4, address: '192.168.1.5', required: true }]);
    assert.deepEqual(bindAddresses(['192.168.1.5', '10.0.0.5'], false), [{ family: 4, address: '0.0.0.0', required: true }]);
    assert.deepEqual(bindAddresses(['192.168.1.5', '2001:db8::5'], false), [
      { family: 4, address: '192.168.1.5', required: true },
      { family: 6, address: '2001:db8::5', required: true },
    ]);
    assert.deepEqual(bindAddresses([], true), [
      { family: 4, address: '0.0.0.0', required: true },
      { family: 6, address: '::', required: false },
    ]);
    assert.deepEqual(bindAddresses([], false), [{ family: 4, address: '0.0.0.0', required: true }]);
  });

  it('a session announces the host address, then the announced ones, on the same ports; a unique 16-digit ufrag each', async () => {
    const mux = (await IceMux.start({ udpPort: 0, tcpPort: 0, hostAddresses: ['127.0.0.1'], announcedAddresses: ['127.0.0.2', '2001:db8::9'], logger }))!;
    try {
      const a = mux.register('password-a');
      const b = mux.register('password-b');
      assert.match(a.ufrag, /^[0-9a-f]{16}$/);
      assert.notEqual(a.ufrag, b.ufrag);
      assert.deepEqual(a.udp.map((u) => [u.family, u.port, u.addresses]), [[4, mux.udpPort, ['127.0.0.1', '127.0.0.2']]]);
      assert.deepEqual(a.tcp.map((t) => [t.family, t.port, t.addresses]), [[4, mux.tcpPort, ['127.0.0.1', '127.0.0.2']]]);
      assert.equal(mux.stats.sessions, 2);
      a.close();
      a.close();
      assert.equal(mux.stats.sessions, 1);
    } finally {
      await mux.close();
    }
    assert.equal(mux.stats.sessions, 0);
  });

  it('announceInterfaces: false announces only the announced addresses', async () => {
    const mux = (await IceMux.start({ udpPort: 0, tcpPort: 'off', hostAddresses: ['127.0.0.1'], announcedAddresses: ['127.0.0.2'], announceInterfaces: false, logger }))!;
    try {
      assert.deepEqual(mux.register('pw').udp[0].addresses, ['127.0.0.2']);
      assert.equal(mux.tcpPort, undefined);
    } finally {
      await mux.close();
    }
  });

  it('both ports off: no mux; a port in use stops the start naming the flag', async () => {
    assert.equal(await IceMux.start({ udpPort: 'off', tcpPort: 'off', logger }), undefined);
    const first = (await IceMux.start({ udpPort: 0, tcpPort: 'off', hostAddresses: ['127.0.0.1'], logger }))!;
    try {
      await assert.rejects(
        IceMux.start({ udpPort: first.udpPort!, tcpPort: 'off', hostAddresses: ['127.0.0.1'], logger }),
        (err: unknown) => err instanceof CamrtcError && err.code === 'ERR_CONFIG_INVALID' && /already in use.*--webrtc-udp-port/.test(err.message),
      );
    } finally {
      await first.close();
    }
  });
});
