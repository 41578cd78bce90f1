/**
 * A clustered live camera's upstream session (an UpstreamSession, so the camera's UpstreamFeed needs
 * no change): when it starts, it finds out which node should pull the camera. Nobody holds the
 * camera's lease: this node takes it and pulls the camera itself (`direct`), renewing the lease while
 * the session lasts. Another node holds it: this node reads the camera from that owner's RTSP
 * restream (`relay`), so the camera still sees one session, and watches the lease so that it
 * reconnects when the owner changes. An owner that does not answer (crashed, frozen, draining) is
 * waited out: its lease expires, and the first node that wants the camera takes it.
 *
 * Losing the lease (another node holds it, or this process was frozen past it) drops the camera
 * session at once (TEARDOWN); the feed then reconnects through this class again, now as a relay of
 * the new owner, and its viewers keep their peer connections (a camera failure is a state).
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RtspSessionOptions, RtspSessionState } from '../rtsp/RtspSessionTypes.js';
import type { Track } from '../sdp/Track.js';
import type { UpstreamFactory, UpstreamSession } from '../media/UpstreamSession.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { LeaseOwner, LeaseStore } from './LeaseStore.js';
import type { NodeEntry } from './NodeRegistry.js';
import type { OwnerLease } from './OwnerLease.js';
import { PEER_USER } from './PeerCredential.js';

/** How often a waiting session looks at the lease again (an expiring owner is taken over this soon). */
export const LEASE_POLL_MS = 100;
/** Connect timeout towards a peer's restream: a peer is near, a slow one is treated as gone. */
const PEER_CONNECT_TIMEOUT_MS = 2_000;
/** The query parameter a relay's DESCRIBE carries: the restream serves peers only for cameras it owns. */
export const PEER_PARAM = 'peer';

/** What a ClusterUpstream needs from its cluster. */
export interface UpstreamCoordinator {
  readonly node: string;
  readonly leaseMs: number;
  readonly draining: boolean;
  readonly leases: LeaseStore;
  /** The registered node `id` (undefined when not registered or unreadable). */
  peer(id: string): Promise<NodeEntry | undefined>;
  /** Holds a lease this node just took. */
  hold(camera: string, fence: number): OwnerLease;
  /** The credential to read `camera` from a peer's restream (undefined: the restream is open). */
  credential(camera: string): string | undefined;
  register(session: ClusterUpstream): void;
  unregister(session: ClusterUpstream): void;
  readonly logger: Logger;
}

export type UpstreamMode = 'waiting' | 'direct' | 'relay';

type Events = {
  rtp: [number, Buffer];
  close: [CamrtcError | undefined];
  listenererror: [string, unknown];
};

export class ClusterUpstream extends TypedEmitter<Events> implements UpstreamSession {
  readonly camera: string;
  readonly #options: RtspSessionOptions;
  readonly #base: UpstreamFactory;
  readonly #cluster: UpstreamCoordinator;
  readonly #log: Logger;
  #mode: UpstreamMode = 'waiting';
  #inner: UpstreamSession | undefined;
  #lease: OwnerLease | undefined;
  /** The owner a relay reads from. */
  #source: { node: string; fence: number } | undefined;
  #watch: NodeJS.Timeout | undefined;
  /** Why the session is being ended by this class (lease lost, owner changed). */
  #reason: CamrtcError | undefined;
  #closed = false;
  #closeEmitted = false;

  constructor(options: RtspSessionOptions, base: UpstreamFactory, cluster: UpstreamCoordinator) {
    super();
    this.#options = options;
    this.camera = options.cameraName ?? '';
    this.#base = base;
    this.#cluster = cluster;
    this.#log = (options.logger ?? cluster.logger).child({ cluster: true });
    cluster.register(this);
  }

  get mode(): UpstreamMode {
    return this.#mode;
  }
  /** The node this session reads from: this node (direct) or the owner (relay). */
  get source(): string | undefined {
    return this.#mode === 'direct' ? this.#cluster.node : this.#source?.node;
  }
  get state(): RtspSessionState | undefined {
    return this.#inner?.state ?? (this.#closed ? 'closed' : 'starting');
  }
  get invalidPacketCount(): number | undefined {
    return this.#inner?.invalidPacketCount;
  }
  get lostPacketCount(): number | undefined {
    return this.#inner?.lostPacketCount;
  }
  /** The lease, while this session pulls the camera itself. */
  get lease(): OwnerLease | undefined {
    return this.#lease;
  }

  async start(): Promise<{ tracks: readonly Track[] }> {
    const deadline = performance.now() + this.#cluster.leaseMs + PEER_CONNECT_TIMEOUT_MS;
    let lastError: CamrtcError | undefined;
    for (;;) {
      this.#checkOpen();
      if (this.#cluster.draining) throw new CamrtcError('ERR_CLUSTER_MOVED', 'this node is shutting down');
      let owner: LeaseOwner | undefined = await this.#cluster.leases.owner(this.camera);
      this.#checkOpen();
      if (!owner) {
        const taken = await this.#cluster.leases.take(this.camera, this.#cluster.node, this.#cluster.leaseMs);
        if ('fence' in taken) return this.#direct(this.#cluster.hold(this.camera, taken.fence));
        owner = taken.owner;
        if (!owner) continue;
      }
      if (owner.node !== this.#cluster.node) {
        const peer = await this.#cluster.peer(owner.node).catch(() => undefined);
        this.#checkOpen();
        if (peer && !peer.draining && peer.rtsp) {
          try {
            return await this.#relay(peer, owner);
          } catch (err) {
            if (this.#closed) throw err;
            lastError = toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST');
            this.#log.info({ owner: owner.node, code: lastError.code }, 'cluster: the owner did not serve the camera; waiting for its lease to change');
          }
        }
      }
      // The owner is gone, frozen, draining, or this node's own previous life: wait for its lease to end.
      await this.#waitForChange(owner, deadline);
      if (performance.now() >= deadline) {
        throw lastError ?? new CamrtcError('ERR_TIMEOUT', `camera '${this.camera}' is held by node ${owner.node}, which does not serve it`);
      }
    }
  }

  pause(): Promise<void> {
    return this.#inner ? this.#inner.pause() : Promise.reject(new CamrtcError('ERR_RTSP_INVALID_STATE', 'not started'));
  }
  play(options?: { range?: string; scale?: number }): Promise<void> {
    return this.#inner ? this.#inner.play(options) : Promise.reject(new CamrtcError('ERR_RTSP_INVALID_STATE', 'not started'));
  }
  requestKeyframe(trackIndex: number): void {
    this.#inner?.requestKeyframe?.(trackIndex);
  }

  /** TEARDOWN (direct: to the camera, then the lease is released). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watch);
    const inner = this.#inner;
    if (inner) await inner.close().catch(() => undefined);
    // After the TEARDOWN: the next owner's session never overlaps this one.
    await this.#lease?.release();
    this.#cluster.unregister(this);
    this.#emitClose(this.#reason);
  }

  async #direct(lease: OwnerLease): Promise<{ tracks: readonly Track[] }> {
    this.#mode = 'direct';
    this.#lease = lease;
    this.#log.info({ fence: lease.fence }, `cluster: this node owns camera '${this.camera}'`);
    lease.once('lost', (reason) => this.#end(new CamrtcError(reason.code, reason.message, { reconnectNow: true })));
    const inner = this.#base(this.#options);
    return this.#run(inner);
  }

  async #relay(peer: NodeEntry, owner: LeaseOwner): Promise<{ tracks: readonly Track[] }> {
    const credential = this.#cluster.credential(this.camera);
    const url = `${peer.rtsp!.replace(/\/+$/, '')}/${encodeURIComponent(this.camera)}?${PEER_PARAM}=${encodeURIComponent(this.#cluster.node)}`;
    // Only what a peer needs: never the camera's own credentials or TLS settings.
    const inner = this.#base({
      url,
      ...(credential ? { username: PEER_USER, password: credential } : {}),
      transport: 'tcp',
      cameraName: this.camera,
      connectTimeoutMs: PEER_CONNECT_TIMEOUT_MS,
      ...(this.#options.readTimeoutMs !== undefined ? { readTimeoutMs: this.#options.readTimeoutMs } : {}),
      ...(this.#options.selectTracks ? { selectTracks: this.#options.selectTracks } : {}),
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
    });
    this.#mode = 'relay';
    this.#source = { node: owner.node, fence: owner.fence };
    try {
      const started = await this.#run(inner);
      this.#log.info({ owner: owner.node }, `cluster: relaying camera '${this.camera}' from node ${owner.node}`);
      this.#watchOwner();
      return started;
    } catch (err) {
      this.#mode = 'waiting';
      this.#source = undefined;
      throw err;
    }
  }

  /** Starts `inner` as this session's; a failure closes it (and lets a direct lease go). */
  async #run(inner: UpstreamSession): Promise<{ tracks: readonly Track[] }> {
    this.#inner = inner;
    inner.on('rtp', (track: number, packet: Buffer) => this.emit('rtp', track, packet));
    let started = false;
    inner.on('close', (error?: CamrtcError) => {
      // Before start() settles, a failure is start()'s rejection: the feed must hear of it once.
      if (this.#inner !== inner || !started) return;
      // The camera (or the owner) ended the session: the lease goes with it, the feed reconnects.
      void this.#lease?.release();
      clearInterval(this.#watch);
      this.#emitClose(this.#reason ?? (this.#mode === 'relay' ? reconnectNow(error) : error));
    });
    try {
      const result = await inner.start();
      if (this.#reason) throw this.#reason;
      started = true;
      return result;
    } catch (err) {
      this.#inner = undefined;
      await inner.close().catch(() => undefined);
      await this.#lease?.release();
      this.#lease = undefined;
      this.#mode = 'waiting';
      throw err;
    }
  }

  /** A relay reconnects as soon as its owner no longer holds the lease (a new owner, or none). */
  #watchOwner(): void {
    const source = this.#source;
    if (!source) return;
    let checking = false;
    /** The lease was absent at the last check: absent twice, the owner is gone (once may be a restarted Redis it is about to refill). */
    let absent = false;
    this.#watch = setInterval(() => {
      if (checking || this.#closed) return;
      checking = true;
      this.#cluster.leases
        .owner(this.camera)
        .then((owner) => {
          if (owner?.node === source.node && owner.fence === source.fence) return void (absent = false);
          if (!owner && !absent) return void (absent = true);
          this.#end(
            new CamrtcError('ERR_RTSP_CONNECTION_LOST', `node ${source.node} no longer owns camera '${this.camera}': reconnecting through its new owner`, { reconnectNow: true }),
          );
        })
        // Redis away: the relay goes on (docs/cluster.md, "Redis lost").
        .catch(() => undefined)
        .finally(() => (checking = false));
    }, Math.max(LEASE_POLL_MS, Math.floor(this.#cluster.leaseMs / 3)));
  }

  /** Drops the session at once for `reason` (the feed hears `close` and reconnects). */
  #end(reason: CamrtcError): void {
    if (this.#reason || this.#closed) return;
    this.#reason = reason;
    clearInterval(this.#watch);
    void this.#inner?.close();
  }

  async #waitForChange(owner: LeaseOwner, deadline: number): Promise<void> {
    const until = Math.min(deadline, performance.now() + owner.ttlMs + LEASE_POLL_MS);
    while (!this.#closed && performance.now() < until) {
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      const now = await this.#cluster.leases.owner(this.camera).catch(() => owner);
      if (!now || now.node !== owner.node || now.fence !== owner.fence) return;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', `the session with camera '${this.camera}' was closed`);
  }

  #emitClose(error: CamrtcError | undefined): void {
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    this.#cluster.unregister(this);
    this.safeEmit('close', error);
  }
}

/** A relay's session ended (its owner went away): the feed starts the next one at once, which waits for the owner. */
function reconnectNow(error: CamrtcError | undefined): CamrtcError {
  const base = error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', 'the owner closed the relay');
  return new CamrtcError(base.code, base.message, { ...base.details, reconnectNow: true }, { cause: base });
}
