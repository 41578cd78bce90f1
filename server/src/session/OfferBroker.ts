/**
 * Viewers made before a session asks for one, so the first frame does not wait for werift to build a
 * peer connection and gather ICE (10-150 ms): the spare per watched camera, and the camera page's
 * offer (docs/signaling.md, "The camera page's offer"). Both live in one ViewerPool; this broker is
 * the only thing that knows their tickets.
 *
 * A session sees a ViewerSupply: "a prepared viewer for this camera, these tracks, this browser?",
 * answered with the viewer, its offer, and for the page's viewer the answer (and candidates) the page
 * sent before the session existed. The transport adapter turns a `watch` with a ticket into a
 * PageClaim (a ViewerSupply that first tries the page's viewer) and routes the page's early `answer`
 * and `candidate` messages to it; the session never sees a ticket.
 */
import type { Logger } from '../log/logger.js';
import type { Camera } from '../media/Camera.js';
import type { Track } from '../sdp/Track.js';
import { ViewerPool, type PreparedViewer } from '../webrtc/ViewerPool.js';
import type { IceCandidate, PageOffer } from '../../../shared/protocol.js';
import type { PeerSettings } from './PeerSettings.js';

/**
 * The pool's next spare viewer is made this long after a viewer connected: by then its first frame
 * is on screen (making it at once slowed that frame on a 2-core machine).
 */
export const SPARE_AFTER_CONNECT_MS = 1_000;

/** Candidates kept while an answer to the page's offer waits for the session's viewer. */
export const MAX_EARLY_CANDIDATES = 16;

/** The browser's answer to a prepared offer, sent before the session had that viewer. */
export interface EarlyAnswer {
  readonly sdp: string;
  /** The candidates the browser trickled after it, in order (null: no more). */
  readonly candidates: readonly (IceCandidate | null)[];
}

export interface SuppliedViewer extends PreparedViewer {
  /** 'page': the viewer whose offer the page carries; 'spare': the camera's spare. */
  readonly origin: 'page' | 'spare';
  /** The page's viewer only: its answer, already here; apply it (then its candidates) at once. */
  readonly early?: EarlyAnswer;
}

/** What a viewer session asks of the broker (directly, or through its page's claim). */
export interface ViewerSupply {
  /**
   * A viewer with its full (not trickled) offer made for this camera and these very tracks, which
   * the caller owns from now on; undefined: make one. Called once per session.
   */
  take(camera: Camera, tracks: readonly Track[], h265: boolean): SuppliedViewer | undefined;
  /** A viewer of this camera connected: the next watch of it will want a spare. Never throws. */
  connected(camera: Camera, tracks: readonly Track[], h265: boolean): void;
}

export interface OfferBrokerOptions {
  peer: PeerSettings;
  logger: Logger;
  /** For tests: ViewerPool's spare idle time and page offer lifetime. */
  spareIdleMs?: number;
  reservationTtlMs?: number;
}

export class OfferBroker implements ViewerSupply {
  readonly #pool: ViewerPool;
  readonly #logger: Logger;

  constructor(options: OfferBrokerOptions) {
    this.#logger = options.logger;
    this.#pool = new ViewerPool({
      iceServers: options.peer.serverIceServers,
      network: options.peer.network,
      logger: options.logger,
      idleMs: options.spareIdleMs,
      reservationTtlMs: options.reservationTtlMs,
    });
  }

  get closed(): boolean {
    return this.#pool.closed;
  }

  /**
   * An offer for a camera page about to be served: only for a live camera, whose tracks a viewer made
   * now will still match when the page's socket claims it. Never rejects.
   */
  async pageOffer(camera: Camera): Promise<PageOffer | undefined> {
    const tracks = camera.knownTracks;
    if (this.closed || !tracks || camera.status.state !== 'live') return undefined;
    return this.#pool.reserve(camera, tracks);
  }

  /** The supply of a session whose page came with the offer of `ticket` (opaque to the session). */
  claim(ticket: string, logger: Logger = this.#logger): PageClaim {
    return new PageClaim(ticket, (camera, tracks) => this.#pool.claim(ticket, camera, tracks), this, logger);
  }

  take(camera: Camera, tracks: readonly Track[], h265: boolean): SuppliedViewer | undefined {
    const spare = this.#pool.take(camera, tracks, h265);
    return spare && { ...spare, origin: 'spare' };
  }

  connected(camera: Camera, tracks: readonly Track[], h265: boolean): void {
    // Later, not now: making the spare must not compete with this viewer's handshake and first frame.
    this.#pool.prepareLater(camera, tracks, h265, SPARE_AFTER_CONNECT_MS);
  }

  /** Closes every spare and unclaimed page offer. Idempotent. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * One session's hold on its page's offer. Until the session takes a viewer, the page's answer (sent
 * with the ticket before the page read anything) and the candidates after it wait here; then they go
 * with the page's viewer if the session got it, or are dropped if it did not (the page then answers
 * the session's fresh offer, without a ticket). Candidates before that fresh answer belong to the
 * page's own, abandoned connection and are dropped too.
 */
export class PageClaim implements ViewerSupply {
  readonly #ticket: string;
  /** The page's viewer, once (ViewerPool.claim of this ticket). */
  readonly #claimPage: (camera: Camera, tracks: readonly Track[]) => PreparedViewer | undefined;
  /** Spares, when the page's viewer is gone. */
  readonly #spares: ViewerSupply;
  readonly #logger: Logger;
  #state: 'pending' | 'claimed' | 'missed' = 'pending';
  #early: { sdp: string; candidates: (IceCandidate | null)[] } | undefined;
  /** The session's viewer has (or is being given) its browser's answer: candidates are its own now. */
  #answered = false;

  /** Made by OfferBroker.claim(). */
  constructor(
    ticket: string,
    claimPage: (camera: Camera, tracks: readonly Track[]) => PreparedViewer | undefined,
    spares: ViewerSupply,
    logger: Logger,
  ) {
    this.#ticket = ticket;
    this.#claimPage = claimPage;
    this.#spares = spares;
    this.#logger = logger;
  }

  take(camera: Camera, tracks: readonly Track[], h265: boolean): SuppliedViewer | undefined {
    if (this.#state !== 'pending') return this.#spares.take(camera, tracks, h265);
    const early = this.#early;
    this.#early = undefined;
    const page = this.#claimPage(camera, tracks);
    if (!page) {
      this.#state = 'missed';
      this.#logger.debug("the page's offer is gone: making a new one");
      return this.#spares.take(camera, tracks, h265);
    }
    this.#state = 'claimed';
    // The session applies the early answer as soon as it has sent its offer, with only settled
    // promises awaited in between: no message can come between, so later candidates go straight to it.
    if (early) this.#answered = true;
    return { ...page, origin: 'page', ...(early ? { early } : {}) };
  }

  connected(camera: Camera, tracks: readonly Track[], h265: boolean): void {
    this.#spares.connected(camera, tracks, h265);
  }

  /**
   * Routes an `answer` of this session: true when the session must apply it (an answer to its own
   * offer, or to the page's once the session has the page's viewer); false when it was kept for the
   * session or ignored (an answer to a page offer the session did not use).
   */
  answer(sdp: string, ticket: string | undefined): boolean {
    if (ticket === undefined) {
      this.#answered = true;
      return true;
    }
    if (ticket === this.#ticket && this.#state === 'pending') {
      this.#early = { sdp, candidates: [] };
      return false;
    }
    if (ticket === this.#ticket && this.#state === 'claimed') {
      this.#answered = true;
      return true;
    }
    this.#logger.debug("ignoring the answer to a page's offer this session did not use");
    return false;
  }

  /** Routes a `candidate`: true when it is the session's (apply it); false when kept or dropped here. */
  candidate(candidate: IceCandidate | null): boolean {
    if (this.#answered) return true;
    // Before the viewer is chosen they wait with the page's answer; after an ignored answer they
    // belong to a connection that is gone.
    if (this.#early && this.#early.candidates.length < MAX_EARLY_CANDIDATES) this.#early.candidates.push(candidate);
    return false;
  }
}
