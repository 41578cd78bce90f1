/**
 * Watches the configuration file and hands its new text over when it changed: fs.watch on the
 * file's directory (editors and `kubectl`/Docker config updates replace the file by renaming another
 * one over it, which a watch on the file itself stops seeing), plus fs.watchFile polling for file
 * systems where fs.watch says nothing (network mounts, some container volumes). Events come in
 * bursts while a file is written, so the text is read once things were quiet for `debounceMs`.
 * A text equal to the last one seen (or the one the control API just wrote) is not handed over.
 */
import { watch, watchFile, unwatchFile, type FSWatcher, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import { MAX_CONFIG_FILE_BYTES } from './configFile.js';

export const CONFIG_DEBOUNCE_MS = 300;
export const CONFIG_POLL_MS = 2_000;

export interface ConfigWatcherOptions {
  path: string;
  /** The file's text when the server started (changes are relative to it). */
  initialText: string;
  /** A new text of the file. Its errors are the caller's (it logs them): never thrown back here. */
  onChange: (text: string) => Promise<unknown> | void;
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
  /** The text last handed over or written by the server itself. */
  #known: string;
  /** A read and hand-over in progress: the next one waits for it (changes apply in order). */
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
    this.#known = options.initialText;
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

  /** The server itself wrote `text` (control API): the change it causes is not a reload. */
  written(text: string): void {
    this.#known = text;
  }

  /** Resolves when pending reads and hand-overs are done (tests). */
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
      this.#running = this.#running.then(() => this.#check());
    }, this.#options.debounceMs ?? CONFIG_DEBOUNCE_MS);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    if (this.#closed) return;
    let text: string;
    try {
      const buf = await readFile(this.path);
      // Half-written or replaced by something else: the next event brings the real content.
      if (buf.length > MAX_CONFIG_FILE_BYTES) {
        this.#log.warn(`configuration file ${this.path} is larger than 1 MiB: not applied, the running configuration stays`);
        return;
      }
      text = buf.toString('utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Deleted, or between the unlink and the rename of a save: the running configuration stays.
      this.#log.warn({ code }, `cannot read configuration file ${this.path}${code === 'ENOENT' ? ': no such file' : ''}: the running configuration stays`);
      return;
    }
    if (text === this.#known || this.#closed) return;
    this.#known = text;
    try {
      await this.#options.onChange(text);
    } catch (err) {
      this.#log.error({ err }, 'applying the configuration file failed');
    }
  }
}
