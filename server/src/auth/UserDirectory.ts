/**
 * The users of the configuration and their password check. A wrong name and a wrong password cost the
 * same time and get the same answer, so a login never tells whether a user exists.
 */
import { createHash } from 'node:crypto';
import type { Principal } from './Principal.js';
import type { UserConfig } from './authConfig.js';
import { verifyNobody, verifyPassword } from './passwordHash.js';

/** Slows failed logins per client address (LoginThrottle); absent in tests that do not need it. */
export interface LoginGate {
  /** Resolves when this address may try again (at once when it has no recent failures). */
  wait(address: string | undefined): Promise<void>;
  failed(address: string | undefined): void;
  succeeded(address: string | undefined): void;
}

const MAX_PASSWORD_CHARS = 1024;
/**
 * A Basic client (a WHEP player, a script polling /api) sends the password with every request; a
 * password hash is made to cost ~50-400 ms of a core. A successful check is remembered this long, by
 * a SHA-256 of name and password (never the password itself), so only the first request pays.
 */
const VERIFIED_TTL_MS = 60_000;
const MAX_VERIFIED = 1000;

export class UserDirectory {
  readonly #users: ReadonlyMap<string, UserConfig>;
  readonly #gate: LoginGate | undefined;
  readonly #verified = new Map<string, { name: string; until: number }>();

  constructor(users: readonly UserConfig[], gate?: LoginGate) {
    this.#users = new Map(users.map((u) => [u.name, u]));
    this.#gate = gate;
  }

  get size(): number {
    return this.#users.size;
  }

  /** The user's principal when the password is right; undefined otherwise (wrong name or password alike). */
  async login(name: string, password: string, address?: string): Promise<Principal | undefined> {
    const key = createHash('sha256').update(name).update('\0').update(password).digest('base64');
    const known = this.#verified.get(key);
    if (known && known.until > Date.now()) return this.principal(known.name);
    await this.#gate?.wait(address);
    const user = this.#users.get(name);
    const ok = password.length <= MAX_PASSWORD_CHARS && (user ? await verifyPassword(user.passwordHash, password) : await verifyNobody(password));
    if (!ok || !user) {
      this.#gate?.failed(address);
      return undefined;
    }
    this.#gate?.succeeded(address);
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(key, { name, until: Date.now() + VERIFIED_TTL_MS });
    return userPrincipal(user);
  }

  /** The principal of a user by name (a live login session names its user). */
  principal(name: string): Principal | undefined {
    const user = this.#users.get(name);
    return user ? userPrincipal(user) : undefined;
  }
}

function userPrincipal(user: UserConfig): Principal {
  return { kind: 'user', name: user.name, permissions: user.permissions };
}
