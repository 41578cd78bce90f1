/**
 * Who may read the RTSP restream: the web side's users and tokens, through the same Authenticator and
 * AccessPolicy, with action `view` (the restream carries what the camera page shows). Checked on
 * every DESCRIBE, SETUP and PLAY; the other methods only act on a session of the same connection,
 * which one of those created.
 *
 * Proof, in order: a `?token=` in the request URI; `Authorization: Basic` whose password is a token
 * (any user name; `rtsp://token:JWT@host/cam` in a player); `Authorization: Basic` of a configured
 * user. What a connection proved is remembered for its later requests, since a client sends the
 * query only with DESCRIBE (SETUP goes to Content-Base + trackID=N) and Basic only once challenged.
 * Digest is not offered: the server holds argon2/scrypt hashes, from which a Digest answer cannot be
 * checked, and a token is verified, not looked up. Credentials are never logged.
 *
 * Answers: nothing proved and the camera not open to anonymous clients, or proof that is not valid:
 * 401 with `WWW-Authenticate: Basic` (players ask for, or send, credentials); a valid principal
 * without `view` on the camera: 403 (asking again would not help); too many failed logins from the
 * address: 503 with Retry-After (RTSP has no 429). The decision comes before the camera's existence
 * is looked at, as on the web side.
 */
import { retryAfterSeconds } from '../auth/LoginThrottle.js';
import type { Authenticator } from '../auth/Authenticator.js';
import type { Principal } from '../auth/Principal.js';
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RtspRequest } from '../rtsp/message.js';
import type { ServerConnection } from '../rtsp/server/ServerConnection.js';
import type { RequestContext, RequestHook } from '../rtsp/server/ServerHooks.js';
import { response, type ServerResponse } from '../rtsp/server/ServerResponse.js';
import { TOKEN_PARAM } from '../../../shared/watchUrl.js';

export const RESTREAM_REALM = 'camrtc';
const CHECKED_METHODS: ReadonlySet<string> = new Set(['DESCRIBE', 'SETUP', 'PLAY']);
const CAMERA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** header.payload.signature with a JSON header: a Basic password of this shape is a token. */
const TOKEN_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The camera a request path names (`/front`, `/front/trackID=0`), or undefined. */
export function cameraOfPath(path: string | undefined): string | undefined {
  const name = path?.split('/')[1];
  return name !== undefined && CAMERA_NAME.test(name) ? name : undefined;
}

/** The `token` query parameter of a request URI, if any. */
export function tokenOfUri(uri: string): string | undefined {
  const q = uri.indexOf('?');
  if (q < 0) return undefined;
  const value = new URLSearchParams(uri.slice(q + 1).split('#')[0]).get(TOKEN_PARAM);
  return value || undefined;
}

/** The node a relay's request URI names (`?peer=NODE`), if any. */
export function peerOfUri(uri: string, param: string): string | undefined {
  const q = uri.indexOf('?');
  if (q < 0) return undefined;
  const value = new URLSearchParams(uri.slice(q + 1).split('#')[0]).get(param);
  return value ?? undefined;
}

/** The password of a Basic Authorization when it is a token, so that it is verified as one. */
export function tokenOfBasic(authorization: string): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,12000})\s*$/i.exec(authorization);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return decoded.includes(':') && TOKEN_SHAPE.test(password) ? password : undefined;
}

/** The password of a Basic Authorization, whatever it is. */
function basicPassword(authorization: string): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,12000})\s*$/i.exec(authorization);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/**
 * Cluster peers (docs/cluster.md): another node relays a camera this node owns with a peer
 * credential (Basic password or `?token=`), valid for that camera only; its DESCRIBE names it with
 * `?PARAM=NODE`, and is refused (503) unless this node owns the camera, so relays never chain.
 */
export interface RestreamPeers {
  /** Whether `value` has a peer credential's shape (it is then checked here, not as a login or token). */
  isCredential(value: string): boolean;
  /** The principal a valid peer credential proves for `camera`, or undefined. */
  principal(credential: string, camera: string): Principal | undefined;
  owns(camera: string): boolean;
  readonly param: string;
}

export interface RestreamAccessOptions {
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly peers?: RestreamPeers;
}

export function restreamAccessHook(options: RestreamAccessOptions): RequestHook {
  const { authenticator } = options;
  const log = options.logger;
  /** What each connection last proved (a WeakMap: it goes with the connection). */
  const proven = new WeakMap<ServerConnection, Principal>();

  const { peers } = options;
  const principalOf = async (req: RtspRequest, ctx: RequestContext, camera: string): Promise<Principal> => {
    const address = ctx.connection.remoteAddress;
    const token = tokenOfUri(req.uri);
    const authorization = req.headers.get('Authorization');
    const peerCredential = peers && [token, authorization && basicPassword(authorization)].find((v) => v && peers.isCredential(v));
    let principal: Principal;
    if (peers && peerCredential) {
      // Never the web side's throttle or token keys: the cluster secret alone decides.
      const peer = peers.principal(peerCredential, camera);
      if (!peer) throw new CamrtcError('ERR_AUTH_INVALID', 'not a valid peer credential for this camera');
      principal = peer;
    } else if (token !== undefined) {
      principal = await authenticator.authenticate({ token, address });
    } else if (authorization !== undefined && authorization !== '') {
      const basicToken = tokenOfBasic(authorization);
      principal = await authenticator.authenticate(basicToken !== undefined ? { token: basicToken, address } : { authorization, address });
    } else {
      return proven.get(ctx.connection) ?? authenticator.policy.anonymous(address);
    }
    proven.set(ctx.connection, principal);
    return principal;
  };

  const challenge = (): ServerResponse => response(401, { 'WWW-Authenticate': `Basic realm="${RESTREAM_REALM}"` });

  return async (req, ctx) => {
    if (!CHECKED_METHODS.has(req.method)) return undefined;
    const camera = cameraOfPath(ctx.path);
    // No camera could be named so: the server answers 404 (or 400) without a look at credentials.
    if (camera === undefined) return undefined;
    let principal: Principal;
    try {
      principal = await principalOf(req, ctx, camera);
    } catch (err) {
      const error = toCamrtcError(err, 'ERR_AUTH_INVALID');
      proven.delete(ctx.connection);
      log.info({ camera, remote: ctx.connection.remoteAddress, code: error.code }, 'rtsp restream: credentials refused');
      const retryAfter = retryAfterSeconds(error);
      return retryAfter !== undefined ? response(503, { 'Retry-After': retryAfter }) : challenge();
    }
    const decision = authenticator.policy.decide(principal, 'view', camera);
    if (decision.allowed) {
      // A relay reads the owner only: a node that does not own the camera would relay a relay.
      if (peers && req.method === 'DESCRIBE' && peerOfUri(req.uri, peers.param) !== undefined && !peers.owns(camera)) {
        log.info({ camera }, 'rtsp restream: refused a peer relay of a camera this node does not own');
        return response(503);
      }
      return undefined;
    }
    log.debug({ camera, remote: ctx.connection.remoteAddress, code: decision.code }, 'rtsp restream: refused');
    return decision.status === 401 ? challenge() : response(403);
  };
}
