/**
 * An even/odd pair of UDP ports for one track (RTP on the even port, RTCP on the next one, as
 * RFC 3550 §11 and most cameras expect), with a large receive buffer: a burst of a 4K keyframe
 * overflows the default 208 KiB buffer and shows as smeared pictures.
 */
import dgram from 'node:dgram';
import { CamrtcError } from '../errors.js';

export const UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
export const MAX_BIND_ATTEMPTS = 64;

function bind(address: string, port: number, reuseAddr = false): Promise<dgram.Socket | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const type = address.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, recvBufferSize: UDP_RECEIVE_BUFFER_BYTES, reuseAddr });
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.close();
      resolve(err);
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export class UdpPair {
  private isClosed = false;

  private constructor(
    readonly rtp: dgram.Socket,
    readonly rtcp: dgram.Socket,
    readonly rtpPort: number,
  ) {
    // Errors after bind (ICMP port unreachable on send, mostly) must not crash the process.
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
  }

  /** Binds a fresh pair on `address` (default all interfaces). */
  static async bind(address = '0.0.0.0'): Promise<UdpPair> {
    let lastError: NodeJS.ErrnoException | undefined;
    for (let attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
      const rtp = await bind(address, 0);
      if (!(rtp instanceof dgram.Socket)) {
        lastError = rtp;
        continue;
      }
      const port = rtp.address().port;
      if (port % 2 !== 0 || port === 65535) {
        rtp.close();
        continue;
      }
      const rtcp = await bind(address, port + 1);
      if (!(rtcp instanceof dgram.Socket)) {
        lastError = rtcp;
        rtp.close();
        continue;
      }
      return new UdpPair(rtp, rtcp, port);
    }
    throw new CamrtcError('ERR_RTSP_CONNECT', `cannot bind a pair of UDP ports for RTP/RTCP${lastError ? `: ${lastError.code ?? lastError.message}` : ''}`);
  }

  /**
   * Receives a multicast group on the ports the camera announced (Transport `port=`). Several
   * receivers on this host may listen to the same group, hence reuseAddr; `interfaceAddress` is the
   * local address the camera is reached through (the RTSP socket's), so the group is joined on the
   * interface that faces the camera rather than on the default route's.
   */
  static async joinMulticast(group: string, ports: readonly [number, number], interfaceAddress: string | undefined): Promise<UdpPair> {
    const any = group.includes(':') ? '::' : '0.0.0.0';
    const sockets: dgram.Socket[] = [];
    try {
      for (const port of ports) {
        const s = await bind(any, port, true);
        if (!(s instanceof dgram.Socket)) {
          throw new CamrtcError('ERR_RTSP_CONNECT', `cannot listen on UDP port ${port} for multicast group ${group}: ${s.code ?? s.message}`);
        }
        sockets.push(s);
        s.addMembership(group, interfaceAddress);
      }
    } catch (err) {
      for (const s of sockets) s.close();
      if (err instanceof CamrtcError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new CamrtcError('ERR_RTSP_CONNECT', `cannot join multicast group ${group}: ${e.code ?? e.message}`);
    }
    const pair = new UdpPair(sockets[0], sockets[1], ports[0]);
    pair.rtcpPortValue = ports[1];
    return pair;
  }

  /** The RTCP port: rtpPort + 1, unless a multicast announcement said otherwise. */
  private rtcpPortValue: number | undefined;

  get rtcpPort(): number {
    if (this.rtcpPortValue !== undefined) return this.rtcpPortValue;
    return this.rtpPort + 1;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.rtp.removeAllListeners('message');
    this.rtcp.removeAllListeners('message');
    this.rtp.close();
    this.rtcp.close();
  }
}
