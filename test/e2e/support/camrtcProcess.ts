/**
 * Runs camrtc exactly as a user does (`node dist/server/src/main.js ...`, what `npm start` runs) and
 * reads its JSON log lines. WebRTC is pinned to loopback (--ice-host 127.0.0.1) so tests never send
 * traffic to another address, on a free UDP port (not 8189: tests run beside each other). A later
 * `--webrtc-udp-port` in `args` wins.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { distPath } from '../../helpers/paths.js';

export class CamrtcProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** Every JSON log line so far (pino), for assertions on what a user reads in the logs. */
    readonly logs: Array<Record<string, unknown>>,
    /** Every output line, JSON or not. */
    readonly rawOutput: string[],
  ) {}

  /** `env`: the process's environment (default this one's), e.g. a PATH without ffmpeg. */
  static async start(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CamrtcProcess> {
    const child = spawn(process.execPath, ['--max-semi-space-size=4', distPath('server/src/main.js'), '--port', '0', '--host', '127.0.0.1', '--ice-host', '127.0.0.1', '--webrtc-udp-port', '0', '--log-level', 'debug', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    const logs: Array<Record<string, unknown>> = [];
    const raw: string[] = [];
    let proc: CamrtcProcess | undefined;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        raw.push(line);
        try {
          logs.push(JSON.parse(line));
        } catch {
          /* not a log line */
        }
      });
    }
    return await new Promise<CamrtcProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`camrtc did not start within 15 s:\n${raw.join('\n')}`));
      }, 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!proc) reject(new Error(`camrtc exited with ${code}:\n${raw.join('\n')}`));
      });
      const poll = setInterval(() => {
        const ready = logs.find((l) => typeof l.url === 'string' && String(l.msg ?? '').startsWith('camrtc listening'));
        if (ready) {
          clearInterval(poll);
          clearTimeout(timer);
          proc = new CamrtcProcess(child, String(ready.url), logs, raw);
          resolve(proc);
        }
      }, 50);
      child.once('exit', () => clearInterval(poll));
    });
  }

  /** Sends a signal: SIGKILL (a crash), SIGSTOP and SIGCONT (a frozen process). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves when the process has exited (at once when it has). */
  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => this.child.once('exit', () => r()));
  }

  /** The server's process id (for its child processes: the AAC transcoders). */
  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM, as a user's Ctrl-C or a service manager would; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 6000);
    const code = await exited;
    clearTimeout(t);
    return code;
  }
}
