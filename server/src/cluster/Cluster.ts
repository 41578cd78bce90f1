/**
 * This node's part in a cluster of camrtc nodes coordinated by Redis (docs/cluster.md). It registers
 * the node (NodeRegistry), gives each live camera a ClusterUpstream (own the camera, or relay it
 * from its owner), decides where an arriving viewer is served (viewerRoute.ts), lets peers read the
 * restream of cameras this node owns (their PeerCredential), answers GET /api/cluster, and drains
 * on shutdown (viewers told to reconnect elsewhere, then every lease released after its TEARDOWN).
 *
 * Redis is never needed to keep serving: without it the node serves the cameras it serves and takes
 * no other (ERR_CLUSTER_UNAVAILABLE to their viewers) until it is back.
 */
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RestreamPeers } from '../restream/restreamAccess.js';
import type { UpstreamFactory } from '../media/UpstreamSession.js';
import { ClusterUpstream, PEER_PARAM, type UpstreamCoordinator } from './ClusterUpstream.js';
import { nodeIdOf, type ClusterConfig } from './clusterConfig.js';
import { LeaseStore } from './LeaseStore.js';
import { NodeRegistry, type NodeEntry, type NodeRecord } from './NodeRegistry.js';
import { OwnerLease } from './OwnerLease.js';
import { PeerCredential, isPeerCredential } from './PeerCredential.js';
import { PeerProbe } from './PeerProbe.js';
import { RedisLink } from './RedisLink.js';
import { routeFor, type ViewerRoute } from './viewerRoute.js';

export { PEER_PARAM } from './ClusterUpstream.js';

/** Something that ends with an error its client reads (a ViewerSession). */
export interface DrainableSession {
  fail(error: CamrtcError): Promise<void>;
}


export interface ClusterInfo {
  node: string;
  redis: 'up' | 'down';
  leaseMs: number;
  busyViewers: number;
  nodes: Array<{ id: string; http: string; rtsp: string | null; viewers: number; owned: string[]; relayed: string[]; draining: boolean; startedAt: string; expiresInMs: number }>;
  cameras: Array<{ name: string; owner: string | null; fence: number | null; expiresInMs: number | null; relayedBy: string[] }>;
}

export interface ClusterOptions {
  readonly config: ClusterConfig;
  readonly logger: Logger;
  /** Viewers of every camera on this node now (its load). */
  readonly viewers: () => number;
  /** Origins every node accepts pages from anyway (config.allowedOrigins). */
  readonly allowedOrigins: readonly string[];
}

export class Cluster implements UpstreamCoordinator {
  readonly node: string;
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly leases: LeaseStore;
  readonly registry: NodeRegistry;
  /**
   * Origins the signaling socket accepts: the configured ones and every peer's (a page of one node
   * follows a redirect to another). Updated in place at every heartbeat.
   */
  readonly allowedOrigins: string[];
  readonly #config: ClusterConfig;
  readonly #link: RedisLink;
  readonly #credential: PeerCredential | undefined;
  readonly #probe = new PeerProbe();
  readonly #sessions = new Set<ClusterUpstream>();
  readonly #options: ClusterOptions;
  readonly #startedAt = new Date().toISOString();
  #advertise: { http: string; rtsp?: string } | undefined;
  #draining = false;
  #originsTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.#config = options.config;
    this.node = nodeIdOf(options.config);
    this.leaseMs = options.config.leaseMs;
    this.logger = options.logger.child({ module: 'cluster', node: this.node });
    this.#link = new RedisLink(options.config.redis, this.logger, { commandTimeoutMs: Math.min(1_000, Math.max(100, Math.floor(this.leaseMs / 4))) });
    this.leases = new LeaseStore(this.#link, options.config.keyPrefix);
    this.#credential = options.config.secret ? new PeerCredential(options.config.secret) : undefined;
    this.allowedOrigins = [...options.allowedOrigins];
    this.registry = new NodeRegistry({ link: this.#link, keyPrefix: options.config.keyPrefix, ttlMs: this.leaseMs, logger: this.logger, record: () => this.#record() });
  }

  get draining(): boolean {
    return this.#draining;
  }
  get redisUp(): boolean {
    return this.#link.up;
  }

  /**
   * Joins the cluster once the node listens (its advertised addresses known): connects to Redis
   * (a Redis that is not there yet is waited for in the background) and starts the heartbeat.
   */
  async start(advertise: { http: string; rtsp?: string }): Promise<void> {
    this.#advertise = { http: this.#config.advertise.http ?? advertise.http, ...(this.#config.advertise.rtsp ?? advertise.rtsp ? { rtsp: this.#config.advertise.rtsp ?? advertise.rtsp } : {}) };
    const up = await this.#link.connect();
    if (!up) this.logger.error(`cluster: redis is not reachable yet; this node takes no camera until it is (${this.#config.redis.replace(/\/\/[^@/]*@/, '//***@')})`);
    this.#link.on('up', () => void this.registry.publish());
    this.registry.start();
    this.logger.info({ advertise: this.#advertise, leaseMs: this.leaseMs }, `cluster: node ${this.node} joined`);
    const refresh = (): void => {
      void this.#refreshOrigins();
      this.#originsTimer = setTimeout(refresh, Math.max(500, this.leaseMs));
      this.#originsTimer.unref();
    };
    refresh();
  }

  /** The upstream factory of the cameras: live cameras go through the cluster, others (`direct(name)`) do not. */
  upstreamFactory(base: UpstreamFactory, clustered: (camera: string) => boolean): UpstreamFactory {
    return (options) => (options.cameraName !== undefined && clustered(options.cameraName) ? new ClusterUpstream(options, base, this) : base(options));
  }

  /** Where a viewer of `camera` arriving here is served (viewerRoute.ts). Never throws. */
  async route(camera: string, redirected: boolean): Promise<ViewerRoute> {
    if (this.#draining) return { kind: 'refused', error: new CamrtcError('ERR_CLUSTER_MOVED', 'this node is shutting down: reconnect to be served by another node') };
    const servingHere = this.#serving(camera);
    if (redirected || servingHere) return { kind: 'local' };
    try {
      const owner = await this.leases.owner(camera);
      const peer = owner && owner.node !== this.node ? await this.registry.node(owner.node) : undefined;
      const decision = routeFor({
        self: this.node,
        redirected,
        servingHere,
        busyViewers: this.#config.busyViewers,
        owner: owner && {
          node: owner.node,
          ...(peer ? { peer: { http: peer.http, viewers: peer.viewers, draining: peer.draining, fresh: peer.ttlMs >= this.leaseMs / 4 } } : {}),
        },
      });
      if (decision.kind === 'local') return decision;
      if (await this.#probe.reachable(decision.http)) return { kind: 'redirect', node: decision.node, http: decision.http };
      this.logger.info({ camera, owner: decision.node }, 'cluster: the owner does not answer; serving the viewer here');
      return { kind: 'local' };
    } catch (err) {
      const error = err instanceof CamrtcError ? err : new CamrtcError('ERR_CLUSTER_UNAVAILABLE', String(err));
      this.logger.warn({ camera, code: error.code }, 'cluster: refused a viewer of a camera this node does not serve: redis is unreachable');
      return {
        kind: 'refused',
        error: new CamrtcError('ERR_CLUSTER_UNAVAILABLE', `camera '${camera}' is not served by this node and the cluster's coordination store (redis) is unreachable: try again shortly`),
      };
    }
  }

  /** The restream's view of the cluster (peers read cameras this node owns). */
  readonly restreamPeers: RestreamPeers = {
    param: PEER_PARAM,
    isCredential: isPeerCredential,
    principal: (credential, camera) => {
      if (!this.#credential || !isPeerCredential(credential)) return undefined;
      const claim = this.#credential.verify(credential, camera);
      return claim && { kind: 'token', name: `cluster:${claim.node}`, permissions: { view: [camera] } };
    },
    owns: (camera) => [...this.#sessions].some((s) => s.camera === camera && s.mode === 'direct' && s.lease?.held === true),
  };

  /** For GET /api/cluster: the registered nodes, and the owner of each camera this node knows. */
  async describe(cameras: readonly string[]): Promise<ClusterInfo> {
    const [nodes, owners] = await Promise.all([this.registry.nodes(), this.leases.owners(cameras)]);
    return {
      node: this.node,
      redis: this.#link.up ? 'up' : 'down',
      leaseMs: this.leaseMs,
      busyViewers: this.#config.busyViewers,
      nodes: nodes.map((n) => ({
        id: n.id,
        http: n.http,
        rtsp: n.rtsp ?? null,
        viewers: n.viewers,
        owned: n.owned,
        relayed: n.relayed,
        draining: n.draining,
        startedAt: n.startedAt,
        expiresInMs: n.ttlMs,
      })),
      cameras: cameras.map((name) => {
        const owner = owners.get(name);
        return {
          name,
          owner: owner?.node ?? null,
          fence: owner?.fence ?? null,
          expiresInMs: owner?.ttlMs ?? null,
          relayedBy: nodes.filter((n) => n.relayed.includes(name)).map((n) => n.id),
        };
      }),
    };
  }

  /**
   * Shutdown, first step: no viewer is sent here any more, and every viewer here is told to
   * reconnect (ERR_CLUSTER_MOVED: the player does at once, through the load balancer to another
   * node). The leases go when the cameras close (after their TEARDOWN).
   */
  async drain(sessions: Iterable<DrainableSession>): Promise<void> {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    this.logger.info('cluster: draining: viewers move to other nodes, leases are released');
    await this.registry.publish();
    const moved = new CamrtcError('ERR_CLUSTER_MOVED', 'this node is shutting down: reconnect to be served by another node');
    await Promise.all([...sessions].map((s) => s.fail(moved).catch(() => undefined)));
  }

  /** Leaves the cluster: heartbeat stopped, node record deleted, leases left (closed cameras released theirs). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#originsTimer);
    for (const s of this.#sessions) await s.close().catch(() => undefined);
    await this.registry.close();
    await this.#link.close();
    this.logger.info(`cluster: node ${this.node} left`);
  }

  // ---- UpstreamCoordinator -----------------------------------------------------------------

  peer(id: string): Promise<NodeEntry | undefined> {
    return this.registry.node(id);
  }
  hold(camera: string, fence: number): OwnerLease {
    return new OwnerLease({ store: this.leases, camera, node: this.node, fence, leaseMs: this.leaseMs, logger: this.logger });
  }
  credential(camera: string): string | undefined {
    return this.#credential?.mint(this.node, camera);
  }
  register(session: ClusterUpstream): void {
    this.#sessions.add(session);
  }
  unregister(session: ClusterUpstream): void {
    this.#sessions.delete(session);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** This node pulls the camera now (or is about to): its viewers need no other node. */
  #serving(camera: string): boolean {
    return [...this.#sessions].some((s) => s.camera === camera);
  }

  #record(): NodeRecord {
    const owned = new Set<string>();
    const relayed = new Set<string>();
    for (const s of this.#sessions) {
      if (s.mode === 'direct') owned.add(s.camera);
      else if (s.mode === 'relay') relayed.add(s.camera);
    }
    return {
      id: this.node,
      http: this.#advertise?.http ?? '',
      ...(this.#advertise?.rtsp ? { rtsp: this.#advertise.rtsp } : {}),
      viewers: this.#options.viewers(),
      owned: [...owned].sort(),
      relayed: [...relayed].sort(),
      draining: this.#draining,
      startedAt: this.#startedAt,
    };
  }

  async #refreshOrigins(): Promise<void> {
    const nodes = await this.registry.nodes().catch(() => undefined);
    if (!nodes) return;
    const origins = new Set(this.#options.allowedOrigins);
    for (const n of nodes) {
      try {
        origins.add(new URL(n.http).origin);
      } catch {
        /* a record without a usable address */
      }
    }
    this.allowedOrigins.splice(0, this.allowedOrigins.length, ...origins);
  }
}
