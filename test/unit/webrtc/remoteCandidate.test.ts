/**
 * The grammar check of remote ICE candidates (RFC 8839 5.1): what browsers send passes, and a
 * candidate broken in any one field is refused with that field named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { candidateProblem } from '../../../server/src/webrtc/remoteCandidate.js';

const BROWSER_CANDIDATES = [
  // Chrome: host, mDNS host, TCP, server reflexive, relay, IPv6
  'candidate:3885250869 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 ufrag Xa1b network-id 1',
  'candidate:1 1 udp 2122260223 6f1c5a5e-8b7a-4f8e-9d3c-2b9f7d1e0a11.local 54321 typ host generation 0',
  'candidate:1t2 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0 network-id 1',
  'candidate:842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0',
  'candidate:9 1 udp 41885439 198.51.100.3 3478 typ relay raddr 0.0.0.0 rport 0',
  'candidate:2 1 udp 2122262783 2001:db8::1 54322 typ host generation 0',
  // Firefox, with and without the prefix (WHEP fragments and some libraries drop it)
  'candidate:0 1 UDP 2122252543 192.168.1.20 50000 typ host',
  '0 1 UDP 2122252543 192.168.1.20 50000 typ host',
  'candidate:4 1 TCP 2105524479 192.168.1.20 9 typ host tcptype passive',
];

describe('candidateProblem', () => {
  it('browser candidates pass', () => {
    for (const candidate of BROWSER_CANDIDATES) assert.equal(candidateProblem(candidate), undefined, candidate);
  });

  it('a broken field is named', () => {
    const cases: [string, RegExp][] = [
      ['garbage', /^it has 1 fields, a candidate has at least 8/],
      ['candidate:', /^it has 1 fields/],
      ['candidate:1 1 udp 1 999.1.1.1 5000 typ host', /^its address '999\.1\.1\.1' is not an IPv4 address$/],
      ['candidate:1 1 udp 1 10.0.0.1 70000 typ host', /^its port '70000' is not a number from 0 to 65535$/],
      ['candidate:1 1 udp 1 2001:db8::zz 5000 typ host', /^its address '2001:db8::zz' is not an IPv6 address$/],
      ['candidate:1 1 udp 1 <script> 5000 typ host', /^its address '<script>' is not an IP address or a host name$/],
      ['candidate:1 0 udp 1 10.0.0.1 5000 typ host', /^its component id '0' is not a number from 1 to 256$/],
      ['candidate:1 1 udp 99999999999 10.0.0.1 5000 typ host', /^its priority '99999999999' is not a number from 0 to 2\^32-1$/],
      ['candidate:1 1 udp 4294967296 10.0.0.1 5000 typ host', /^its priority/],
      ['candidate:!! 1 udp 1 10.0.0.1 5000 typ host', /^its foundation is not/],
      ['candidate:1 1 u"dp 1 10.0.0.1 5000 typ host', /^its transport 'u"dp' is not a token/],
      ['candidate:1 1 udp 1 10.0.0.1 5000 type host', /^'typ' is missing after the port \(found 'type'\)$/],
      ['candidate:1 1 udp 1 10.0.0.1 5000 typ host raddr', /^its extension attributes are not name-value pairs$/],
      ['candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr 300.0.0.1 rport 1', /^raddr: its address '300\.0\.0\.1' is not an IPv4 address$/],
      ['candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr 10.0.0.2 rport -1', /^its rport '-1' is not a number/],
      [`candidate:1 1 udp 1 ${'a'.repeat(300)} 5000 typ host`, /^its address 'a{40}…' is not an IP address or a host name$/],
    ];
    for (const [candidate, problem] of cases) assert.match(candidateProblem(candidate) ?? 'accepted', problem, candidate);
  });

  it('generated candidates pass; the same with a port past 65535 or an IPv4 octet past 255 do not', () => {
    const foundation = fc.string({ minLength: 1, maxLength: 32, unit: fc.constantFrom(...'abcXYZ0189+/') });
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    const candidate = fc.record({
      foundation,
      component: fc.integer({ min: 1, max: 256 }),
      transport: fc.constantFrom('udp', 'UDP', 'tcp', 'TCP'),
      priority: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      address: fc.oneof(ipv4, fc.ipV6(), fc.uuid().map((u) => `${u}.local`)),
      port: fc.integer({ min: 0, max: 65535 }),
      type: fc.constantFrom('host', 'srflx', 'prflx', 'relay'),
      extensions: fc.array(fc.tuple(fc.constantFrom('generation', 'network-id', 'ufrag', 'tcptype'), fc.constantFrom('0', '1', 'Xa1b', 'active')), { maxLength: 3 }),
      prefix: fc.boolean(),
    });
    const text = (c: { foundation: string; component: number; transport: string; priority: number; address: string; port: number | string; type: string; extensions: [string, string][]; prefix: boolean }): string =>
      `${c.prefix ? 'candidate:' : ''}${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}${c.extensions.map(([n, v]) => ` ${n} ${v}`).join('')}`;
    fc.assert(fc.property(candidate, fc.integer({ min: 65536, max: 10_000_000 }), fc.integer({ min: 256, max: 999 }), (c, badPort, badOctet) => {
      assert.equal(candidateProblem(text(c)), undefined, text(c));
      assert.match(candidateProblem(text({ ...c, port: badPort })) ?? 'accepted', /^its port/);
      assert.match(candidateProblem(text({ ...c, address: `10.${badOctet}.0.1` })) ?? 'accepted', /is not an IPv4 address$/);
    }), { numRuns: 1000 });
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const problem = candidateProblem(s);
      assert.ok(problem === undefined || problem.length < 300);
    }), { numRuns: 1000 });
  });
});
