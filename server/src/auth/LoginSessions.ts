/**
 * Browser logins: the value of the `camrtc_session` cookie names one of these sessions. A session
 * holds only the user's name and when it was made and last used; the user's permissions are read from
 * the UserDirectory at each use, so a user removed from the configuration loses every session at once
 * and a changed permission applies to the next request.
 *
 * A session ends when it has not been used for `idleSeconds` (auth.sessionIdleSeconds), at the latest
 * `maxAgeSeconds` after the login however much it is used, at logout, and when `maxSessions` are
 * live and a new login pushes out the oldest.
 */
import { randomBytes } from 'node:crypto';
import type { LoginSessions as SessionLookup } from './Authenticator.js';
import type { Principal } from './Principal.js';

/** The users sessions are checked against (UserDirectory). */
export interface SessionUsers {
  principal(name: string): Principal | undefined;
}

export interface LoginSessionsOptions {
  users: SessionUsers;
  /** A session not used for this long ends. Default 12 hours (auth.sessionIdleSeconds). */
  idleSeconds?: number;
  /** A session ends this long after its login, used or not. Default 7 days. */
  maxAgeSeconds?: number;
  /** At most this many live sessions; a new login past it ends the oldest. Default 10 000. */
  maxSessions?: number;
  /** How often ended sessions are dropped from memory. Default 1 minute. */
  sweepMs?: number;
  /** The clock, ms since the epoch (tests). */
  now?: () => number;
}

export const DEFAULT_IDLE_SECONDS = 12 * 3600;
export const DEFAULT_MAX_AGE_SECONDS = 7 * 86_400;
export const DEFAULT_MAX_SESSIONS = 10_000;
/** 32 random bytes: the cookie is the only proof of a login, so it must not be guessable. */
const ID_BYTES = 32;

interface Session {
  readonly user: string;
  readonly createdAt: number;
  lastUsedAt: number;
}

export class LoginSessions implements SessionLookup {
  readonly idleMs: number;
  readonly maxAgeMs: number;
  readonly #users: SessionUsers;
  readonly #maxSessions: number;
  readonly #now: () => number;
  /** In login order: the first entry is the oldest session (the one a full table pushes out). */
  readonly #sessions = new Map<string, Session>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: LoginSessionsOptions) {
    this.#users = options.users;
    this.idleMs = (options.idleSeconds ?? DEFAULT_IDLE_SECONDS) * 1000;
    this.maxAgeMs = (options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
    this.#maxSessions = Math.max(1, options.maxSessions ?? DEFAULT_MAX_SESSIONS);
    this.#now = options.now ?? Date.now;
    this.#sweep = setInterval(() => this.sweep(), options.sweepMs ?? 60_000);
    this.#sweep.unref();
  }

  /** Live sessions (ended ones not yet swept may be counted). */
  get size(): number {
    return this.#sessions.size;
  }

  /** How long the cookie may live in the browser: the session cannot outlive this. */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  /** A new session for `user` (who has just proved a password); returns the cookie's value. */
  create(user: string): string {
    while (this.#sessions.size >= this.#maxSessions) {
      const oldest = this.#sessions.keys().next().value as string;
      this.#sessions.delete(oldest);
    }
    const id = randomBytes(ID_BYTES).toString('base64url');
    const now = this.#now();
    this.#sessions.set(id, { user, createdAt: now, lastUsedAt: now });
    return id;
  }

  /** The principal of a live session (and the session counts as used); undefined otherwise. */
  principal(sessionId: string): Principal | undefined {
    const session = this.#sessions.get(sessionId);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#ended(session, now)) {
      this.#sessions.delete(sessionId);
      return undefined;
    }
    const principal = this.#users.principal(session.user);
    if (!principal) {
      // The user is no longer configured: the login goes with them.
      this.#sessions.delete(sessionId);
      return undefined;
    }
    session.lastUsedAt = now;
    return principal;
  }

  /** Ends a session (logout); whether it was live. */
  logout(sessionId: string): boolean {
    return this.#sessions.delete(sessionId);
  }

  /** Drops ended sessions from memory (the timer does this every sweepMs). */
  sweep(): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) if (this.#ended(session, now)) this.#sessions.delete(id);
  }

  #ended(session: Session, now: number): boolean {
    return now - session.lastUsedAt >= this.idleMs || now - session.createdAt >= this.maxAgeMs;
  }

  /** Stops the sweep timer and ends every session. */
  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    this.#sessions.clear();
  }
}
