/**
 * The network side of every server peer connection (STUN/TURN servers and where ICE candidates come
 * from), resolved once in the composition root (App) and handed as one value to everything that makes
 * a Viewer: the WebSocket signaling, WHEP and the offer broker's spares. Resolved in one place so a
 * spare, a WHEP viewer and a `watch` viewer can never disagree on the addresses they gather on.
 */
import type { IceServer, ViewerNetworkOptions } from '../webrtc/peerConfig.js';

export interface PeerSettings {
  /** STUN/TURN servers for the server side of each peer connection (werift's public default is off). */
  readonly iceServers: readonly IceServer[];
  readonly network: Readonly<ViewerNetworkOptions>;
}

export interface PeerSettingsInput {
  iceServers?: readonly IceServer[];
  /** Shorthand for network.hostAddresses (the config's and the CLI's `iceHostAddresses`). */
  iceHostAddresses?: readonly string[];
  network?: ViewerNetworkOptions;
}

/** An explicit network.hostAddresses wins over the shorthand; an empty shorthand means every interface. */
export function peerSettings(input: PeerSettingsInput = {}): PeerSettings {
  const hostAddresses = input.network?.hostAddresses ?? (input.iceHostAddresses?.length ? input.iceHostAddresses : undefined);
  return Object.freeze({
    iceServers: Object.freeze([...(input.iceServers ?? [])]),
    network: Object.freeze({ ...input.network, ...(hostAddresses ? { hostAddresses: [...hostAddresses] } : {}) }),
  });
}
