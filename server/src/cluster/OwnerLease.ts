/**
 * One camera's ownership, held by this node: renewed every third of the lease; `lost` (once) when
 * Redis says another node holds the camera, or held it since (fenced), or when this process finds
 * that it did not run for longer than the lease (frozen with SIGSTOP, suspended VM, an event loop
 * blocked that long): then another node may have taken the camera already, so the holder must drop
 * its camera session at once, before it even hears from Redis.
 *
 * A renewal that fails because Redis cannot be reached is not a loss: while Redis is away nobody can
 * take the camera, so the node keeps serving its viewers (docs/cluster.md, "Redis lost"). When Redis
 * comes back having lost its data, the renewal takes the lease again, unless the fence counter says
 * another node held it in between.
 */
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { LeaseStore } from './LeaseStore.js';

export type OwnerLeaseEvents = {
  /** Ownership is gone (fenced, taken, or the process was frozen past the lease). Once. */
  lost: [CamrtcError];
  listenererror: [string, unknown];
};

export interface OwnerLeaseOptions {
  readonly store: LeaseStore;
  readonly camera: string;
  readonly node: string;
  readonly fence: number;
  readonly leaseMs: number;
  readonly logger: Logger;
  /** Monotonic milliseconds (tests). Default performance.now. */
  readonly now?: () => number;
}

/**
 * Whether a holder may still count on its lease when its renewal timer fires at `now`: not when it
 * last renewed a whole lease ago AND the timer ran late by more than a renewal period (the process
 * did not run: Redis being away is not that, its renewals were attempted on time).
 */
export function frozenPastLease(now: number, lastRenewedAt: number, dueAt: number, leaseMs: number): boolean {
  return now - lastRenewedAt >= leaseMs && now - dueAt > leaseMs / 3;
}

export class OwnerLease extends TypedEmitter<OwnerLeaseEvents> {
  readonly camera: string;
  readonly fence: number;
  readonly #options: OwnerLeaseOptions;
  readonly #now: () => number;
  readonly #periodMs: number;
  #renewedAt: number;
  #dueAt: number;
  #timer: NodeJS.Timeout | undefined;
  #lost: CamrtcError | undefined;
  #released = false;

  constructor(options: OwnerLeaseOptions) {
    super();
    this.#options = options;
    this.camera = options.camera;
    this.fence = options.fence;
    this.#now = options.now ?? (() => performance.now());
    this.#periodMs = Math.max(50, Math.floor(options.leaseMs / 3));
    this.#renewedAt = this.#now();
    this.#dueAt = this.#renewedAt + this.#periodMs;
    this.#schedule();
  }

  /** Still this node's (not lost, not released). */
  get held(): boolean {
    return this.#lost === undefined && !this.#released;
  }

  /** Why it was lost, once it was. */
  get lostReason(): CamrtcError | undefined {
    return this.#lost;
  }

  /** Lets the camera go: deletes the lease when still ours (best effort). Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    if (this.#lost) return;
    const { store, camera, node, fence } = this.#options;
    await store.release(camera, node, fence).catch((err: unknown) => this.#options.logger.debug({ err, camera }, 'cluster: releasing a lease failed (it expires by itself)'));
  }

  /** Stops renewing without deleting (close of the process: release() is the polite way). */
  close(): void {
    this.#released = true;
    clearTimeout(this.#timer);
  }

  /** Checks at once (tests; a node resumed from a freeze checks on its own timer). */
  renewNow(): Promise<void> {
    clearTimeout(this.#timer);
    return this.#renew();
  }

  #schedule(): void {
    if (!this.held) return;
    this.#dueAt = this.#now() + this.#periodMs;
    this.#timer = setTimeout(() => void this.#renew(), this.#periodMs);
  }

  async #renew(): Promise<void> {
    if (!this.held) return;
    const { store, camera, node, fence, leaseMs, logger } = this.#options;
    const startedAt = this.#now();
    if (frozenPastLease(startedAt, this.#renewedAt, this.#dueAt, leaseMs)) {
      const ms = Math.round(startedAt - this.#renewedAt);
      return this.#lose(new CamrtcError('ERR_CLUSTER_LEASE_LOST', `this node did not run for ${ms} ms, longer than its lease on camera '${camera}' (${leaseMs} ms): another node may hold it now`));
    }
    try {
      const result = await store.renew(camera, node, fence, leaseMs);
      if (!this.held) return;
      if (result === 'lost') return this.#lose(new CamrtcError('ERR_CLUSTER_LEASE_LOST', `another node holds camera '${camera}' now (this node's lease expired or was fenced)`));
      if (result === 'reclaimed') logger.info({ camera, fence }, 'cluster: the lease was gone from redis (restarted?) and nobody took the camera: holding it again');
      this.#renewedAt = startedAt;
    } catch (err) {
      // Redis away: keep serving (nobody can take the camera meanwhile). Logged by RedisLink.
      logger.debug({ err, camera }, 'cluster: lease renewal failed; keeping the camera while redis is away');
    }
    this.#schedule();
  }

  #lose(reason: CamrtcError): void {
    if (this.#lost || this.#released) return;
    this.#lost = reason;
    clearTimeout(this.#timer);
    this.#options.logger.warn({ camera: this.camera, fence: this.fence, code: reason.code }, `cluster: lost camera '${this.camera}': ${reason.message}`);
    this.safeEmit('lost', reason);
  }
}
