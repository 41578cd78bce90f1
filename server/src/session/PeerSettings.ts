/**
 * The network side of every server peer connection (STUN/TURN servers and where ICE candidates come
 * from), resolved once in the composition root (App) and handed as one value to everything that makes
 * a Viewer: the WebSocket signaling, WHEP and the offer broker's spares. Resolved in one place so a
 * spare, a WHEP viewer and a `watch` viewer can never disagree on the addresses they gather on.
 *
 * It also says what each admitted viewer's browser gathers with (browserIce): the same servers, with
 * a TURN REST credential made for that viewer, and the ICE transport policy browsers are asked to use.
 */
import type { IceConfig, IceTransportPolicy } from '../../../shared/protocol.js';
import type { IceServer, ViewerNetworkOptions } from '../webrtc/peerConfig.js';
import type { TurnRest } from '../webrtc/TurnRest.js';

/** TURN REST credentials for the server's own peer connections are made for this label. */
export const SERVER_TURN_LABEL = 'camrtc';

export interface PeerSettings {
  /** The configured STUN/TURN servers (werift's public default is off). */
  readonly iceServers: readonly IceServer[];
  readonly network: Readonly<ViewerNetworkOptions>;
  /**
   * The ICE servers of one new server peer connection: `iceServers`, then the TURN REST server with
   * a fresh credential when one is configured (werift uses the first TURN server it is given).
   */
  readonly serverIceServers: () => readonly IceServer[];
  /**
   * What the browser of a viewer that passed the access decision gathers with; `label` names the
   * viewer in its TURN username (never a secret). Undefined when nothing is configured: browsers then
   * use only what their page gives them.
   */
  readonly browserIce: (label: string) => IceConfig | undefined;
}

export interface PeerSettingsInput {
  iceServers?: readonly IceServer[];
  /** Shorthand for network.hostAddresses (the config's and the CLI's `iceHostAddresses`). */
  iceHostAddresses?: readonly string[];
  network?: ViewerNetworkOptions;
  /** TURN REST (coturn's use-auth-secret): a credential per viewer and for the server's peers. */
  turn?: TurnRest;
  /** Whether the server's own peer connections use `turn` too. Default true. */
  turnForServer?: boolean;
  /** Asked for each server peer connection: false leaves `turn` out of it (TurnProbe: it gives no relay now). */
  turnUsable?: () => boolean;
  /** Handed to browsers: 'relay' makes them use TURN only. Default: none said ('all'). */
  iceTransportPolicy?: IceTransportPolicy;
}

/** An explicit network.hostAddresses wins over the shorthand; an empty shorthand means every interface. */
export function peerSettings(input: PeerSettingsInput = {}): PeerSettings {
  const hostAddresses = input.network?.hostAddresses ?? (input.iceHostAddresses?.length ? input.iceHostAddresses : undefined);
  const iceServers: readonly IceServer[] = Object.freeze([...(input.iceServers ?? [])]);
  const { turn, iceTransportPolicy } = input;
  const serverTurn = input.turnForServer === false ? undefined : turn;
  const usable = input.turnUsable ?? (() => true);
  const browserIce = (label: string): IceConfig | undefined => {
    if (iceServers.length === 0 && !turn && !iceTransportPolicy) return undefined;
    return {
      iceServers: [...iceServers.map(copyServer), ...(turn ? [turn.iceServer(label)] : [])],
      ...(iceTransportPolicy ? { iceTransportPolicy } : {}),
    };
  };
  return Object.freeze({
    iceServers,
    network: Object.freeze({ ...input.network, ...(hostAddresses ? { hostAddresses: [...hostAddresses] } : {}) }),
    serverIceServers: serverTurn ? () => (usable() ? [...iceServers, serverTurn.iceServer(SERVER_TURN_LABEL)] : iceServers) : () => iceServers,
    browserIce,
  });
}

function copyServer(server: IceServer): IceServer {
  return { ...server, urls: Array.isArray(server.urls) ? [...server.urls] : server.urls };
}
