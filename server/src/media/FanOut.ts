/**
 * A camera's frames to every subscribed sink, in the packet's tick (invariant 2). A sink that throws
 * is logged and skipped; it never stops the others. The restream and the WebRTC viewers subscribe
 * the same way.
 */
import type { Logger } from '../log/logger.js';
import type { FrameSink } from './Camera.js';
import type { MediaFrame } from './MediaFrame.js';

export class FanOut {
  readonly #sinks = new Set<FrameSink>();
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  get size(): number {
    return this.#sinks.size;
  }

  add(sink: FrameSink): void {
    this.#sinks.add(sink);
  }

  delete(sink: FrameSink): void {
    this.#sinks.delete(sink);
  }

  deliver(frame: MediaFrame): void {
    for (const sink of this.#sinks) {
      try {
        sink.onFrame(frame);
      } catch (err) {
        this.#log.error({ err }, 'viewer failed to take a frame');
      }
    }
  }

  clear(): void {
    this.#sinks.clear();
  }
}
