/**
 * The one access decision: may this principal do this action on this camera? Every entry point
 * (pages, /api, the /ws upgrade and each watch, /whep, /metrics, later the RTSP restream) asks here,
 * so they cannot disagree. A refusal says what was refused ("not allowed to watch front") with a
 * stable code, and never whether a user or a camera exists: an unknown camera the principal may not
 * see is refused with the same words as a known one.
 */
import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraDirectory } from '../media/Camera.js';
import { isLoopbackAddress } from './loopback.js';
import { actionVerb, NO_PERMISSIONS, permits, type Action, type Permissions } from './permissions.js';
import type { Principal } from './Principal.js';

/**
 * With no `auth` section (the two-command demo): anyone who reaches the server may watch, as before
 * logins existed; the API and the metrics answer only on loopback.
 */
export const OPEN_PERMISSIONS: Permissions = Object.freeze({ view: ['*'], playback: ['*'], talk: ['*'] });
const LOOPBACK_EXTRA: Permissions = Object.freeze({ admin: ['*'], metrics: ['*'] });

/** The action watching a camera is: a recording's playback, or a live view. */
export function watchAction(camera: { readonly seekable: boolean }): Action {
  return camera.seekable ? 'playback' : 'view';
}

export type AccessRefusalCode = 'ERR_AUTH_REQUIRED' | 'ERR_AUTH_INVALID' | 'ERR_FORBIDDEN';

export type AccessDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly status: 401 | 403; readonly code: AccessRefusalCode; readonly message: string };

export interface AccessContext {
  /** The Origin header of the request (a browser page), when there is one. */
  readonly origin?: string;
}

export interface AccessPolicyOptions {
  /** Whether an `auth` section is configured (users, tokens or a JWT issuer). */
  readonly enabled: boolean;
  /** What needs no login. Default: OPEN_PERMISSIONS without auth, nothing with it. */
  readonly anonymous?: Permissions;
}

const ALLOWED: AccessDecision = Object.freeze({ allowed: true });

export class AccessPolicy {
  readonly enabled: boolean;
  readonly #anonymous: Permissions;

  constructor(options: AccessPolicyOptions) {
    this.enabled = options.enabled;
    this.#anonymous = options.anonymous ?? (options.enabled ? NO_PERMISSIONS : OPEN_PERMISSIONS);
  }

  /** The open server of the demo: no auth section. */
  static open(): AccessPolicy {
    return new AccessPolicy({ enabled: false });
  }

  /**
   * The principal of a request that proved nothing, from `address`. `proxied`: the request came
   * through a reverse proxy (it carries Forwarded or X-Forwarded-For...): a proxy on this machine
   * makes every client look like loopback, so such a request never gets loopback's rights.
   */
  anonymous(address: string | undefined, proxied = false): Principal {
    if (!this.enabled && !proxied && isLoopbackAddress(address)) {
      return { kind: 'anonymous', permissions: { ...this.#anonymous, ...LOOPBACK_EXTRA } };
    }
    return { kind: 'anonymous', permissions: this.#anonymous };
  }

  /** Whether anything at all is open without a login (a page can then skip the login form). */
  get anonymousPermissions(): Permissions {
    return this.#anonymous;
  }

  decide(principal: Principal, action: Action, camera?: string, context: AccessContext = {}): AccessDecision {
    const what = camera === undefined ? `${actionVerb(action)} this server` : `${actionVerb(action)} ${camera}`;
    if (principal.origin !== undefined && context.origin !== undefined && context.origin !== principal.origin) {
      return refusal(403, 'ERR_FORBIDDEN', `not allowed to ${what} from ${context.origin}: this token is for pages on ${principal.origin}`);
    }
    if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) {
      return refusal(401, 'ERR_AUTH_INVALID', `not allowed to ${what}: the token has expired`);
    }
    if (permits(principal.permissions, action, camera)) return ALLOWED;
    if (principal.kind === 'anonymous') {
      return refusal(401, 'ERR_AUTH_REQUIRED', `log in to ${what}`);
    }
    return refusal(403, 'ERR_FORBIDDEN', `not allowed to ${what}`);
  }

  /** Whether the principal may do `action` on `camera`. */
  allows(principal: Principal, action: Action, camera?: string, context?: AccessContext): boolean {
    return this.decide(principal, action, camera, context).allowed;
  }

  /** The cameras the principal may watch or play back: the grid, /api/cameras and the signaling `list`. */
  visibleCameras(cameras: CameraDirectory, principal: Principal, context?: AccessContext): CameraInfo[] {
    return cameras.list().filter((info) => {
      const camera = cameras.get(info.name);
      return camera !== undefined && this.allows(principal, watchAction(camera), info.name, context);
    });
  }
}

function refusal(status: 401 | 403, code: AccessRefusalCode, message: string): AccessDecision {
  return { allowed: false, status, code, message };
}
