import type { MediaFrame } from './MediaFrame.js';

/** A GOP longer than this many frames (10 s at 30 fps) is not kept: the replay would take too long. */
export const MAX_GOP_FRAMES = 300;
/** Nor one bigger than this (a burst a browser's socket buffer and decoder can take at once). */
export const MAX_GOP_BYTES = 8 * 1024 * 1024;

/**
 * The current group of pictures of one video track: the last keyframe and every frame after it. A
 * new viewer decodes it at once and shows the live picture without waiting up to a whole camera GOP
 * for the next keyframe. Pure: no timer, no I/O. Frames are the Source's shared objects (no copy).
 */
export class GopCache {
  #frames: MediaFrame[] = [];
  #bytes = 0;

  /** Called for every delivered frame of the track, in order. */
  push(frame: MediaFrame): void {
    if (frame.keyframe) {
      this.#frames = [];
      this.#bytes = 0;
    } else if (this.#frames.length === 0 || frame.generation !== this.#frames[0].generation) {
      // Without its keyframe (or from another camera session) a P-frame is useless to a new decoder.
      this.clear();
      return;
    }
    let size = 0;
    for (const p of frame.payloads) size += p.length;
    if (this.#frames.length >= MAX_GOP_FRAMES || this.#bytes + size > MAX_GOP_BYTES) {
      // Too long to replay: new viewers wait for the next keyframe instead.
      this.clear();
      return;
    }
    this.#frames.push(frame);
    this.#bytes += size;
  }

  /** The cached frames, keyframe first (empty when none). A snapshot: later pushes do not change it. */
  frames(): readonly MediaFrame[] {
    return this.#frames.slice();
  }

  get size(): number {
    return this.#frames.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#frames = [];
    this.#bytes = 0;
  }
}
