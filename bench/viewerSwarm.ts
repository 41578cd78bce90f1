/**
 * N receive-only WebRTC viewers (werift) in their own process, so their CPU never counts as the
 * server's. Started by bench/viewerLoad.ts with one JSON argument (SwarmSpec); talks over IPC:
 *   -> {type:'ready', connected, failed, firstError?}  once every viewer has its first packet or gave up
 *   <- {type:'snapshot'}  -> {type:'snapshot', viewers:[{expected, received}]}
 *   <- {type:'close'}     closes every peer connection and exits.
 */
import dgram from 'node:dgram';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import WebSocket from 'ws';
import { JanusSession } from './JanusClient.js';
import { LossCounter } from './LossCounter.js';
import type { ServerName } from './servers.js';

export interface SwarmSpec {
  server: ServerName;
  apiUrl: string;
  /** One entry per viewer: the camera it watches. */
  cameras: string[];
  /** Local address for ICE: 127.0.0.1 for camrtc; this machine's address for Janus (see servers.ts). */
  iceAddress: string;
}

export type SwarmReply =
  | { type: 'ready'; connected: number; failed: number; firstError?: string }
  | { type: 'snapshot'; viewers: Array<{ expected: number; received: number }> };

/**
 * Receive buffer of every viewer socket. With the default (~200 KiB) the kernel drops keyframe bursts
 * whenever this process's event loop is busy with another viewer: a limit of the measuring side that
 * would show up as the server's packet loss. werift does not expose its sockets, so bind() is wrapped.
 */
const VIEWER_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const bind = dgram.Socket.prototype.bind;
dgram.Socket.prototype.bind = function (this: dgram.Socket, ...args: unknown[]) {
  this.once('listening', () => {
    try {
      this.setRecvBufferSize(VIEWER_RECEIVE_BUFFER_BYTES); // capped by net.core.rmem_max
    } catch {
      /* keep the default */
    }
  });
  return (bind as (...a: unknown[]) => dgram.Socket).apply(this, args);
} as typeof bind;

/** Viewers connecting at once: a burst of 100 DTLS handshakes would time out on two cores. */
const CONNECT_CONCURRENCY = 8;
const FIRST_PACKET_TIMEOUT_MS = 30_000;

function peer(iceAddress: string): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [iceAddress],
    iceInterfaceAddresses: { udp4: iceAddress },
    codecs: {
      video: ['42e01f', '42c01f', '42001f', '4d001f', '640028'].map(
        (profile) => new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }], parameters: `packetization-mode=1;profile-level-id=${profile};level-asymmetry-allowed=1` }),
      ),
      audio: [],
    },
  });
}

class SwarmViewer {
  readonly loss = new LossCounter();
  readonly pc: RTCPeerConnection;
  #cleanup: () => Promise<void> = async () => undefined;
  readonly firstPacket: Promise<void>;
  #onFirst!: () => void;

  constructor(iceAddress: string) {
    this.pc = peer(iceAddress);
    this.firstPacket = new Promise((r) => (this.#onFirst = r));
    this.pc.onTrack.subscribe((track) => {
      if (track.kind !== 'video') return;
      track.onReceiveRtp.subscribe((rtp) => {
        this.loss.add(rtp.header.sequenceNumber);
        this.#onFirst();
      });
    });
  }

  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  async connectCamrtc(apiUrl: string, camera: string, id: string): Promise<void> {
    const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/ws`);
    this.#cleanup = async () => ws.close();
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; sdp?: string; code?: string; message?: string };
      if (m.type === 'offer') {
        void this.answer(m.sdp!).then((sdp) => {
          ws.send(JSON.stringify({ type: 'answer', id, sdp }));
          ws.send(JSON.stringify({ type: 'candidate', id, candidate: null }));
        });
      }
    });
    ws.send(JSON.stringify({ type: 'hello', version: 1 }));
    ws.send(JSON.stringify({ type: 'watch', id, camera }));
  }

  async connectJanus(session: JanusSession, mountpoint: number): Promise<void> {
    const handle = await session.attach();
    this.#cleanup = () => session.detach(handle);
    const offer = await session.watch(handle, mountpoint);
    await session.start(handle, await this.answer(offer));
  }

  async close(): Promise<void> {
    await this.#cleanup().catch(() => undefined);
    await this.pc.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as SwarmSpec;
  const janus = spec.server === 'janus' ? await JanusSession.create(spec.apiUrl) : undefined;
  const viewers: SwarmViewer[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < spec.cameras.length) {
      const i = next++;
      const v = new SwarmViewer(spec.iceAddress);
      viewers.push(v);
      try {
        const connecting = janus ? v.connectJanus(janus, Number(spec.cameras[i])) : v.connectCamrtc(spec.apiUrl, spec.cameras[i], `v${i}`);
        await connecting;
        await Promise.race([
          v.firstPacket,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no RTP within 30 s')), FIRST_PACKET_TIMEOUT_MS)),
        ]);
      } catch (err) {
        failed++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  const send = (m: SwarmReply): void => void process.send!(m);
  send({ type: 'ready', connected: viewers.length - failed, failed, firstError });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'snapshot') {
      send({ type: 'snapshot', viewers: viewers.map((v) => ({ expected: v.loss.expected, received: v.loss.received })) });
    } else if (m.type === 'close') {
      void Promise.all(viewers.map((v) => v.close()))
        .then(() => janus?.close())
        .finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}

await main();
