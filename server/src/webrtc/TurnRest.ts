/**
 * Short-lived TURN credentials from a secret shared with the TURN server: the "TURN REST API" scheme
 * (draft-uberti-behave-turn-rest) that coturn implements with `use-auth-secret` and
 * `static-auth-secret`, and go2rtc, Janus and LiveKit use. The username is `<expiry>:<label>` (Unix
 * seconds, then who it is for), the credential base64(HMAC-SHA1(secret, username)). The TURN server
 * recomputes the credential from the username and refuses it after the expiry, so camrtc hands each
 * admitted viewer its own credential and never the secret.
 *
 * The secret lives in a private field: logging or serializing a TurnRest shows the URLs only.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from './peerConfig.js';

/** Default credential lifetime: long enough for any page load and reconnection, short enough to be useless once leaked. */
export const DEFAULT_TURN_TTL_SECONDS = 3600;
/** Longest label kept in a username (STUN allows 513 bytes; coturn's logs and quotas key on it). */
export const MAX_TURN_LABEL_CHARS = 64;

/** The username for a credential valid until `expiresAt` (Unix seconds) for `label`. */
export function turnRestUsername(expiresAt: number, label: string): string {
  return `${Math.floor(expiresAt)}:${turnLabel(label)}`;
}

/** base64(HMAC-SHA1(secret, username)): what coturn computes from the username it receives. */
export function turnRestCredential(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

/**
 * A label safe in a STUN username, in a quoted HTTP Link parameter and in coturn's log: letters,
 * digits and `_ . : @ -`; anything else becomes `_`. Empty gives `viewer`.
 */
export function turnLabel(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9_.:@-]/g, '_').slice(0, MAX_TURN_LABEL_CHARS);
  return safe === '' ? 'viewer' : safe;
}

export interface TurnRestOptions {
  /** The TURN server's URLs (turn:host:3478?transport=udp, turns:host:5349...). */
  urls: readonly string[];
  /** coturn's static-auth-secret. */
  secret: string;
  /** Seconds a credential stays valid. Default DEFAULT_TURN_TTL_SECONDS. */
  ttlSeconds?: number;
  /** For tests: the clock, in ms since the epoch. */
  now?: () => number;
}

/** One TURN server with a shared secret: mints a fresh credential per call. */
export class TurnRest {
  readonly urls: readonly string[];
  readonly ttlSeconds: number;
  readonly #secret: string;
  readonly #now: () => number;

  constructor(options: TurnRestOptions) {
    if (options.urls.length === 0) throw new TypeError('TurnRest needs at least one URL');
    if (options.secret === '') throw new TypeError('TurnRest needs a secret');
    this.urls = Object.freeze([...options.urls]);
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS;
    this.#secret = options.secret;
    this.#now = options.now ?? Date.now;
  }

  /** The TURN server as an RTCIceServer, with a credential for `label` valid for ttlSeconds from now. */
  iceServer(label: string): IceServer {
    const username = turnRestUsername(Math.floor(this.#now() / 1000) + this.ttlSeconds, label);
    return { urls: [...this.urls], username, credential: turnRestCredential(this.#secret, username) };
  }

  /** What a log line or JSON.stringify shows: never the secret. */
  toJSON(): { urls: readonly string[]; ttlSeconds: number } {
    return { urls: this.urls, ttlSeconds: this.ttlSeconds };
  }
}
