/** A signaling client for tests: queues server messages and waits for the ones a test expects. */
import WebSocket, { type ClientOptions } from 'ws';
import type { ServerMessage } from '../../../shared/protocol.js';

export class TestClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  #seen = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(message);
      const waiter = this.#waiters.find((w) => w.match(message));
      if (waiter) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    });
  }

  /** `options.localAddress` (any 127.0.0.0/8 address) makes the client another address on loopback. */
  static open(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { ...options, headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (from those not yet consumed by next()) matching `match`. */
  next<T extends ServerMessage['type']>(
    type: T,
    match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const test = (m: ServerMessage): boolean => m.type === type && match(m as Extract<ServerMessage, { type: T }>);
    for (let i = this.#seen; i < this.messages.length; i++) {
      if (test(this.messages[i])) {
        this.#seen = i + 1;
        return Promise.resolve(this.messages[i] as Extract<ServerMessage, { type: T }>);
      }
    }
    return new Promise((resolve) => {
      this.#waiters.push({
        match: test,
        resolve: (m) => {
          this.#seen = this.messages.length;
          resolve(m as Extract<ServerMessage, { type: T }>);
        },
      });
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.ws.close();
      await this.closed;
    }
  }
}
