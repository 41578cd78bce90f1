/**
 * Two cluster nodes (Cluster objects) on one real Redis, with scripted upstream sessions instead of
 * cameras: the first to want a camera owns it and pulls it; the other relays it from the owner's
 * restream, with a peer credential and never the camera's own credentials; the owner that loses its
 * lease drops its camera session at once; a viewer arriving at a node that does not own the camera
 * is redirected to a live owner, served here when the owner is busy or gone, refused clearly while
 * Redis is away. Skipped with a message where redis-server is not installed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { silentLogger } from '../../../server/src/log/logger.js';
import { Cluster } from '../../../server/src/cluster/Cluster.js';
import { ClusterSchema } from '../../../server/src/cluster/clusterConfig.js';
import type { ClusterUpstream } from '../../../server/src/cluster/ClusterUpstream.js';
import { PEER_USER, PeerCredential } from '../../../server/src/cluster/PeerCredential.js';
import type { RtspSessionOptions } from '../../../server/src/rtsp/RtspSessionTypes.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamSession.js';
import type { CamrtcError } from '../../../server/src/errors.js';
import { Redis } from 'ioredis';
import { RedisServer } from '../../helpers/redisServer.js';

const missing = RedisServer.missing();
const SECRET = 'a-cluster-secret-of-enough-length';

/** An upstream session that answers at once and records how it was made and closed. */
class ScriptedSession extends EventEmitter implements UpstreamSession {
  closed = false;
  constructor(readonly options: RtspSessionOptions) {
    super();
  }
  async start() {
    return { tracks: [] };
  }
  async pause() {}
  async play() {}
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', undefined);
  }
}

function node(redis: RedisServer, id: string, extra: Record<string, unknown> = {}): { cluster: Cluster; made: ScriptedSession[] } {
  const config = ClusterSchema.parse({ redis: redis.url, nodeId: id, leaseMs: 1500, secret: SECRET, keyPrefix: 'itest', ...extra });
  const cluster = new Cluster({ config, logger: silentLogger(), viewers: () => 0, allowedOrigins: [] });
  return { cluster, made: [] };
}

function factory(n: { cluster: Cluster; made: ScriptedSession[] }) {
  return n.cluster.upstreamFactory((o) => {
    const s = new ScriptedSession(o);
    n.made.push(s);
    return s;
  }, () => true);
}

const cameraOptions = (camera: string): RtspSessionOptions => ({ url: 'rtsp://admin:camera-password@192.0.2.10/stream', username: 'admin', password: 'camera-password', cameraName: camera });

describe('cluster nodes (real redis, scripted cameras)', { skip: missing }, () => {
  let redis: RedisServer;
  let httpA: Server;
  let a: ReturnType<typeof node>;
  let b: ReturnType<typeof node>;

  before(async () => {
    redis = await RedisServer.start();
    // Node A's HTTP address answers (the reachability probe before a redirect).
    httpA = createServer((s) => s.destroy());
    await new Promise<void>((r) => httpA.listen(0, '127.0.0.1', r));
    a = node(redis, 'nodeA');
    b = node(redis, 'nodeB');
    await a.cluster.start({ http: `http://127.0.0.1:${(httpA.address() as { port: number }).port}`, rtsp: 'rtsp://127.0.0.1:18554' });
    await b.cluster.start({ http: 'http://127.0.0.1:1', rtsp: 'rtsp://127.0.0.1:28554' });
  });
  after(async () => {
    await a?.cluster.close();
    await b?.cluster.close();
    httpA?.close();
    await redis?.kill();
  });

  it('the first node owns the camera and pulls it; the second relays it from the owner with a peer credential only', async () => {
    const upA = factory(a)(cameraOptions('front')) as ClusterUpstream;
    await upA.start();
    assert.equal(upA.mode, 'direct');
    assert.equal(a.made[0].options.url, 'rtsp://admin:camera-password@192.0.2.10/stream');
    assert.equal(a.cluster.restreamPeers.owns('front'), true);

    const upB = factory(b)(cameraOptions('front')) as ClusterUpstream;
    await upB.start();
    assert.equal(upB.mode, 'relay');
    const relay = b.made[0].options;
    assert.equal(relay.url, 'rtsp://127.0.0.1:18554/front?peer=nodeB');
    assert.equal(relay.username, PEER_USER);
    assert.ok(new PeerCredential(SECRET).verify(relay.password!, 'front'), 'a credential for this camera');
    assert.equal(new PeerCredential(SECRET).verify(relay.password!, 'yard'), undefined, 'and no other');
    assert.equal(a.cluster.restreamPeers.principal(relay.password!, 'front')?.name, 'cluster:nodeB');
    assert.equal(b.cluster.restreamPeers.owns('front'), false);
    assert.ok(!JSON.stringify(relay).includes('camera-password'), 'never the camera credentials');

    const info = await b.cluster.describe(['front', 'yard']);
    assert.deepEqual(info.cameras.map((c) => [c.name, c.owner]), [['front', 'nodeA'], ['yard', null]]);
    assert.deepEqual(info.nodes.map((n) => n.id), ['nodeA', 'nodeB']);

    // The owner loses its lease (expired while frozen, taken by nodeB): its camera session ends at once.
    const closedA = new Promise<CamrtcError | undefined>((r) => upA.once('close', r));
    const movedB = new Promise<CamrtcError | undefined>((r) => upB.once('close', r));
    const raw = new Redis(redis.url);
    await raw.del(a.cluster.leases.leaseKey('front'));
    raw.disconnect();
    assert.ok('fence' in (await b.cluster.leases.take('front', 'nodeB', 1500)));
    await upA.lease!.renewNow();
    assert.equal((await closedA)?.code, 'ERR_CLUSTER_LEASE_LOST');
    assert.equal(a.made[0].closed, true, 'TEARDOWN to the camera');
    // The relay notices its owner changed and reconnects (through the new owner).
    assert.match((await movedB)?.message ?? '', /no longer owns camera 'front'/);
    await upA.close();
    await upB.close();
    await b.cluster.leases.release('front', 'nodeB', (await b.cluster.leases.owner('front'))!.fence);
  });

  it('a viewer at a node that does not own the camera: redirected to a live owner, served here when the owner is busy, refused while redis is away', async () => {
    const upA = factory(a)(cameraOptions('yard')) as ClusterUpstream;
    await upA.start();
    assert.equal(upA.mode, 'direct');
    const route = await b.cluster.route('yard', false);
    assert.equal(route.kind, 'redirect');
    assert.equal(route.kind === 'redirect' && route.node, 'nodeA');
    assert.equal((await b.cluster.route('yard', true)).kind, 'local', 'a redirected viewer is never redirected again');
    assert.equal((await a.cluster.route('yard', false)).kind, 'local', 'the owner serves it');
    assert.equal((await b.cluster.route('nobody-owns-this', false)).kind, 'local', 'a free camera is taken here');

    const busy = node(redis, 'nodeC', { busyViewers: 0 });
    await busy.cluster.start({ http: 'http://127.0.0.1:2', rtsp: 'rtsp://127.0.0.1:38554' });
    assert.equal((await busy.cluster.route('yard', false)).kind, 'local', 'busyViewers 0: always relay');
    await busy.cluster.close();

    const port = redis.port;
    await redis.kill();
    const refused = await b.cluster.route('yard', false);
    assert.equal(refused.kind, 'refused');
    assert.equal(refused.kind === 'refused' && refused.error.code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.equal((await a.cluster.route('yard', false)).kind, 'local', 'a camera this node serves is served without redis');
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(upA.lease?.held, true, 'the owner keeps its camera while redis is away');
    redis = await RedisServer.start(port);
    await upA.close();
  });
});
