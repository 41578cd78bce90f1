/**
 * A 1:1 NAT for one UDP port on loopback, as Docker's port publishing (`-p 8189:8189/udp`) does it
 * in user space (docker-proxy): datagrams to the public address are sent on to the private one from
 * a socket per client, and the answers go back to the client from the public address. The server
 * behind it sees the forwarder's sockets as its peers, never the client's address.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export class UdpPortForward {
  readonly #clients = new Map<string, Socket>();
  #closed = false;

  private constructor(
    private readonly outer: Socket,
    private readonly target: { address: string; port: number },
  ) {
    outer.on('message', (data, from) => this.#forward(data, from));
  }

  /** Listens on `publicAddress:port` and forwards to `target` (same port number, as `-p P:P`). */
  static async start(publicAddress: string, target: { address: string; port: number }): Promise<UdpPortForward> {
    const outer = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      outer.once('error', reject);
      outer.bind(target.port, publicAddress, () => resolve());
    });
    return new UdpPortForward(outer, target);
  }

  /** Datagrams forwarded per client so far (clients: one per address the browser sent from). */
  get clients(): number {
    return this.#clients.size;
  }

  #forward(data: Buffer, from: RemoteInfo): void {
    if (this.#closed) return;
    const key = `${from.address}:${from.port}`;
    let inner = this.#clients.get(key);
    if (!inner) {
      const socket = createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      socket.on('message', (reply) => {
        if (!this.#closed) this.outer.send(reply, from.port, from.address);
      });
      socket.on('error', () => undefined);
      this.#clients.set(key, socket);
      inner = socket;
    }
    inner.send(data, this.target.port, this.target.address);
  }

  close(): void {
    this.#closed = true;
    for (const socket of this.#clients.values()) socket.close();
    this.#clients.clear();
    this.outer.close();
  }
}
