/**
 * Watch a camrtc camera from Node over WHEP (RFC 9725) with werift: POST an SDP offer to
 * /whep/NAME, apply the answer, DELETE the session URL to stop. Any WHEP player works the same way.
 *
 *   node dist/examples/whep-viewer.js http://localhost:8080/whep/demo
 *   CAMRTC_TOKEN=$(camrtc token --camera demo --config camrtc.yml) node dist/examples/whep-viewer.js ...
 *
 * With an `auth` section the POST carries `Authorization: Bearer TOKEN` (a viewer token or an identity
 * provider's JWT; from the environment, not argv, which other users of the machine can read).
 */
import { pathToFileURL } from 'node:url';
import type { RtpPacket } from 'werift';
import { naluType, receiverPeer, type Watching } from './ws-viewer.js';

export interface WhepOptions {
  /** The WHEP endpoint, e.g. http://localhost:8080/whep/demo */
  endpoint: string;
  onVideo: (packet: RtpPacket) => void;
  onAudio?: (packet: RtpPacket) => void;
  iceAddresses?: string[];
  /** Sent as `Authorization: Bearer` on the POST (PATCH and DELETE need none: the session URL is the capability). */
  token?: string;
}

export async function watchOverWhep(options: WhepOptions): Promise<Watching & { sessionUrl: string }> {
  const pc = receiverPeer(options.iceAddresses);
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => (track.kind === 'video' ? options.onVideo(rtp) : options.onAudio?.(rtp)));
  });
  // werift waits for ICE gathering here, so the offer carries every candidate (no PATCH needed).
  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(options.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}) },
    body: pc.localDescription!.sdp,
  });
  if (response.status !== 201) {
    await pc.close();
    throw new Error(`WHEP POST answered ${response.status}: ${await response.text()}`);
  }
  // Relative to where the POST ended: a cluster node may have redirected it (307) to the camera's owner.
  const sessionUrl = new URL(response.headers.get('Location') ?? '', response.url || options.endpoint).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
  let closed = false;
  return {
    sessionUrl,
    async close() {
      if (closed) return;
      closed = true;
      await fetch(sessionUrl, { method: 'DELETE' }).catch(() => undefined);
      await pc.close();
    },
  };
}

async function main(): Promise<void> {
  const endpoint = process.argv[2] ?? 'http://localhost:8080/whep/demo';
  let packets = 0;
  let keyframes = 0;
  const watching = await watchOverWhep({
    endpoint,
    token: process.env.CAMRTC_TOKEN,
    onVideo: (p) => {
      packets++;
      if ([5, 7].includes(naluType(p.payload))) keyframes++;
    },
  });
  const timer = setInterval(() => console.log(`${packets} video packets, ${keyframes} keyframe packets`), 1000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void watching.close();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
