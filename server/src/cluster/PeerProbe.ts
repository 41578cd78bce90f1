/**
 * Whether a peer node answers at its advertised HTTP address, before a viewer is redirected there: a
 * node that crashed a moment ago is still registered (and still owns its cameras) until its TTL runs
 * out, and sending viewers to it would only make them fail and come back. A TCP connect, at most
 * PROBE_TIMEOUT_MS, remembered for PROBE_CACHE_MS.
 */
import { connect } from 'node:net';

export const PROBE_TIMEOUT_MS = 500;
export const PROBE_CACHE_MS = 1_000;
const MAX_CACHED = 256;

export class PeerProbe {
  readonly #cache = new Map<string, { ok: boolean; at: number; pending?: Promise<boolean> }>();
  readonly #timeoutMs: number;

  constructor(timeoutMs = PROBE_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  reachable(httpUrl: string): Promise<boolean> {
    let host: string;
    let port: number;
    try {
      const url = new URL(httpUrl);
      host = url.hostname.replace(/^\[|\]$/g, '');
      port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    } catch {
      return Promise.resolve(false);
    }
    const key = `${host}:${port}`;
    const now = performance.now();
    const cached = this.#cache.get(key);
    if (cached?.pending) return cached.pending;
    if (cached && now - cached.at < PROBE_CACHE_MS) return Promise.resolve(cached.ok);
    const pending = this.#connect(host, port).then((ok) => {
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(key, { ok, at: performance.now() });
      return ok;
    });
    this.#cache.set(key, { ok: cached?.ok ?? false, at: cached?.at ?? 0, pending });
    return pending;
  }

  /** Forgets what was learnt (a node known dead). */
  forget(httpUrl: string): void {
    try {
      const url = new URL(httpUrl);
      this.#cache.delete(`${url.hostname.replace(/^\[|\]$/g, '')}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`);
    } catch {
      /* nothing cached for it */
    }
  }

  #connect(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), this.#timeoutMs);
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  }
}
