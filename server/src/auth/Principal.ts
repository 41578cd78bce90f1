/**
 * Who is asking: the one shape every way of proving it (no proof, a login, a viewer token, an identity
 * provider's JWT) comes down to, so one AccessPolicy decides for all of them.
 */
import type { Permissions } from './permissions.js';

export type PrincipalKind = 'anonymous' | 'user' | 'token';

export interface Principal {
  readonly kind: PrincipalKind;
  /** The user name, or the token's subject when it has one. Logged; never a secret. */
  readonly name?: string;
  readonly permissions: Permissions;
  /** A viewer token bound to one embedding page origin (`--origin`): other origins are refused. */
  readonly origin?: string;
  /** When the proof stops being valid (a token's exp), ms since the epoch. */
  readonly expiresAt?: number;
}

/** How a principal is named in logs: never a token or password, only what it proved to be. */
export function principalLabel(p: Principal): string {
  if (p.kind === 'anonymous') return 'anonymous';
  return `${p.kind}:${p.name ?? '(unnamed)'}`;
}

/**
 * How other viewers are told who this is (the talker holding a camera's speaker): its name, never a
 * secret. Capitalised when there is none, as it starts the player's sentence ("Another viewer is talking").
 */
export function displayName(p: Principal): string {
  if (p.name !== undefined) return p.name;
  return p.kind === 'anonymous' ? 'Another viewer' : 'A token holder';
}
