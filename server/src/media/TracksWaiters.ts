import type { Track } from '../sdp/Track.js';

/** Promises of a camera's tracks, settled when the camera is described, closed or found unplayable. */
export class TracksWaiters {
  #waiters: Array<{ resolve: (t: readonly Track[]) => void; reject: (e: Error) => void }> = [];

  wait(): Promise<readonly Track[]> {
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  resolve(tracks: readonly Track[]): void {
    for (const w of this.#take()) w.resolve(tracks);
  }

  reject(error: Error): void {
    for (const w of this.#take()) w.reject(error);
  }

  #take(): Array<{ resolve: (t: readonly Track[]) => void; reject: (e: Error) => void }> {
    const waiters = this.#waiters;
    this.#waiters = [];
    return waiters;
  }
}
