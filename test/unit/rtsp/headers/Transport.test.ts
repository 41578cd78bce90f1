import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../../server/src/errors.js';
import { parseTransport, parseTransports, serializeTransport, type Transport } from '../../../../server/src/rtsp/headers/Transport.js';

const cases: Array<{ name: string; value: string; want: Transport; canonical?: string }> = [
  {
    name: 'udp unicast with client and server ports',
    value: 'RTP/AVP;unicast;client_port=3456-3457;server_port=6970-6971;ssrc=0B6020AD;mode=play',
    want: { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'unicast', clientPort: [3456, 3457], serverPort: [6970, 6971], ssrc: 0x0b6020ad, mode: 'play' },
  },
  {
    name: 'tcp interleaved',
    value: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    want: { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved: [0, 1] },
  },
  {
    name: 'hikvision: ssrc with leading spaces',
    value: 'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=     D93FF',
    want: { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved: [0, 1], ssrc: 0xd93ff },
    canonical: 'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=000D93FF',
  },
  {
    name: 'dahua: ssrc padded and quoted mode in upper case',
    value: 'RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=  6B8B4567;mode="PLAY"',
    want: { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved: [2, 3], ssrc: 0x6b8b4567, mode: 'play' },
    canonical: 'RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=6B8B4567;mode=play',
  },
  {
    name: 'multicast with destination, port and ttl',
    value: 'RTP/AVP;multicast;destination=225.219.201.15;port=7000-7001;ttl=127',
    want: { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'multicast', destination: '225.219.201.15', port: [7000, 7001], ttl: 127 },
  },
  {
    name: 'explicit UDP lower transport and source address',
    value: 'RTP/AVP/UDP;unicast;source=192.168.1.64;client_port=5000-5001;server_port=8000-8001',
    want: { profile: 'RTP/AVP', protocol: 'UDP', delivery: 'unicast', source: '192.168.1.64', clientPort: [5000, 5001], serverPort: [8000, 8001] },
    canonical: 'RTP/AVP;unicast;source=192.168.1.64;client_port=5000-5001;server_port=8000-8001',
  },
  {
    name: 'single interleaved channel means a pair',
    value: 'RTP/AVP/TCP;interleaved=4',
    want: { profile: 'RTP/AVP', protocol: 'TCP', interleaved: [4, 5] },
    canonical: 'RTP/AVP/TCP;interleaved=4-5',
  },
  {
    name: 'unknown parameters are ignored',
    value: 'RTP/AVP/TCP;unicast;interleaved=0-1;x-dynamic-rate=1;rtcp-mux',
    want: { profile: 'RTP/AVP', protocol: 'TCP', delivery: 'unicast', interleaved: [0, 1] },
    canonical: 'RTP/AVP/TCP;unicast;interleaved=0-1',
  },
];

for (const c of cases) {
  test(`Transport: ${c.name}`, () => {
    const got = parseTransport(c.value);
    assert.deepEqual(got, c.want);
    const serialized = serializeTransport(got as Transport);
    assert.equal(serialized, c.canonical ?? c.value);
    assert.deepEqual(parseTransport(serialized), c.want);
  });
}

const bad = [
  ['not RTP', 'RAW/RAW/UDP;unicast'],
  ['channel above 255', 'RTP/AVP/TCP;interleaved=256-257'],
  ['port above 65535', 'RTP/AVP;client_port=70000-70001'],
  ['ssrc not hex', 'RTP/AVP;ssrc=XYZ'],
  ['ssrc longer than 32 bits', 'RTP/AVP;ssrc=123456789'],
  ['unknown mode', 'RTP/AVP;mode=dance'],
  ['empty', ''],
];
for (const [name, value] of bad) {
  test(`Transport: refuses ${name}`, () => {
    const got = parseTransport(value);
    assert.ok(got instanceof CamrtcError);
    assert.equal(got.code, 'ERR_PARSE_HEADER');
  });
}

test('Transport: several comma-separated alternatives', () => {
  const got = parseTransports('RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=5000-5001');
  assert.ok(Array.isArray(got));
  assert.equal(got.length, 2);
  assert.equal(got[0].protocol, 'TCP');
  assert.deepEqual(got[1].clientPort, [5000, 5001]);
});

test('Transport: any string gives a value or a CamrtcError, never a throw', () => {
  const tokens = fc.constantFrom('RTP/AVP', 'RTP/AVP/TCP', 'unicast', 'interleaved=', 'ssrc=', ' ', ';', ',', '-', '0', '65535', 'mode=', '"', 'FF');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(tokens, { maxLength: 30 }).map((a) => a.join(''))), (s) => {
      const r = parseTransports(s);
      assert.ok(r instanceof CamrtcError || Array.isArray(r));
      if (Array.isArray(r)) for (const t of r) assert.deepEqual(parseTransport(serializeTransport(t)), t);
    }),
    { numRuns: 2000 },
  );
});
