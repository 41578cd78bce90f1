import { RTCPeerConnection, RTCRtpCodecParameters, type PeerConfig } from 'werift';

/**
 * ICE settings for a werift peer standing in for a browser in tests: loopback only, so test traffic
 * never goes to another address.
 */
export const LOOPBACK_ICE = {
  iceServers: [],
  iceUseIpv4: false,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
} satisfies Partial<PeerConfig>;

/** H.264 the way camrtc sends it (packetization-mode 1, Constrained Baseline), with NACK/PLI feedback. */
export const H264_RECEIVE = new RTCRtpCodecParameters({
  mimeType: 'video/H264',
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  parameters: 'packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1',
});

/** A receiving peer on loopback; `codecs` defaults to H.264 video and PCMA audio. */
export function loopbackPeer(config: Partial<PeerConfig> = {}): RTCPeerConnection {
  return new RTCPeerConnection({
    ...LOOPBACK_ICE,
    codecs: {
      video: [H264_RECEIVE],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 })],
    },
    ...config,
  });
}
