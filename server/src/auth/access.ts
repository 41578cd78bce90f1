/**
 * Builds the access objects of a configuration once (App): the policy, the user directory and the
 * authenticator every entry point shares. Logins and tokens plug their stores in here.
 */
import type { AuthConfig } from './authConfig.js';
import { AccessPolicy } from './AccessPolicy.js';
import { Authenticator, type LoginSessions, type TokenVerifier } from './Authenticator.js';
import { UserDirectory, type LoginGate } from './UserDirectory.js';

export interface AccessParts {
  policy: AccessPolicy;
  users: UserDirectory;
  authenticator: Authenticator;
}

export interface AccessOptions {
  gate?: LoginGate;
  sessions?: LoginSessions;
  tokens?: TokenVerifier;
}

/** The access objects for `auth` (undefined: the open server of the demo). */
export function createAccess(auth: AuthConfig | undefined, options: AccessOptions = {}): AccessParts {
  const policy = new AccessPolicy({ enabled: auth !== undefined, anonymous: auth?.anonymous });
  const users = new UserDirectory(auth?.users ?? [], options.gate);
  const authenticator = new Authenticator({ policy, users, sessions: options.sessions, tokens: options.tokens });
  return { policy, users, authenticator };
}
