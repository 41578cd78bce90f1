/**
 * The cluster's one connection to Redis (ioredis). Commands never queue while Redis is away: they
 * fail at once (enableOfflineQueue off) or after COMMAND_TIMEOUT_MS, as ERR_CLUSTER_UNAVAILABLE,
 * so a node whose Redis is gone keeps serving instead of piling up requests; ioredis reconnects by
 * itself. Its errors are logged once per outage (never thrown, never the URL's password).
 */
import { Redis } from 'ioredis';
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { TypedEmitter } from '../util/TypedEmitter.js';

/** How long a command may take before it counts as failed. */
export const COMMAND_TIMEOUT_MS = 1_000;
/** Reconnect delay ceiling while Redis is away. */
const MAX_RECONNECT_MS = 1_000;

export type RedisLinkEvents = {
  /** Redis answers again (or for the first time). */
  up: [];
  /** Redis went away. */
  down: [];
  listenererror: [string, unknown];
};

/** The commands the cluster's scripts add to the client (LeaseStore). */
export type ScriptedRedis = Redis & Record<string, (...args: Array<string | number>) => Promise<unknown>>;

export class RedisLink extends TypedEmitter<RedisLinkEvents> {
  readonly client: ScriptedRedis;
  readonly #log: Logger;
  #up = false;
  /** An outage was logged already (ioredis reports every failed reconnect). */
  #warned = false;
  #closed = false;

  constructor(url: string, logger: Logger, options: { commandTimeoutMs?: number } = {}) {
    super();
    this.#log = logger;
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      enableAutoPipelining: false,
      // Forever, at most a second apart: a node waits for its Redis, it never gives up on it.
      retryStrategy: (times) => Math.min(100 * times, MAX_RECONNECT_MS),
      reconnectOnError: () => false,
    }) as ScriptedRedis;
    this.client.on('error', (err: Error) => {
      // ioredis reports every failed reconnect: once per outage is enough.
      if (this.#up || !this.#warned) this.#log.warn({ code: (err as NodeJS.ErrnoException).code }, `cluster: redis error: ${redactText(err.message)}`);
      this.#warned = true;
    });
    this.client.on('ready', () => {
      if (this.#up) return;
      this.#up = true;
      this.#warned = false;
      this.#log.info('cluster: connected to redis');
      this.safeEmit('up');
    });
    this.client.on('close', () => {
      if (!this.#up) return;
      this.#up = false;
      if (!this.#closed) this.#log.warn('cluster: lost the connection to redis: serving current viewers, taking no new camera until it is back');
      this.safeEmit('down');
    });
  }

  /** Whether Redis answered last time (commands may still fail). */
  get up(): boolean {
    return this.#up;
  }

  /** Connects, waiting at most `timeoutMs`; a Redis that is not there yet is no error (ioredis keeps trying). */
  async connect(timeoutMs = 2_000): Promise<boolean> {
    if (this.#up) return true;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.off('up', onUp);
        resolve(ok);
      };
      const onUp = (): void => done(true);
      this.on('up', onUp);
    });
    this.client.connect().catch(() => undefined);
    return ready;
  }

  /**
   * Runs one Redis operation: its failure (Redis away, timeout, a script error) becomes
   * ERR_CLUSTER_UNAVAILABLE; nothing else escapes.
   */
  async run<T>(what: string, op: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', 'the cluster is closed');
    try {
      return await op(this.client);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new CamrtcError('ERR_CLUSTER_UNAVAILABLE', `the cluster's redis did not answer (${what}): ${redactText(message)}`, {}, { cause: err });
    }
  }

  /** Disconnects (QUIT when connected). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.client.status === 'ready') await Promise.race([this.client.quit(), new Promise((r) => setTimeout(r, 500).unref())]);
    } catch {
      /* going anyway */
    }
    this.client.disconnect(false);
    this.removeAllListeners();
  }
}
