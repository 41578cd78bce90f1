/**
 * Cost per viewer and per camera: runs a viewer swarm (bench/viewerSwarm.ts, a separate process) against
 * a running server and measures the server process only (CPU user+sys and RSS from /proc) and the
 * packets the viewers lost, over a fixed window after every viewer has its first packet.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { distRoot } from '../test/helpers/paths.js';
import { cpuCores, sampleProcess, udpDrops } from './procStat.js';
import type { BenchServer } from './servers.js';
import { sleep } from './stats.js';
import type { SwarmReply, SwarmSpec } from './viewerSwarm.js';

export interface LoadResult {
  viewers: number;
  cameras: number;
  connected: number;
  failed: number;
  firstError?: string;
  /** Server CPU in cores (1 = one core) during the window, and with no viewer before the swarm. */
  cpu: number;
  idleCpu: number;
  /** Server RSS during the window and with no viewer, bytes. */
  rss: number;
  idleRss: number;
  /** Packets the viewers expected and lost during the window (all viewers together). */
  expected: number;
  lost: number;
  /** Packets received (distinct) during the window, all viewers together. */
  received: number;
  /** Viewers that lost at least one packet in the window. */
  viewersWithLoss: number;
  /** Connected viewers that received nothing during the window. */
  stalled: number;
  /** CPU of the swarm processes together (cores): near 2 means the viewers, not the server, were the limit. */
  swarmCpu: number;
  swarms: number;
  /** Datagrams the kernel dropped at full receive buffers during the window: server sockets, viewer sockets. */
  serverDrops: number;
  viewerDrops: number;
  windowSeconds: number;
}

export interface LoadOptions {
  /** Camera watched by viewer i is cameras[i % cameras.length]. */
  viewers: number;
  cameras: readonly string[];
  idleMs: number;
  warmupMs: number;
  windowMs: number;
}

type Snapshot = Extract<SwarmReply, { type: 'snapshot' }>['viewers'];

/**
 * Viewers per swarm process. One Node process decrypting SRTP for 50 viewers of a 2 Mbit/s camera
 * cannot drain its sockets during keyframe bursts (the kernel drops datagrams, counted below), which
 * would be charged to the server: shards keep the receiving side out of the measurement.
 */
export const VIEWERS_PER_SWARM = 20;

/** One viewer-swarm process and its IPC replies. */
class Swarm {
  readonly child: ChildProcess;
  readonly #replies: SwarmReply[] = [];
  #wake: (() => void) | undefined;
  #stderr = '';
  readonly #exited: Promise<void>;

  constructor(spec: SwarmSpec) {
    this.child = fork(join(distRoot, 'bench/viewerSwarm.js'), [JSON.stringify(spec)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    this.child.on('message', (m: SwarmReply) => {
      this.#replies.push(m);
      this.#wake?.();
    });
    this.#exited = new Promise<void>((r) => this.child.once('exit', () => r()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async next<T extends SwarmReply['type']>(type: T, timeoutMs: number): Promise<Extract<SwarmReply, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#replies.findIndex((r) => r.type === type);
      if (i >= 0) return this.#replies.splice(i, 1)[0] as Extract<SwarmReply, { type: T }>;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`viewer swarm: no ${type} (${this.#stderr.slice(-1500)})`);
      await Promise.race([new Promise<void>((r) => (this.#wake = r)), sleep(500)]);
    }
  }

  async snapshot(): Promise<Snapshot> {
    this.child.send({ type: 'snapshot' });
    return (await this.next('snapshot', 10_000)).viewers;
  }

  async close(): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'close' });
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(t);
  }
}

export async function measureLoad(server: BenchServer, options: LoadOptions): Promise<LoadResult> {
  const idleFrom = sampleProcess(server.pid);
  await sleep(options.idleMs);
  const idleTo = sampleProcess(server.pid);
  const cameras = Array.from({ length: options.viewers }, (_, i) => options.cameras[i % options.cameras.length]);
  const swarms: Swarm[] = [];
  try {
    // Started one after the other: each connects its viewers a few at a time (see viewerSwarm.ts).
    let connected = 0;
    let failed = 0;
    let firstError: string | undefined;
    for (let i = 0; i < cameras.length; i += VIEWERS_PER_SWARM) {
      const swarm = new Swarm({ server: server.name, apiUrl: server.apiUrl, cameras: cameras.slice(i, i + VIEWERS_PER_SWARM), iceAddress: server.iceAddress });
      swarms.push(swarm);
      const ready = await swarm.next('ready', 60_000 + VIEWERS_PER_SWARM * 2000);
      connected += ready.connected;
      failed += ready.failed;
      firstError ??= ready.firstError;
    }
    await sleep(options.warmupMs);
    const before = (await Promise.all(swarms.map((s) => s.snapshot()))).flat();
    const from = sampleProcess(server.pid);
    const swarmFrom = swarms.map((s) => sampleProcess(s.pid));
    const serverDropsFrom = udpDrops(server.pid);
    const viewerDropsFrom = swarms.reduce((n, s) => n + udpDrops(s.pid), 0);
    await sleep(options.windowMs);
    const to = sampleProcess(server.pid);
    const swarmTo = swarms.map((s) => sampleProcess(s.pid));
    const serverDrops = udpDrops(server.pid) - serverDropsFrom;
    const viewerDrops = swarms.reduce((n, s) => n + udpDrops(s.pid), 0) - viewerDropsFrom;
    const after = (await Promise.all(swarms.map((s) => s.snapshot()))).flat();
    return {
      viewers: options.viewers,
      cameras: options.cameras.length,
      connected,
      failed,
      firstError,
      cpu: cpuCores(from, to),
      idleCpu: cpuCores(idleFrom, idleTo),
      rss: Math.max(from.rssBytes, to.rssBytes),
      idleRss: idleTo.rssBytes,
      ...lossBetween(before, after),
      swarmCpu: swarmFrom.reduce((n, f, i) => n + cpuCores(f, swarmTo[i]), 0),
      swarms: swarms.length,
      serverDrops,
      viewerDrops,
      windowSeconds: (to.at - from.at) / 1000,
    };
  } finally {
    await Promise.all(swarms.map((s) => s.close()));
  }
}

/**
 * Loss during the window, per viewer then summed. A viewer that stopped receiving altogether shows no
 * sequence gap (its highest sequence number stands still), so it is counted apart as stalled.
 */
export function lossBetween(before: Snapshot, after: Snapshot): { expected: number; received: number; lost: number; viewersWithLoss: number; stalled: number } {
  let expected = 0;
  let received = 0;
  let lost = 0;
  let viewersWithLoss = 0;
  let stalled = 0;
  after.forEach((a, i) => {
    const b = before[i] ?? { expected: 0, received: 0 };
    const e = a.expected - b.expected;
    const r = a.received - b.received;
    const l = Math.max(0, e - r);
    expected += e;
    received += r;
    lost += l;
    if (l > 0) viewersWithLoss++;
    if (r === 0) stalled++;
  });
  return { expected, received, lost, viewersWithLoss, stalled };
}

