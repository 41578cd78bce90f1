/**
 * A child process of the benchmark (camera, server, viewer swarm): keeps the last output for error
 * messages, and stops with SIGTERM then SIGKILL. close() is idempotent.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

const OUTPUT_LINES_KEPT = 200;
const KILL_AFTER_MS = 5000;

export class Child {
  readonly output: string[] = [];
  readonly #child: ChildProcess;
  #closed = false;
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, command: string, args: string[], options: SpawnOptions = {}) {
    this.#child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.exited = new Promise((r) => this.#child.once('exit', (code) => r(code)));
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.output.push(line);
        if (this.output.length > OUTPUT_LINES_KEPT) this.output.shift();
        for (const l of this.#lineListeners) l(line);
      });
    }
  }

  readonly #lineListeners = new Set<(line: string) => void>();

  get pid(): number {
    if (this.#child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.#child.pid;
  }

  get process(): ChildProcess {
    return this.#child;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `listener` with every output line from now on, for the child's life. */
  onLine(listener: (line: string) => void): void {
    this.#lineListeners.add(listener);
  }

  /** Resolves with the first output line `match` accepts (its return value), or rejects on exit/timeout. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#lineListeners.delete(listener);
        this.#child.off('exit', onExit);
      };
      const listener = (line: string): void => {
        const value = match(line);
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const onExit = (code: number | null): void => {
        done();
        reject(new Error(`${this.name} exited with ${code}:\n${this.output.slice(-30).join('\n')}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.output.slice(-30).join('\n')}`));
      }, timeoutMs);
      this.#lineListeners.add(listener);
      this.#child.once('exit', onExit);
      for (const line of this.output) listener(line);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const t = setTimeout(() => this.#child.kill('SIGKILL'), KILL_AFTER_MS);
    await this.exited;
    clearTimeout(t);
  }
}
