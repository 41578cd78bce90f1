import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseTransports } from '../../../../server/src/rtsp/headers/Transport.js';
import { chooseTransport, freeChannels, type TransportCapabilities } from '../../../../server/src/rtsp/server/ServerTransport.js';

const caps = (extra: Partial<TransportCapabilities> = {}): TransportCapabilities => ({ trackIndex: 0, udp: true, usedChannels: new Set(), ...extra });
const offer = (header: string) => {
  const t = parseTransports(header);
  assert.ok(!(t instanceof CamrtcError), header);
  return t;
};

// One case table: what the client offers, what the server can do, what it grants.
const cases: Array<[string, string, Partial<TransportCapabilities>, unknown]> = [
  ['TCP with the channels asked for', 'RTP/AVP/TCP;unicast;interleaved=4-5', {}, { kind: 'tcp', interleaved: [4, 5] }],
  ['TCP without channels: 2 x track index', 'RTP/AVP/TCP;unicast', { trackIndex: 2 }, { kind: 'tcp', interleaved: [4, 5] }],
  ['TCP with taken channels: the next free pair', 'RTP/AVP/TCP;interleaved=0-1', { usedChannels: new Set([0, 1, 2, 3]) }, { kind: 'tcp', interleaved: [4, 5] }],
  ['UDP unicast', 'RTP/AVP;unicast;client_port=5000-5001', {}, { kind: 'udp', clientPort: [5000, 5001] }],
  ['UDP without client_port is refused', 'RTP/AVP;unicast', {}, undefined],
  ['UDP when the server has no UDP: the next alternative', 'RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=0-1', { udp: false }, { kind: 'tcp', interleaved: [0, 1] }],
  ['the client\'s order of preference', 'RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=0-1', {}, { kind: 'udp', clientPort: [5000, 5001] }],
  ['multicast without a group: refused', 'RTP/AVP;multicast', {}, undefined],
  ['multicast: the group, port + 2 x track', 'RTP/AVP;multicast', { trackIndex: 1, multicast: { group: '239.1.2.3', port: 5000 } }, { kind: 'multicast', group: '239.1.2.3', port: [5002, 5003], ttl: 0 }],
  ['multicast-only answers a UDP unicast request', 'RTP/AVP;unicast;client_port=6000-6001', { multicast: { group: '239.1.2.3', port: 5000, ttl: 4, only: true } }, { kind: 'multicast', group: '239.1.2.3', port: [5000, 5001], ttl: 4 }],
  ['SRTP is refused', 'RTP/SAVP/TCP;interleaved=0-1', {}, undefined],
  ['RECORD is refused', 'RTP/AVP/TCP;interleaved=0-1;mode=record', {}, undefined],
];

for (const [name, header, extra, expected] of cases) {
  test(`chooseTransport: ${name}`, () => {
    assert.deepEqual(chooseTransport(offer(header), caps(extra)), expected);
  });
}

test('freeChannels: never a channel in use, undefined when all 256 are taken', () => {
  const used = new Set<number>();
  for (let i = 0; i < 128; i++) {
    const pair = freeChannels([0, 1], used, 0);
    assert.ok(pair, `pair ${i}`);
    assert.ok(!used.has(pair[0]) && !used.has(pair[1]));
    used.add(pair[0]).add(pair[1]);
  }
  assert.equal(freeChannels(undefined, used, 3), undefined);
  assert.deepEqual(freeChannels([7, 7], new Set(), 0), [0, 1], 'a pair of one channel twice is not honoured');
});
