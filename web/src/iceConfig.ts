/**
 * What the browser's peer connection gathers with: the ICE servers and policy the server hands an
 * admitted viewer (in the `offer` message, or the camera page's offer) together with the page's own.
 *
 * The rule (docs/signaling.md, "ICE servers"): ICE servers merge, the page's first, then the
 * server's (a TURN credential made for this viewer); an ICE transport policy the page sets wins over
 * the server's. Bundled into the camera page's early script: keep it small and free of imports.
 */
import type { IceConfig, IceServerInfo, IceTransportPolicy } from '../../shared/protocol.js';

/** What the page itself gives the player (CamrtcClientOptions). */
export interface OwnIce {
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
}

/** The page gives ICE settings of its own (then a connection made without them cannot be reused). */
export function hasOwnIce(own: OwnIce): boolean {
  return (own.iceServers?.length ?? 0) > 0 || own.iceTransportPolicy !== undefined;
}

/** The configuration of a peer connection, from the page's settings and the server's. */
export function rtcConfiguration(own: OwnIce, server: Partial<IceConfig> | undefined): RTCConfiguration {
  return {
    iceServers: [...(own.iceServers ?? []), ...(server?.iceServers ?? [])],
    iceTransportPolicy: own.iceTransportPolicy ?? server?.iceTransportPolicy ?? 'all',
  };
}

function isServer(value: unknown): value is IceServerInfo {
  if (value === null || typeof value !== 'object') return false;
  const { urls, username, credential } = value as Record<string, unknown>;
  const urlsOk = typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
  return urlsOk && (username === undefined || typeof username === 'string') && (credential === undefined || typeof credential === 'string');
}

function copyServer({ urls, username, credential }: IceServerInfo): IceServerInfo {
  return {
    urls: Array.isArray(urls) ? [...urls] : urls,
    ...(username !== undefined ? { username } : {}),
    ...(credential !== undefined ? { credential } : {}),
  };
}

/**
 * The ICE fields of a server message or of the page's offer: only well-formed servers and a known
 * policy; anything else is left out (the browser would throw on it while making the connection).
 */
export function serverIce(value: { iceServers?: unknown; iceTransportPolicy?: unknown }): Partial<IceConfig> {
  const servers = Array.isArray(value.iceServers) ? value.iceServers.filter(isServer) : undefined;
  const policy = value.iceTransportPolicy === 'relay' || value.iceTransportPolicy === 'all' ? (value.iceTransportPolicy as IceTransportPolicy) : undefined;
  return {
    ...(servers ? { iceServers: servers.map(copyServer) } : {}),
    ...(policy ? { iceTransportPolicy: policy } : {}),
  };
}
