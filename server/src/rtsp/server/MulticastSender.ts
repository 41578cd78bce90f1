/**
 * Sends a mount's tracks to its multicast group: one socket, one sink per track shared by every
 * session that plays it over multicast (the fan-out counts it once), so the group gets each packet
 * once however many clients joined it.
 */
import dgram from 'node:dgram';
import type { Logger } from '../../log/logger.js';
import type { MulticastOptions } from './ServerTransport.js';
import type { PacketSink } from './TrackFanOut.js';

export class MulticastSender {
  private readonly sinks = new Map<number, PacketSink>();
  private isClosed = false;

  private constructor(
    private readonly socketValue: dgram.Socket,
    readonly options: MulticastOptions,
  ) {}

  /** Binds the sending socket on `host`'s interface; TTL and loopback as the options say. */
  static open(options: MulticastOptions, host: string, log: Logger): Promise<MulticastSender> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(options.group.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => log.debug({ err }, 'rtsp server: multicast send error'));
        try {
          socket.setMulticastInterface(host);
          socket.setMulticastLoopback(true);
          socket.setMulticastTTL(options.ttl ?? 0);
        } catch (err) {
          socket.close();
          reject(err);
          return;
        }
        resolve(new MulticastSender(socket, options));
      });
    });
  }

  get socket(): dgram.Socket | undefined {
    return this.isClosed ? undefined : this.socketValue;
  }

  /** The shared sink of track `index`; `wrap` (the packet hooks) is applied the first time only. */
  sinkFor(index: number, wrap: (deliver: PacketSink) => PacketSink): PacketSink {
    let sink = this.sinks.get(index);
    if (!sink) {
      const port = this.options.port + 2 * index;
      sink = wrap((packet) => {
        if (!this.isClosed) this.socketValue.send(packet, port, this.options.group);
      });
      this.sinks.set(index, sink);
    }
    return sink;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.sinks.clear();
    this.socketValue.close();
  }
}
