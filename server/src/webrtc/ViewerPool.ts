/**
 * One spare Viewer per watched camera, its offer already made (ICE gathered), so the next `watch`
 * of that camera gets its offer at once instead of after werift builds a peer connection, creates
 * the offer and gathers candidates (10 ms on an idle machine, 40–150 ms on a busy one: all of it on
 * the first-frame path). A spare is made after a viewer of the camera connected, not before: a
 * camera nobody watches holds no spare, and one that nobody watched for `idleMs` lets it go.
 *
 * Page offers: the camera page carries an offer in its HTML (reserve()), so the browser answers it
 * while the signaling socket is still opening; the socket then claims that viewer by the page's
 * ticket (claim()). A page offer nobody claims within RESERVATION_TTL_MS is closed, and each camera
 * has at most MAX_RESERVATIONS_PER_CAMERA outstanding, so fetching the page in a loop holds a few
 * viewers for a few seconds at most.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { Camera } from '../media/Camera.js';
import type { Track } from '../sdp/Track.js';
import type { IceServer, ViewerNetworkOptions } from './peerConfig.js';
import { settleWithin } from '../util/settleWithin.js';
import type { PageOffer } from '../../../shared/protocol.js';
import { Viewer } from './Viewer.js';
import { talkFormatOf } from '../talk/talkPlan.js';

/** A spare nobody took for this long is closed (its UDP socket released). */
export const SPARE_IDLE_MS = 5 * 60_000;
/** A page offer whose socket did not claim it by then is closed (the page then gets a fresh offer). */
export const RESERVATION_TTL_MS = 15_000;
/** Unclaimed page offers per camera; past this, pages are served without one. */
export const MAX_RESERVATIONS_PER_CAMERA = 4;
/**
 * How long reserve() waits for a viewer it had to make (no spare): a page is not held back longer
 * than the socket round trip the offer saves. The viewer becomes the camera's spare instead.
 */
export const RESERVE_OFFER_WAIT_MS = 100;

export interface ViewerPoolOptions {
  /** The servers, or a function asked for each viewer made (TURN REST credentials expire). */
  iceServers: readonly IceServer[] | (() => readonly IceServer[]);
  network: ViewerNetworkOptions;
  logger: Logger;
  idleMs?: number;
  /** Default RESERVATION_TTL_MS. */
  reservationTtlMs?: number;
}

export interface PreparedViewer {
  viewer: Viewer;
  /** The offer (full, not trickled); rejects like Viewer.createOffer. */
  offer: Promise<string>;
}

interface Spare extends PreparedViewer {
  source: Camera;
  tracks: readonly Track[];
  /** Its expiry: as a spare (idleMs) or as a page offer (RESERVATION_TTL_MS). */
  timer: NodeJS.Timeout | undefined;
}

let spareCounter = 0;

export class ViewerPool {
  readonly #options: ViewerPoolOptions;
  readonly #spares = new Map<string, Spare>();
  /** prepareLater timers, by spare key. */
  readonly #scheduled = new Map<string, NodeJS.Timeout>();
  /** Page offers by ticket. */
  readonly #reserved = new Map<string, Spare>();
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
  /** Page offers not claimed yet (for tests and stats). */
  get reservedCount(): number {
    return this.#reserved.size;
  }

  /**
   * The spare for this camera, if there is one made for these very tracks (a camera that restarted
   * may describe other ones: its spare is then dropped). The caller owns the viewer from now on.
   */
  take(source: Camera, tracks: readonly Track[], h265: boolean): PreparedViewer | undefined {
    return this.#handOver(this.#spares, spareKey(source, h265), source, tracks);
  }

  /**
   * Makes a spare for this camera after `delayMs` (unless one exists or is scheduled by then), even
   * if the viewer that asked has left meanwhile. Never throws.
   */
  prepareLater(source: Camera, tracks: readonly Track[], h265: boolean, delayMs: number): void {
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
  prepare(source: Camera, tracks: readonly Track[], h265: boolean): void {
    if (this.#closed) return;
    const key = spareKey(source, h265);
    if (this.#spares.has(key)) return;
    const spare = this.#make(source, tracks, h265);
    if (spare) this.#keepSpare(key, spare);
  }

  /**
   * An offer for a page about to be served: the camera's spare, or a viewer made now if it is ready
   * within RESERVE_OFFER_WAIT_MS. Undefined (serve the page without one) when the camera already
   * has its share of unclaimed page offers, no offer is ready in time, or the camera sends H.265.
   * Never rejects.
   */
  async reserve(source: Camera, tracks: readonly Track[]): Promise<PageOffer | undefined> {
    // The page cannot know whether its browser plays H.265; such cameras take the socket's path.
    if (this.#closed || tracks.some((t) => t.codec === 'H265')) return undefined;
    let pending = 0;
    for (const r of this.#reserved.values()) if (r.source === source) pending++;
    if (pending >= MAX_RESERVATIONS_PER_CAMERA) return undefined;
    const key = spareKey(source, false);
    const spare = this.#handOver(this.#spares, key, source, tracks);
    const entry: Spare | undefined = spare ? { ...spare, source, tracks, timer: undefined } : this.#make(source, tracks, false);
    if (!entry) return undefined;
    const ticket = randomBytes(16).toString('base64url');
    // Held as reserved from now on, so the per-camera limit counts it while its offer is made.
    entry.timer = setTimeout(() => this.#expireReservation(ticket, entry), this.#options.reservationTtlMs ?? RESERVATION_TTL_MS);
    entry.timer.unref();
    this.#reserved.set(ticket, entry);
    const sdp = await settleWithin(entry.offer.catch(() => undefined), RESERVE_OFFER_WAIT_MS);
    if (sdp !== undefined && this.#reserved.get(ticket) === entry) return { ticket, sdp };
    // Not ready in time (or failed): the viewer becomes the spare rather than be wasted (#keepSpare
    // drops it if its offer fails).
    if (this.#reserved.get(ticket) === entry) {
      this.#reserved.delete(ticket);
      clearTimeout(entry.timer);
      if (this.#closed || this.#spares.has(key)) void this.#discard(entry);
      else this.#keepSpare(key, entry);
    }
    return undefined;
  }

  /**
   * The viewer of the page offer `ticket`, if it is still there and was made for this camera and
   * these very tracks; the caller owns it from now on. A ticket is good for one claim.
   */
  claim(ticket: string, source: Camera, tracks: readonly Track[]): PreparedViewer | undefined {
    return this.#handOver(this.#reserved, ticket, source, tracks);
  }

  /** Closes every spare and unclaimed page offer. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#scheduled.values()) clearTimeout(timer);
    this.#scheduled.clear();
    const spares = [...this.#spares.values(), ...this.#reserved.values()];
    this.#spares.clear();
    this.#reserved.clear();
    for (const s of spares) clearTimeout(s.timer);
    await Promise.all(spares.map((s) => this.#discard(s)));
  }

  /**
   * Takes `key` out of `map` and hands its viewer over when it was made for this camera and these
   * very tracks (a camera that restarted may describe other ones); otherwise closes it.
   */
  #handOver<K>(map: Map<K, Spare>, key: K, source: Camera, tracks: readonly Track[]): PreparedViewer | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    map.delete(key);
    clearTimeout(entry.timer);
    if (entry.source !== source || entry.tracks !== tracks) {
      void this.#discard(entry);
      return undefined;
    }
    return { viewer: entry.viewer, offer: entry.offer };
  }

  #make(source: Camera, tracks: readonly Track[], h265: boolean): Spare | undefined {
    let viewer: Viewer;
    try {
      viewer = new Viewer({
        id: `spare-${++spareCounter}`,
        tracks,
        h265,
        iceServers: typeof this.#options.iceServers === 'function' ? this.#options.iceServers() : this.#options.iceServers,
        network: this.#options.network,
        talk: talkFormatOf(source),
        logger: this.#options.logger,
      });
    } catch (err) {
      this.#options.logger.debug({ err, camera: source.name }, 'no spare viewer for this camera');
      return undefined;
    }
    const offer = viewer.createOffer();
    // Whoever holds it when it fails discards it (#keepSpare, reserve); this only keeps the rejection handled.
    offer.catch((err: unknown) => this.#options.logger.debug({ err, camera: source.name }, 'spare viewer offer failed'));
    return { viewer, offer, source, tracks, timer: undefined };
  }

  #keepSpare(key: string, spare: Spare): void {
    spare.timer = setTimeout(() => this.#expire(key, spare), this.#options.idleMs ?? SPARE_IDLE_MS);
    spare.timer.unref();
    this.#spares.set(key, spare);
    spare.offer.catch(() => {
      if (this.#spares.get(key) === spare) {
        this.#spares.delete(key);
        clearTimeout(spare.timer);
        void this.#discard(spare);
      }
    });
  }

  #expireReservation(ticket: string, entry: Spare): void {
    if (this.#reserved.get(ticket) !== entry) return;
    this.#reserved.delete(ticket);
    void this.#discard(entry);
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

function spareKey(source: Camera, h265: boolean): string {
  return `${source.name}\u0000${h265 ? 'h265' : 'h264'}`;
}
