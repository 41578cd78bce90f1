/**
 * A real TURN server: Debian's coturn (`turnserver`) on loopback, with TURN REST authentication
 * (`use-auth-secret`, `static-auth-secret`) as a deployment next to camrtc runs it. Loopback peers are
 * allowed (coturn refuses them by default), TLS, DTLS, the CLI and every configuration file are off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TURNSERVER = '/usr/bin/turnserver';

export interface CoturnOptions {
  /** The static-auth-secret camrtc shares with it. */
  secret: string;
  realm?: string;
}

/** A TCP port free right now on 127.0.0.1 (coturn takes the same number for UDP and TCP). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export class Coturn {
  /** Everything it printed (its log goes to stdout). */
  readonly output: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Why the TURN tests cannot run here, or undefined when they can. */
  static missing(): string | undefined {
    return existsSync(TURNSERVER) ? undefined : `${TURNSERVER} not found (apt-get install coturn); skipping the TURN tests`;
  }

  /** `turn:127.0.0.1:PORT?transport=udp`. */
  get url(): string {
    return `turn:127.0.0.1:${this.port}?transport=udp`;
  }

  static async start(options: CoturnOptions): Promise<Coturn> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-coturn-'));
    // Relay ports: a random block of 200, so parallel runs on one machine rarely meet.
    const minPort = 40_000 + Math.floor(Math.random() * 100) * 200;
    const args = [
      '-n',
      `--listening-ip=127.0.0.1`,
      `--relay-ip=127.0.0.1`,
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${minPort + 199}`,
      '--use-auth-secret',
      `--static-auth-secret=${options.secret}`,
      `--realm=${options.realm ?? 'camrtc.test'}`,
      '--allow-loopback-peers',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--no-tcp-relay',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--userdb=${join(dir, 'turndb.sqlite')}`,
      '--log-file=stdout',
      '--simple-log',
    ];
    const child = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const turn = new Coturn(child, port, dir);
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (d: Buffer) => turn.output.push(...d.toString().split('\n').filter((l) => l.trim())));
    }
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}:\n${turn.output.join('\n')}`);
      if (Date.now() > deadline) {
        await turn.stop();
        throw new Error(`turnserver did not listen on ${port} within 10 s:\n${turn.output.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return turn;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
