/**
 * What an HTTP request or WebSocket upgrade carries as proof of who sent it. A browser's WebSocket
 * cannot set headers, so the player's token rides in the signaling URL's `token` query parameter;
 * URLs are therefore never logged by camrtc (a reverse proxy's access log may: docs/security.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator, RequestCredentials } from '../auth/Authenticator.js';
import { retryAfterSeconds } from '../auth/LoginThrottle.js';
import type { Principal } from '../auth/Principal.js';
import { toCamrtcError, type ErrorCode } from '../errors.js';
import { TOKEN_PARAM } from '../../../shared/watchUrl.js';

/** Headers reverse proxies add (nginx, Caddy, Traefik, HAProxy, Apache): the client is someone else. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto'] as const;

export function credentialsOf(req: IncomingMessage): RequestCredentials {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const token = query < 0 ? undefined : (new URLSearchParams(url.slice(query + 1)).get(TOKEN_PARAM) ?? undefined);
  return {
    authorization: req.headers.authorization,
    cookie: req.headers.cookie,
    token,
    address: req.socket.remoteAddress,
    proxied: PROXY_HEADERS.some((h) => req.headers[h] !== undefined),
  };
}

/** Proof a request carries that is not valid: the status, code and sentence to answer with. */
export interface ProofRefusal {
  readonly status: 401 | 429;
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * The request's principal, or the refusal for proof that is not valid (a wrong password, an expired
 * token: 401; failed logins throttled: 429, with Retry-After set on `res`). Every HTTP entry point
 * answers broken proof the same way through here.
 */
export async function requestPrincipal(
  authenticator: Authenticator,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ principal: Principal; refusal?: undefined } | { principal?: undefined; refusal: ProofRefusal }> {
  try {
    return { principal: await authenticator.authenticate(credentialsOf(req)) };
  } catch (err) {
    const error = toCamrtcError(err, 'ERR_AUTH_INVALID');
    const retryAfter = retryAfterSeconds(error);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    return { refusal: { status: error.code === 'ERR_AUTH_THROTTLED' ? 429 : 401, code: error.code, message: error.message } };
  }
}
