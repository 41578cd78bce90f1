import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostOfHeader, KnownHosts, unknownHostMessage } from '../../../server/src/http/knownHosts.js';
import { AddressCounter, clientKey } from '../../../server/src/http/ClientAddresses.js';

describe('Host header parsing', () => {
  const cases: [string, string | undefined][] = [
    ['localhost:8080', 'localhost'],
    ['Cams.Example.ORG.', 'cams.example.org'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:8080', '::1'],
    ['[::1]', '::1'],
    ['[fe80::1]x', undefined],
    ['[not-an-ip]:80', undefined],
    ['evil.example:port', undefined],
    ['evil<script>', undefined],
    ['a..b', undefined],
    ['', undefined],
    ['x'.repeat(300), undefined],
  ];
  for (const [header, host] of cases) {
    it(`${JSON.stringify(header.slice(0, 40))} -> ${host}`, () => assert.equal(hostOfHeader(header), host));
  }
});

describe('KnownHosts', () => {
  const hosts = new KnownHosts({ publicNames: ['cams.example.org'], hostname: 'nas', bindHost: 'camera-box' });
  it('knows loopback names, IP literals, the hostname, the bound name and configured names', () => {
    for (const h of ['localhost:1', 'app.localhost', '127.0.0.1', '127.9.9.9:80', '[::1]:80', '192.168.1.20:8080', 'nas:8080', 'NAS.local', 'camera-box', 'cams.example.org:443', 'Cams.Example.Org.']) {
      assert.equal(hosts.allows(h), true, h);
    }
  });
  it('refuses every other name: what a rebinding page sends', () => {
    for (const h of ['evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io', 'example.org', 'nas.evil.example', 'sub.cams.example.org', '']) {
      assert.equal(hosts.allows(h), false, h);
    }
  });
  it('a request without Host is not from a browser and is allowed; `*` allows any name', () => {
    assert.equal(hosts.allows(undefined), true);
    assert.equal(new KnownHosts({ publicNames: ['*'], hostname: 'nas' }).allows('evil.example'), true);
  });
  it('the refusal names the setting to add', () => {
    assert.match(unknownHostMessage('Evil.Example:8080'), /'evil\.example'.*--public-name evil\.example \(publicNames in the config file\)/);
    assert.match(unknownHostMessage('<b>'), /this Host header.*--public-name NAME/);
  });
});

describe('client addresses', () => {
  it('IPv4-mapped addresses count as IPv4; IPv6 by /64', () => {
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('2001:db8:1:2::5'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey(undefined), 'unknown');
  });
  it('AddressCounter refuses past the limit per address and takes each slot back once', () => {
    const counter = new AddressCounter(2);
    const a = counter.acquire('192.0.2.1')!;
    const b = counter.acquire('::ffff:192.0.2.1')!;
    assert.equal(counter.acquire('192.0.2.1'), undefined);
    assert.ok(counter.acquire('192.0.2.2'), 'another address has its own slots');
    a();
    a();
    assert.equal(counter.count('192.0.2.1'), 1, 'a slot given back twice counts once');
    assert.ok(counter.acquire('192.0.2.1'));
    b();
    assert.equal(counter.count('192.0.2.1'), 1);
  });
});
