/**
 * Every viewer session of the server, whatever its transport (the WebSocket's and WHEP's adapters
 * add theirs): who watches what, for /metrics now and for the control API's viewer list. A session
 * leaves when it ended (its viewer closed); `ended` then tells the owner, which may read the
 * session's final counts.
 */
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { ViewerSession } from './ViewerSession.js';

export type ViewerSessionsEvents = {
  /** The session ended and left the set; its viewer's stats are final. */
  ended: [ViewerSession];
  listenererror: [string, unknown];
};

export class ViewerSessions extends TypedEmitter<ViewerSessionsEvents> {
  readonly #sessions = new Set<ViewerSession>();

  /** Tracks `session` until it ended. */
  add(session: ViewerSession): void {
    if (this.#sessions.has(session)) return;
    this.#sessions.add(session);
    session.once('ended', () => {
      if (this.#sessions.delete(session)) this.safeEmit('ended', session);
    });
  }

  get size(): number {
    return this.#sessions.size;
  }

  [Symbol.iterator](): IterableIterator<ViewerSession> {
    return this.#sessions.values();
  }
}
