/**
 * The cluster's nodes in Redis: each node writes its record (where it is reached, its load, what it
 * serves) under its own key with a TTL, and rewrites it every heartbeat; a node that stops (crash,
 * freeze, network) disappears when the TTL runs out. Records read back are checked (zod): a record
 * that does not parse is no node, never a crash.
 */
import { z } from 'zod';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { Logger } from '../log/logger.js';
import type { RedisLink } from './RedisLink.js';

/** At most this many node keys are read when listing (a cluster is a handful of nodes). */
export const MAX_NODES_LISTED = 256;

const NodeRecordSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  /** Base URLs: pages and signaling (http), the RTSP restream (rtsp). */
  http: z.string().max(300),
  rtsp: z.string().max(300).optional(),
  /** Viewers of every camera (WebRTC sessions and RTSP clients): the load that makes a node busy. */
  viewers: z.number().int().min(0),
  /** Cameras this node pulls from the camera itself (it holds their lease). */
  owned: z.array(z.string().max(64)).max(10_000),
  /** Cameras this node pulls from their owner's restream. */
  relayed: z.array(z.string().max(64)).max(10_000),
  /** Shutting down: sends no viewer here, relays from here only until it lets go. */
  draining: z.boolean(),
  startedAt: z.string().max(40),
});
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

/** A node as listed: its record and how long until it expires without a heartbeat. */
export interface NodeEntry extends NodeRecord {
  readonly ttlMs: number;
}

export function parseNodeRecord(text: unknown): NodeRecord | undefined {
  if (typeof text !== 'string' || text.length > 1_000_000) return undefined;
  try {
    const parsed = NodeRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export type NodeRegistryEvents = { listenererror: [string, unknown] };

export interface NodeRegistryOptions {
  readonly link: RedisLink;
  readonly keyPrefix: string;
  /** This node's record as of now (called at every heartbeat). */
  readonly record: () => NodeRecord;
  /** Record TTL; a heartbeat every third of it. */
  readonly ttlMs: number;
  readonly logger: Logger;
}

export class NodeRegistry extends TypedEmitter<NodeRegistryEvents> {
  readonly #options: NodeRegistryOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #closed = false;

  constructor(options: NodeRegistryOptions) {
    super();
    this.#options = options;
  }

  nodeKey(id: string): string {
    return `${this.#options.keyPrefix}:node:${id}`;
  }

  /** Heartbeats from now on (the first at once). */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#beat();
  }

  /** Writes the record now (a change others should see at once: draining). Errors are logged. */
  async publish(): Promise<void> {
    if (this.#closed) return;
    const record = this.#options.record();
    await this.#options.link
      .run('heartbeat', (c) => c.set(this.nodeKey(record.id), JSON.stringify(record), 'PX', this.#options.ttlMs))
      .catch((err: unknown) => this.#options.logger.debug({ err }, 'cluster: heartbeat failed'));
  }

  /** One node's record, when it is registered. Throws ERR_CLUSTER_UNAVAILABLE. */
  async node(id: string): Promise<NodeEntry | undefined> {
    const key = this.nodeKey(id);
    const [value, ttl] = await this.#options.link.run('read a node', async (c) => {
      const reply = await c.pipeline().get(key).pttl(key).exec();
      const failed = reply?.find(([err]) => err);
      if (!reply || failed) throw failed?.[0] ?? new Error('no reply');
      return [reply[0]![1], reply[1]![1]] as const;
    });
    const record = parseNodeRecord(value);
    return record && record.id === id ? { ...record, ttlMs: typeof ttl === 'number' && ttl > 0 ? ttl : 0 } : undefined;
  }

  /** Every registered node (at most MAX_NODES_LISTED). Throws ERR_CLUSTER_UNAVAILABLE. */
  async nodes(): Promise<NodeEntry[]> {
    const keys = await this.#options.link.run('list nodes', async (c) => {
      const found = new Set<string>();
      let cursor = '0';
      // SCAN walks the key space in steps; bounded, whatever the Redis holds.
      for (let i = 0; i < 1000; i++) {
        const [next, batch] = await c.scan(cursor, 'MATCH', this.nodeKey('*'), 'COUNT', 200);
        for (const k of batch) if (found.size < MAX_NODES_LISTED) found.add(k);
        cursor = next;
        if (cursor === '0' || found.size >= MAX_NODES_LISTED) break;
      }
      return [...found];
    });
    const prefix = this.nodeKey('');
    const entries = await Promise.all(keys.map((k) => this.node(k.slice(prefix.length)).catch(() => undefined)));
    return entries.filter((e): e is NodeEntry => e !== undefined).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Stops the heartbeat and removes this node's record (best effort). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    const id = this.#options.record().id;
    await this.#options.link.run('deregister', (c) => c.del(this.nodeKey(id))).catch(() => undefined);
  }

  async #beat(): Promise<void> {
    if (this.#closed) return;
    await this.publish();
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#beat(), Math.max(100, Math.floor(this.#options.ttlMs / 3)));
    this.#timer.unref();
  }
}
