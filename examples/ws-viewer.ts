/**
 * Watch a camrtc camera from Node over the signaling protocol (/ws, docs/signaling.md), with werift
 * as the WebRTC stack: the starting point for an app that records, analyses or relays a camera.
 *
 *   node dist/examples/ws-viewer.js ws://localhost:8080/ws demo
 *
 * prints one line per second with the packets and keyframes received. The server makes the offer
 * with the camera's exact H.264 format; this app answers it and trickles its own ICE candidates.
 */
import { pathToFileURL } from 'node:url';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../shared/protocol.js';

export interface WatchOptions {
  /** Signaling URL, e.g. ws://localhost:8080/ws */
  url: string;
  camera: string;
  /** Every RTP packet of the camera's video (H.264), in arrival order. */
  onVideo: (packet: RtpPacket) => void;
  onAudio?: (packet: RtpPacket) => void;
  /** Local addresses for ICE; default every interface. */
  iceAddresses?: string[];
}

export interface Watching {
  /** Stops: `stop` to the server, then closes the socket and the peer connection. */
  close(): Promise<void>;
}

/** Codecs this app accepts: H.264 packetization-mode 1 (the server sends nothing else) and G.711 / Opus. */
export function receiverPeer(iceAddresses?: string[]): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    bundlePolicy: 'max-bundle',
    ...(iceAddresses?.length ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: iceAddresses, iceInterfaceAddresses: { udp4: iceAddresses[0] } } : {}),
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
      ],
      audio: [
        new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
        new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
        new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 }),
      ],
    },
  });
}

export async function watchOverWebSocket(options: WatchOptions): Promise<Watching> {
  const ws = new WebSocket(options.url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const id = 'example-1';
  const send = (message: ClientMessage): void => ws.send(JSON.stringify(message));
  const pc = receiverPeer(options.iceAddresses);
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => (track.kind === 'video' ? options.onVideo(rtp) : options.onAudio?.(rtp)));
  });
  pc.onIceCandidate.subscribe((candidate) => {
    const c = candidate?.toJSON();
    send({ type: 'candidate', id, candidate: c?.candidate ? { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : null });
  });

  const failed = new Promise<never>((_, reject) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.type === 'error') reject(new Error(`${message.code}: ${message.message}`));
      if (message.type !== 'offer') return;
      void (async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: 'answer', id, sdp: pc.localDescription!.sdp });
      })().catch(reject);
    });
  });
  failed.catch(() => undefined);
  send({ type: 'hello', version: 1 });
  send({ type: 'watch', id, camera: options.camera });

  let closed = false;
  return {
    async close() {
      if (closed) return;
      closed = true;
      if (ws.readyState === WebSocket.OPEN) send({ type: 'stop', id });
      ws.close();
      await pc.close();
    },
  };
}

/** H.264 NAL unit type that starts an RTP payload (inside STAP-A / FU-A too): 5 = IDR, 7 = SPS. */
export function naluType(payload: Buffer): number {
  const type = payload[0] & 0x1f;
  if (type === 24) return payload[3] & 0x1f;
  if (type === 28) return payload[1] & 0x1f;
  return type;
}

async function main(): Promise<void> {
  const [url = 'ws://localhost:8080/ws', camera = 'demo'] = process.argv.slice(2);
  let packets = 0;
  let keyframes = 0;
  const watching = await watchOverWebSocket({
    url,
    camera,
    onVideo: (p) => {
      packets++;
      if ([5, 7].includes(naluType(p.payload))) keyframes++;
    },
  });
  const timer = setInterval(() => console.log(`${camera}: ${packets} video packets, ${keyframes} keyframe packets`), 1000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void watching.close();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
