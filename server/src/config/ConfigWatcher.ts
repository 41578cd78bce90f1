/**
 * Says when the configuration file may have changed: fs.watch on the file's directory (editors and
 * `kubectl`/Docker config updates replace the file by renaming another one over it, which a watch
 * on the file itself stops seeing), plus fs.watchFile polling for file systems where fs.watch says
 * nothing (network mounts, some container volumes). Events come in bursts while a file is written,
 * so `onChange` is called once things were quiet for `debounceMs`, and never twice at once.
 *
 * Reading the file and comparing it with the text last applied or written is the caller's
 * (CameraControl.reload), in the same queue as the control API's own writes: a read here could see
 * the file as it was just before an API write and take it for an edit that undoes that write.
 */
import { watch, watchFile, unwatchFile, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';

export const CONFIG_DEBOUNCE_MS = 300;
export const CONFIG_POLL_MS = 2_000;

export interface ConfigWatcherOptions {
  path: string;
  /** The file may have changed. Its errors are the caller's (it logs them): never thrown back here. */
  onChange: () => Promise<unknown> | void;
  logger: Logger;
  debounceMs?: number;
  pollMs?: number;
}

export class ConfigWatcher {
  readonly path: string;
  readonly #options: ConfigWatcherOptions;
  readonly #log: Logger;
  readonly #name: string;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The last onChange in progress: the next one waits for it (changes apply in order). */
  #running: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #onPoll = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino) this.#schedule();
  };

  constructor(options: ConfigWatcherOptions) {
    this.#options = options;
    this.path = resolve(options.path);
    this.#log = options.logger;
    this.#name = basename(this.path);
    try {
      // The directory, not the file: a rename over the file (atomic save) is seen, and so is the
      // file coming back after it was deleted.
      this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === this.#name) this.#schedule();
      });
      this.#watcher.on('error', (err) => {
        this.#log.warn({ err }, 'configuration file watch failed; polling it instead');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#log.warn({ err }, 'cannot watch the configuration file directory; polling it instead');
    }
    watchFile(this.path, { persistent: false, interval: options.pollMs ?? CONFIG_POLL_MS }, this.#onPoll);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when pending notifications are handled (tests). */
  settled(): Promise<void> {
    return this.#running;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
    unwatchFile(this.path, this.#onPoll);
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#running.then(() => this.#notify());
    }, this.#options.debounceMs ?? CONFIG_DEBOUNCE_MS);
    this.#timer.unref();
  }

  async #notify(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#options.onChange();
    } catch (err) {
      this.#log.error({ err }, 'applying the configuration file failed');
    }
  }
}
