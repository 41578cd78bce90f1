import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { routeFor, redirectSignalingUrl, redirectWhepUrl, type RouteFacts } from '../../../server/src/cluster/viewerRoute.js';
import { PeerCredential, isPeerCredential } from '../../../server/src/cluster/PeerCredential.js';
import { frozenPastLease } from '../../../server/src/cluster/OwnerLease.js';
import { parseLeaseValue } from '../../../server/src/cluster/LeaseStore.js';
import { parseNodeRecord } from '../../../server/src/cluster/NodeRegistry.js';
import { clusterFromFlags } from '../../../server/src/cluster/clusterFlags.js';
import { loadConfig } from '../../../server/src/config/Config.js';

const facts = (over: Partial<RouteFacts> = {}): RouteFacts => ({
  self: 'b',
  redirected: false,
  servingHere: false,
  busyViewers: 10,
  owner: { node: 'a', peer: { http: 'http://10.0.0.1:8080', viewers: 3, draining: false, fresh: true } },
  ...over,
});

describe('cluster: where a viewer is served', () => {
  it('redirects to a live, not busy owner (after a probe); serves here in every other case', () => {
    assert.deepEqual(routeFor(facts()), { kind: 'probe', node: 'a', http: 'http://10.0.0.1:8080' });
    assert.equal(routeFor(facts({ redirected: true })).kind, 'local');
    assert.equal(routeFor(facts({ servingHere: true })).kind, 'local');
    assert.equal(routeFor(facts({ owner: undefined })).kind, 'local');
    assert.equal(routeFor(facts({ owner: { node: 'b' } })).kind, 'local');
    assert.equal(routeFor(facts({ owner: { node: 'a' } })).kind, 'local', 'owner not registered (crashed)');
    const peer = facts().owner!.peer!;
    assert.equal(routeFor(facts({ owner: { node: 'a', peer: { ...peer, fresh: false } } })).kind, 'local', 'missed heartbeats');
    assert.equal(routeFor(facts({ owner: { node: 'a', peer: { ...peer, draining: true } } })).kind, 'local');
    assert.equal(routeFor(facts({ owner: { node: 'a', peer: { ...peer, viewers: 10 } } })).kind, 'local', 'busy: relay');
    assert.equal(routeFor(facts({ busyViewers: 0 })).kind, 'local', 'busyViewers 0: always relay');
  });

  it('redirect URLs: the owner signaling and WHEP URLs, marked so the owner never redirects again', () => {
    assert.equal(redirectSignalingUrl('http://10.0.0.1:8080', 'redirected'), 'ws://10.0.0.1:8080/ws?redirected=1');
    assert.equal(redirectSignalingUrl('https://n1.example.org/cams/', 'redirected'), 'wss://n1.example.org/cams/ws?redirected=1');
    assert.equal(redirectWhepUrl('https://n1.example.org', 'front door', 'redirected'), 'https://n1.example.org/whep/front%20door?redirected=1');
  });
});

describe('cluster: peer credentials', () => {
  const peers = new PeerCredential('a-cluster-secret-of-enough-length');
  it('valid for one camera until it expires; a changed byte or another secret is refused', () => {
    const now = Date.UTC(2026, 0, 1);
    const credential = peers.mint('node1', 'front', now, 60);
    assert.ok(isPeerCredential(credential));
    assert.deepEqual(peers.verify(credential, 'front', now), { node: 'node1', camera: 'front' });
    assert.equal(peers.verify(credential, 'yard', now), undefined);
    assert.equal(peers.verify(credential, 'front', now + 61_000), undefined);
    assert.equal(new PeerCredential('another-secret-of-enough-length').verify(credential, 'front', now), undefined);
    const tampered = credential.slice(0, -2) + (credential.endsWith('AA') ? 'BB' : 'AA');
    assert.equal(peers.verify(tampered, 'front', now), undefined);
    for (const junk of ['', 'camrtc-peer.', 'camrtc-peer.x.y.z', `camrtc-peer.${'a'.repeat(600)}`, 'eyJhbGciOi.x.y']) assert.equal(peers.verify(junk, 'front', now), undefined);
  });
});

describe('cluster: a frozen holder', () => {
  it('counts as frozen only when it renewed a lease ago AND its timer ran late (redis being away is neither)', () => {
    assert.equal(frozenPastLease(10_000, 0, 9_900, 3000), false, 'timer on time: renewals were attempted (redis away)');
    assert.equal(frozenPastLease(10_000, 0, 1_000, 3000), true, 'SIGSTOP for 9 s');
    assert.equal(frozenPastLease(2_000, 0, 1_000, 3000), false, 'late, but within the lease');
  });
});

describe('cluster: what Redis holds is checked', () => {
  it('lease values and node records that do not parse are nobody', () => {
    assert.deepEqual(parseLeaseValue('node-1 42'), { node: 'node-1', fence: 42 });
    for (const v of [null, 42, '', 'node', 'node 0', 'node -1', 'no de 1', `${'n'.repeat(65)} 1`, 'node 1 extra']) assert.equal(parseLeaseValue(v), undefined, String(v));
    assert.equal(parseNodeRecord('{"id":"a"}'), undefined);
    assert.equal(parseNodeRecord('not json'), undefined);
    const record = { id: 'a', http: 'http://x:1', viewers: 1, owned: [], relayed: [], draining: false, startedAt: 'x' };
    assert.deepEqual(parseNodeRecord(JSON.stringify(record)), record);
  });
});

describe('cluster: configuration', () => {
  it('flags override the file section one by one; none leave it alone', () => {
    assert.equal(clusterFromFlags({}, undefined), undefined);
    assert.deepEqual(clusterFromFlags({ clusterLeaseMs: 2000 }, { redis: 'redis://r:6379', advertise: { rtsp: 'rtsp://n:8554' }, secret: 'x' }), {
      redis: 'redis://r:6379',
      advertise: { rtsp: 'rtsp://n:8554' },
      secret: 'x',
      leaseMs: 2000,
    });
    assert.deepEqual(clusterFromFlags({ clusterRedis: 'redis://h:1', clusterAdvertiseHttp: 'http://n:8080', clusterSecretFile: '/s' }, { secret: 'x' }), {
      redis: 'redis://h:1',
      advertise: { http: 'http://n:8080' },
      secretFile: '/s',
    });
  });

  it('an auth section needs the peer secret; a bad URL is named', () => {
    assert.throws(() => loadConfig({ cluster: { redis: 'redis://127.0.0.1:6379' }, auth: { anonymous: {} } }), /peer secret/);
    assert.throws(() => loadConfig({ cluster: { redis: 'http://127.0.0.1:6379' } }), /cluster\.redis/);
    assert.throws(() => loadConfig({ cluster: { redis: 'redis://h', advertise: { http: 'http://n/path' } } }), /cluster\.advertise\.http/);
    assert.throws(() => loadConfig({ cluster: { redis: 'redis://h', secret: 'short' } }), /cluster\.secret/);
    const config = loadConfig({ cluster: { redis: 'redis://h:6379' } });
    assert.equal(config.cluster?.leaseMs, 5000);
    assert.equal(config.cluster?.busyViewers, 100);
  });
});
