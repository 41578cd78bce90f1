/**
 * A werift viewer that behaves like the browser player in a cluster: it watches a camera from a
 * node's /ws (the watch in the socket's URL, as the player does), follows a `redirect` once, and
 * after a lost connection or an ended session reconnects to the node it was first given, half a
 * second later (the player's first backoff). It notes when each video packet arrives, so a test can
 * tell when the picture stopped and when it came back.
 */
import WebSocket from 'ws';
import type { RTCPeerConnection } from 'werift';
import { receiverPeer } from '../../../examples/ws-viewer.js';
import { withUrlWatch } from '../../../shared/watchUrl.js';
import type { ServerMessage } from '../../../shared/protocol.js';

const RETRY_MS = 500;

export class ClusterViewer {
  /** performance.now() of every video packet's arrival. */
  readonly videoAt: number[] = [];
  /** The signaling URLs connected to, in order (redirects show here). */
  readonly connections: string[] = [];
  readonly errors: string[] = [];
  #ws: WebSocket | undefined;
  #pc: RTCPeerConnection | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #session = 0;

  constructor(readonly entry: string, readonly camera: string) {}

  start(): this {
    this.#connect(this.entry, false);
    return this;
  }

  get lastVideoAt(): number {
    return this.videoAt.at(-1) ?? -Infinity;
  }

  /** Resolves when a video packet arrives after `since` (performance.now()); its arrival time. */
  async videoAfter(since: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.videoAt.find((t) => t > since);
      if (found !== undefined) return found;
      if (performance.now() > deadline) throw new Error(`no video at ${this.entry} for ${timeoutMs} ms (connections: ${this.connections.join(', ')}; errors: ${this.errors.join('; ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#ws?.close();
    await this.#pc?.close();
  }

  #connect(url: string, redirected: boolean): void {
    if (this.#closed) return;
    const id = `v${++this.#session}`;
    this.connections.push(url);
    const ws = new WebSocket(withUrlWatch(url, { camera: this.camera, id, h265: false, paused: false }));
    this.#ws = ws;
    const pc = receiverPeer(['127.0.0.1']);
    void this.#pc?.close();
    this.#pc = pc;
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe(() => {
        if (track.kind === 'video' && this.#pc === pc) this.videoAt.push(performance.now());
      });
    });
    let done = false;
    const again = (why: string): void => {
      if (done || this.#closed) return;
      done = true;
      this.errors.push(why);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.close();
      void pc.close();
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#connect(this.entry, false), RETRY_MS);
    };
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      if ('id' in message && message.id !== undefined && message.id !== id) return;
      if (message.type === 'redirect') {
        if (redirected) return again('redirected twice');
        done = true;
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.close();
        void pc.close();
        this.#connect(message.url, true);
      } else if (message.type === 'offer') {
        void (async () => {
          await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          ws.send(JSON.stringify({ type: 'answer', id, sdp: pc.localDescription!.sdp }));
        })().catch((err: unknown) => again(`negotiation: ${String(err)}`));
      } else if (message.type === 'error') {
        this.errors.push(`${message.code}: ${message.message}`);
      } else if (message.type === 'closed') {
        again(`closed: ${message.reason ?? ''}`);
      }
    });
    ws.on('close', () => again('socket closed'));
    ws.on('error', (err) => again(`socket error: ${err.message}`));
  }
}
