/**
 * What an HTTP request or WebSocket upgrade carries as proof of who sent it. A browser's WebSocket
 * cannot set headers, so the player's token rides in the signaling URL's `token` query parameter;
 * URLs are therefore never logged by camrtc (a reverse proxy's access log may: docs/security.md).
 */
import type { IncomingMessage } from 'node:http';
import type { RequestCredentials } from '../auth/Authenticator.js';
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
