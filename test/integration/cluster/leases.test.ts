/**
 * Camera ownership against a real Redis (redis-server on a private port): the lease scripts, a held
 * lease that learns it lost the camera, a process frozen past its lease, Redis going away and coming
 * back empty. Skipped with a message where redis-server is not installed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../server/src/log/logger.js';
import { RedisLink } from '../../../server/src/cluster/RedisLink.js';
import { LeaseStore } from '../../../server/src/cluster/LeaseStore.js';
import { OwnerLease } from '../../../server/src/cluster/OwnerLease.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { RedisServer } from '../../helpers/redisServer.js';

const missing = RedisServer.missing();

describe('cluster leases (real redis)', { skip: missing }, () => {
  let redis: RedisServer;
  let link: RedisLink;
  let store: LeaseStore;

  before(async () => {
    redis = await RedisServer.start();
    link = new RedisLink(redis.url, silentLogger(), { commandTimeoutMs: 300 });
    assert.equal(await link.connect(), true);
    store = new LeaseStore(link, 'test');
  });
  after(async () => {
    await link?.close();
    await redis?.kill();
  });

  it('one owner at a time, each new owner with a larger fence; only the holder renews or releases', async () => {
    const first = await store.take('cam1', 'nodeA', 5000);
    assert.ok('fence' in first);
    const second = await store.take('cam1', 'nodeB', 5000);
    assert.ok('owner' in second && second.owner?.node === 'nodeA' && second.owner.fence === first.fence);
    assert.equal(await store.renew('cam1', 'nodeB', first.fence, 5000), 'lost');
    assert.equal(await store.renew('cam1', 'nodeA', first.fence, 5000), 'renewed');
    assert.equal(await store.release('cam1', 'nodeB', first.fence), false);
    const owner = await store.owner('cam1');
    assert.equal(owner?.node, 'nodeA');
    assert.ok(owner.ttlMs > 4000 && owner.ttlMs <= 5000);
    assert.equal(await store.release('cam1', 'nodeA', first.fence), true);
    assert.equal(await store.owner('cam1'), undefined);
    const third = await store.take('cam1', 'nodeB', 5000);
    assert.ok('fence' in third && third.fence > first.fence);
  });

  it('a lease expires by itself; the old holder cannot renew it once another node took the camera', async () => {
    const a = await store.take('cam2', 'nodeA', 300);
    assert.ok('fence' in a);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await store.owner('cam2'), undefined);
    const b = await store.take('cam2', 'nodeB', 5000);
    assert.ok('fence' in b);
    assert.equal(await store.renew('cam2', 'nodeA', a.fence, 5000), 'lost');
    assert.equal((await store.owner('cam2'))?.node, 'nodeB');
  });

  it('a lease that expired with nobody taking the camera since is reclaimed by its holder; a fenced one is not', async () => {
    const a = await store.take('cam3', 'nodeA', 200);
    assert.ok('fence' in a);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await store.renew('cam3', 'nodeA', a.fence, 5000), 'reclaimed');
    assert.equal((await store.owner('cam3'))?.fence, a.fence);
    // Another node held it in between (and let it go): the fence counter went up.
    await store.release('cam3', 'nodeA', a.fence);
    const b = await store.take('cam3', 'nodeB', 5000);
    assert.ok('fence' in b);
    await store.release('cam3', 'nodeB', b.fence);
    assert.equal(await store.renew('cam3', 'nodeA', a.fence, 5000), 'lost');
  });

  it('a held lease emits lost when another node holds the camera', async () => {
    const a = await store.take('cam4', 'nodeA', 5000);
    assert.ok('fence' in a);
    const lease = new OwnerLease({ store, camera: 'cam4', node: 'nodeA', fence: a.fence, leaseMs: 5000, logger: silentLogger() });
    const lost = new Promise<CamrtcError>((r) => lease.once('lost', r));
    // As if the lease had expired and nodeB took the camera.
    await link.client.del(store.leaseKey('cam4'));
    assert.ok('fence' in (await store.take('cam4', 'nodeB', 5000)));
    await lease.renewNow();
    assert.equal((await lost).code, 'ERR_CLUSTER_LEASE_LOST');
    assert.equal(lease.held, false);
    await lease.release();
    assert.equal((await store.owner('cam4'))?.node, 'nodeB', 'the lost lease does not delete the new owner');
  });

  it('a process that did not run for longer than its lease drops the camera before asking redis', async () => {
    const a = await store.take('cam5', 'nodeA', 1000);
    assert.ok('fence' in a);
    let now = 0;
    const lease = new OwnerLease({ store, camera: 'cam5', node: 'nodeA', fence: a.fence, leaseMs: 1000, logger: silentLogger(), now: () => now });
    const lost = new Promise<CamrtcError>((r) => lease.once('lost', r));
    now = 5000; // the renewal timer fires 5 s late: SIGSTOP, then SIGCONT
    await lease.renewNow();
    const reason = await lost;
    assert.equal(reason.code, 'ERR_CLUSTER_LEASE_LOST');
    assert.match(reason.message, /did not run for 5000 ms/);
    lease.close();
  });

  it('redis away: operations fail as ERR_CLUSTER_UNAVAILABLE at once, a held lease stays held; back empty, it is reclaimed', async () => {
    const a = await store.take('cam6', 'nodeA', 2000);
    assert.ok('fence' in a);
    const lease = new OwnerLease({ store, camera: 'cam6', node: 'nodeA', fence: a.fence, leaseMs: 2000, logger: silentLogger() });
    let lostEvents = 0;
    lease.on('lost', () => lostEvents++);
    const port = redis.port;
    await redis.kill();
    const started = performance.now();
    await assert.rejects(store.owner('cam6'), (err: CamrtcError) => err.code === 'ERR_CLUSTER_UNAVAILABLE');
    assert.ok(performance.now() - started < 1000, 'fails fast, does not queue');
    await lease.renewNow();
    assert.equal(lease.held, true, 'a renewal that cannot reach redis is no loss');
    redis = await RedisServer.start(port);
    await new Promise<void>((resolve) => (link.up ? resolve() : link.once('up', () => resolve())));
    // The new Redis holds nothing (no persistence): the holder takes its camera back.
    await lease.renewNow();
    assert.equal(lease.held, true);
    assert.equal(lostEvents, 0);
    const owner = await store.owner('cam6');
    assert.equal(owner?.node, 'nodeA');
    assert.equal(owner.fence, a.fence);
    await lease.release();
  });

  it('a node started before its Redis keeps trying, and joins when Redis comes up', async () => {
    const later = await RedisServer.start();
    const port = later.port;
    await later.kill();
    const early = new RedisLink(`redis://127.0.0.1:${port}`, silentLogger(), { commandTimeoutMs: 300 });
    try {
      assert.equal(await early.connect(300), false);
      await assert.rejects(new LeaseStore(early, 'test2').owner('x'), (err: CamrtcError) => err.code === 'ERR_CLUSTER_UNAVAILABLE');
      const up = new Promise<void>((r) => early.once('up', () => r()));
      const back = await RedisServer.start(port);
      try {
        await up;
        assert.equal(await new LeaseStore(early, 'test2').owner('x'), undefined);
      } finally {
        await back.kill();
      }
    } finally {
      await early.close();
    }
  });
});
