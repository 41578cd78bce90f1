/**
 * The users of the configuration and their password check. A wrong name and a wrong password cost the
 * same time and get the same answer, so a login never tells whether a user exists.
 */
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

export class UserDirectory {
  readonly #users: ReadonlyMap<string, UserConfig>;
  readonly #gate: LoginGate | undefined;

  constructor(users: readonly UserConfig[], gate?: LoginGate) {
    this.#users = new Map(users.map((u) => [u.name, u]));
    this.#gate = gate;
  }

  get size(): number {
    return this.#users.size;
  }

  /** The user's principal when the password is right; undefined otherwise (wrong name or password alike). */
  async login(name: string, password: string, address?: string): Promise<Principal | undefined> {
    await this.#gate?.wait(address);
    const user = this.#users.get(name);
    const ok = password.length <= MAX_PASSWORD_CHARS && (user ? await verifyPassword(user.passwordHash, password) : await verifyNobody(password));
    if (!ok || !user) {
      this.#gate?.failed(address);
      return undefined;
    }
    this.#gate?.succeeded(address);
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
