/**
 * Camera ownership in Redis: one key per camera holding "NODE FENCE" with a TTL (the lease), and a
 * counter per camera (INCR) that gives every new owner a larger fencing number. Each operation is
 * one Lua script, so it is atomic: take (only when absent, SET NX PX), renew (only the holder, by
 * node and fence), release (only the holder). The keys are the cluster's own (keyPrefix), and every
 * value read back is checked before use: a key someone else wrote is "no owner", never a crash.
 */
import { CamrtcError } from '../errors.js';
import type { RedisLink } from './RedisLink.js';

/** An owner as the lease key says: the node and its fencing number, and the lease's time left. */
export interface LeaseOwner {
  readonly node: string;
  readonly fence: number;
  /** Milliseconds until the lease expires unless renewed. */
  readonly ttlMs: number;
}

export type RenewResult =
  /** Still ours: the TTL starts again. */
  | 'renewed'
  /** The key was gone (Redis restarted or flushed) and no other node took the camera since: ours again. */
  | 'reclaimed'
  /** Another node holds the camera, or held it since (a larger fence): ours no more. */
  | 'lost';

// KEYS[1] lease, KEYS[2] fence counter; ARGV[1] node, ARGV[2] ttl ms.
// Returns {1, fence} when taken, {0, "NODE FENCE", pttl} when another holds it.
const TAKE = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur, redis.call('PTTL', KEYS[1])} end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. fence, 'NX', 'PX', ARGV[2])
return {1, fence}
`;

// KEYS[1] lease, KEYS[2] fence counter; ARGV[1] "NODE FENCE", ARGV[2] ttl ms, ARGV[3] fence.
// 1 renewed, 2 reclaimed (gone, and the counter says nobody took it since), 0 lost.
const RENEW = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
local counter = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if counter > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 2
`;

// KEYS[1] lease; ARGV[1] "NODE FENCE". 1 when deleted.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** "NODE FENCE" as the lease key holds it, or undefined for anything else. */
export function parseLeaseValue(value: unknown): { node: string; fence: number } | undefined {
  if (typeof value !== 'string' || value.length > 200) return undefined;
  const m = /^([A-Za-z0-9_.-]{1,64}) ([1-9][0-9]{0,15})$/.exec(value);
  return m ? { node: m[1], fence: Number(m[2]) } : undefined;
}

export class LeaseStore {
  readonly #link: RedisLink;
  readonly #prefix: string;

  constructor(link: RedisLink, keyPrefix: string) {
    this.#link = link;
    this.#prefix = keyPrefix;
    const client = link.client;
    if (!('camrtcLeaseTake' in client)) {
      client.defineCommand('camrtcLeaseTake', { numberOfKeys: 2, lua: TAKE });
      client.defineCommand('camrtcLeaseRenew', { numberOfKeys: 2, lua: RENEW });
      client.defineCommand('camrtcLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
    }
  }

  leaseKey(camera: string): string {
    return `${this.#prefix}:camera:${camera}:owner`;
  }
  fenceKey(camera: string): string {
    return `${this.#prefix}:camera:${camera}:fence`;
  }

  /** Takes camera's lease for `node` when nobody holds it: its fence, or the current owner. */
  async take(camera: string, node: string, ttlMs: number): Promise<{ fence: number } | { owner: LeaseOwner | undefined }> {
    const reply = await this.#link.run('take a lease', (c) => c.camrtcLeaseTake(this.leaseKey(camera), this.fenceKey(camera), node, ttlMs));
    if (!Array.isArray(reply)) return { owner: undefined };
    if (reply[0] === 1 && typeof reply[1] === 'number') return { fence: reply[1] };
    const owner = parseLeaseValue(reply[1]);
    return { owner: owner && { ...owner, ttlMs: typeof reply[2] === 'number' ? reply[2] : 0 } };
  }

  async renew(camera: string, node: string, fence: number, ttlMs: number): Promise<RenewResult> {
    const reply = await this.#link.run('renew a lease', (c) =>
      c.camrtcLeaseRenew(this.leaseKey(camera), this.fenceKey(camera), `${node} ${fence}`, ttlMs, fence),
    );
    return reply === 1 ? 'renewed' : reply === 2 ? 'reclaimed' : 'lost';
  }

  /** Deletes the lease when `node` with `fence` still holds it. */
  async release(camera: string, node: string, fence: number): Promise<boolean> {
    const reply = await this.#link.run('release a lease', (c) => c.camrtcLeaseRelease(this.leaseKey(camera), `${node} ${fence}`));
    return reply === 1;
  }

  /** Who holds camera's lease now, if anyone. */
  async owner(camera: string): Promise<LeaseOwner | undefined> {
    return (await this.owners([camera])).get(camera);
  }

  /** The owners of several cameras in one round trip. */
  async owners(cameras: readonly string[]): Promise<Map<string, LeaseOwner>> {
    const found = new Map<string, LeaseOwner>();
    if (cameras.length === 0) return found;
    const replies = await this.#link.run('read leases', async (c) => {
      const pipeline = c.pipeline();
      for (const camera of cameras) pipeline.get(this.leaseKey(camera)).pttl(this.leaseKey(camera));
      return (await pipeline.exec()) ?? [];
    });
    const failed = replies.find(([err]) => err);
    if (failed || replies.length < 2 * cameras.length) {
      throw new CamrtcError('ERR_CLUSTER_UNAVAILABLE', `the cluster's redis did not answer (read leases): ${failed?.[0]?.message ?? 'no reply'}`);
    }
    cameras.forEach((camera, i) => {
      const [, value] = replies[2 * i]!;
      const [, ttl] = replies[2 * i + 1]!;
      const owner = parseLeaseValue(value);
      if (owner) found.set(camera, { ...owner, ttlMs: typeof ttl === 'number' && ttl > 0 ? ttl : 0 });
    });
    return found;
  }
}
