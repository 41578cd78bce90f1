import { isIP } from 'node:net';
import type { PeerConfig, RTCIceServer, RTCRtpCodecParameters } from 'werift';
import type { CodecChoice } from './codecs.js';
import type { IceMux } from './ice/IceMux.js';

/** A STUN/TURN server given to browsers and to werift (same shape as the browser's RTCIceServer). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Where the server's ICE candidates come from. Every field is optional; the defaults suit a LAN. */
export interface ViewerNetworkOptions {
  /**
   * Gather host candidates on these addresses only (for example `['127.0.0.1']` in tests, or the LAN
   * address of a multi-homed server). Default: every non-internal interface, IPv4 and IPv6.
   */
  hostAddresses?: readonly string[];
  /** Extra addresses announced as host candidates, such as the public address of a 1:1 NAT. */
  additionalHostAddresses?: readonly string[];
  /** UDP port range for ICE sockets (min < max), to open in a firewall. Default: any free port. */
  portRange?: readonly [number, number];
  /**
   * The server's shared WebRTC ports (one UDP port, one TCP port for every viewer): the viewer
   * gathers there instead of on sockets of its own (werift/muxedIce.ts). Absent: a socket per viewer.
   */
  mux?: IceMux;
}

/** werift configuration for one viewer's peer connection. */
export function peerConfig(
  choices: readonly CodecChoice[],
  iceServers: readonly IceServer[],
  network: ViewerNetworkOptions,
  /** The talk codec of an audio section that only receives (a camera with a backchannel and no audio). */
  talkOnly?: RTCRtpCodecParameters,
): Partial<PeerConfig> {
  const audio = choices.filter((c) => c.kind === 'audio').map((c) => c.codec);
  const config: Partial<PeerConfig> = {
    codecs: {
      video: choices.filter((c) => c.kind === 'video').flatMap((c) => [c.codec, ...(c.alternatives ?? [])]),
      audio: audio.length === 0 && talkOnly ? [talkOnly] : audio,
    },
    // werift defaults to Google's public STUN server: a LAN bridge must not talk to the Internet unasked.
    iceServers: iceServers.map((s) => ({ ...s }) as RTCIceServer),
    headerExtensions: { video: [], audio: [] },
    bundlePolicy: 'max-bundle',
  };
  if (network.portRange) config.icePortRange = [network.portRange[0], network.portRange[1]];
  const additional = [...(network.additionalHostAddresses ?? [])];
  if (network.hostAddresses && network.hostAddresses.length > 0) {
    // werift gathers every interface unless both families are off; the wanted addresses then come
    // in as "additional" ones, and sockets bind to them when there is one per family.
    config.iceUseIpv4 = false;
    config.iceUseIpv6 = false;
    additional.unshift(...network.hostAddresses);
    const v4 = network.hostAddresses.filter((a) => isIP(a) === 4);
    const v6 = network.hostAddresses.filter((a) => isIP(a) === 6);
    config.iceInterfaceAddresses = {
      ...(v4.length === 1 ? { udp4: v4[0] } : {}),
      ...(v6.length === 1 ? { udp6: v6[0] } : {}),
    };
  }
  if (additional.length > 0) config.iceAdditionalHostAddresses = [...new Set(additional)];
  return config;
}
