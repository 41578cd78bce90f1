/**
 * One spare Viewer per watched camera, its offer already made (ICE gathered), so the next `watch`
 * of that camera gets its offer at once instead of after werift builds a peer connection, creates
 * the offer and gathers candidates (10 ms on an idle machine, 40–150 ms on a busy one: all of it on
 * the first-frame path). A spare is made after a viewer of the camera connected, not before: a
 * camera nobody watches holds no spare, and one that nobody watched for `idleMs` lets it go.
 */
import type { Logger } from '../log/logger.js';
import type { CameraSource } from '../media/CameraSource.js';
import type { Track } from '../sdp/Track.js';
import type { IceServer, ViewerNetworkOptions } from './peerConfig.js';
import { Viewer } from './Viewer.js';

/** A spare nobody took for this long is closed (its UDP socket released). */
export const SPARE_IDLE_MS = 5 * 60_000;

export interface ViewerPoolOptions {
  iceServers: readonly IceServer[];
  network: ViewerNetworkOptions;
  logger: Logger;
  idleMs?: number;
}

export interface PreparedViewer {
  viewer: Viewer;
  /** The offer (full, not trickled); rejects like Viewer.createOffer. */
  offer: Promise<string>;
}

interface Spare extends PreparedViewer {
  source: CameraSource;
  tracks: readonly Track[];
  timer: NodeJS.Timeout;
}

let spareCounter = 0;

export class ViewerPool {
  readonly #options: ViewerPoolOptions;
  readonly #spares = new Map<string, Spare>();
  /** prepareLater timers, by spare key. */
  readonly #scheduled = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(options: ViewerPoolOptions) {
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Spares currently held (for tests and stats). */
  get size(): number {
    return this.#spares.size;
  }

  /**
   * The spare for this camera, if there is one made for these very tracks (a camera that restarted
   * may describe other ones: its spare is then dropped). The caller owns the viewer from now on.
   */
  take(source: CameraSource, tracks: readonly Track[], h265: boolean): PreparedViewer | undefined {
    const key = spareKey(source, h265);
    const spare = this.#spares.get(key);
    if (!spare) return undefined;
    this.#spares.delete(key);
    clearTimeout(spare.timer);
    if (spare.source !== source || spare.tracks !== tracks) {
      void this.#discard(spare);
      return undefined;
    }
    return { viewer: spare.viewer, offer: spare.offer };
  }

  /**
   * Makes a spare for this camera after `delayMs` (unless one exists or is scheduled by then), even
   * if the viewer that asked has left meanwhile. Never throws.
   */
  prepareLater(source: CameraSource, tracks: readonly Track[], h265: boolean, delayMs: number): void {
    if (this.#closed) return;
    const key = spareKey(source, h265);
    if (this.#spares.has(key) || this.#scheduled.has(key)) return;
    const timer = setTimeout(() => {
      this.#scheduled.delete(key);
      this.prepare(source, tracks, h265);
    }, delayMs);
    timer.unref();
    this.#scheduled.set(key, timer);
  }

  /** Makes a spare for the next watch of this camera, unless one exists. Never throws. */
  prepare(source: CameraSource, tracks: readonly Track[], h265: boolean): void {
    if (this.#closed) return;
    const key = spareKey(source, h265);
    if (this.#spares.has(key)) return;
    let viewer: Viewer;
    try {
      viewer = new Viewer({
        id: `spare-${++spareCounter}`,
        tracks,
        h265,
        iceServers: this.#options.iceServers,
        network: this.#options.network,
        requestKeyframe: () => source.requestKeyframe(),
        logger: this.#options.logger,
      });
    } catch (err) {
      this.#options.logger.debug({ err, camera: source.name }, 'no spare viewer for this camera');
      return;
    }
    const offer = viewer.createOffer();
    const spare: Spare = { viewer, offer, source, tracks, timer: setTimeout(() => this.#expire(key, spare), this.#options.idleMs ?? SPARE_IDLE_MS) };
    spare.timer.unref();
    this.#spares.set(key, spare);
    offer.catch((err: unknown) => {
      this.#options.logger.debug({ err, camera: source.name }, 'spare viewer offer failed');
      if (this.#spares.get(key) === spare) {
        this.#spares.delete(key);
        clearTimeout(spare.timer);
        void this.#discard(spare);
      }
    });
  }

  /** Closes every spare. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#scheduled.values()) clearTimeout(timer);
    this.#scheduled.clear();
    const spares = [...this.#spares.values()];
    this.#spares.clear();
    for (const s of spares) clearTimeout(s.timer);
    await Promise.all(spares.map((s) => this.#discard(s)));
  }

  #expire(key: string, spare: Spare): void {
    if (this.#spares.get(key) !== spare) return;
    this.#spares.delete(key);
    void this.#discard(spare);
  }

  async #discard(spare: Spare): Promise<void> {
    await spare.offer.catch(() => undefined);
    await spare.viewer.close();
  }
}

function spareKey(source: CameraSource, h265: boolean): string {
  return `${source.name}\u0000${h265 ? 'h265' : 'h264'}`;
}
