/**
 * A private redis-server for one test (Debian package redis-server): loopback only, on a free port,
 * nothing written to disk. `missing()` says why the cluster tests are skipped when it is absent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export class RedisServer {
  #child: ChildProcess;
  private constructor(child: ChildProcess, readonly port: number) {
    this.#child = child;
  }

  static missing(): string | undefined {
    return spawnSync('redis-server', ['--version']).error ? 'redis-server is not installed (apt-get install redis-server): skipping the cluster tests' : undefined;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts one (on `port` when given: a restarted Redis comes back where the nodes look for it). */
  static async start(port?: number): Promise<RedisServer> {
    const chosen = port ?? (await freePort());
    const child = spawn('redis-server', ['--save', '', '--appendonly', 'no', '--port', String(chosen), '--bind', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`redis-server did not start within 10 s: ${output}`));
      }, 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        output = (output + d.toString()).slice(-4000);
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
    child.stdout!.resume();
    child.stderr!.resume();
    return new RedisServer(child, chosen);
  }

  /** SIGKILL: Redis vanishes, with everything it held. */
  async kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.kill('SIGKILL');
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}
