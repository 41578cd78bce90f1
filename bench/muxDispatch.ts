/**
 * Per-datagram CPU of the shared UDP port against werift's own socket per viewer, without the
 * system calls (both pay the same recvmsg/sendmsg): a datagram is handed to each socket's 'message'
 * listener as Node would, and each send goes to a socket whose send() only counts.
 *
 *   npm run build && node dist/bench/muxDispatch.js [viewers=50] [datagrams=2000000]
 *
 * Receive: werift's UdpTransport makes an [address, port] array and runs its STUN parser on every
 * datagram (DTLS and SRTCP included); the mux looks the sender up (Map by port, address compared)
 * and hands non-STUN straight to the protocol's data event. Send: werift checks isIP() on each
 * packet; the mux checks the first byte (STUN sends route their destination).
 */
import type { RemoteInfo } from 'node:dgram';
import * as weriftModule from 'werift';
import { StunProtocol } from 'werift';

type WeriftUdpTransport = new (type: string) => {
  socket: { emit: (e: string, ...a: unknown[]) => void; send: (...a: unknown[]) => void };
  onData: unknown;
  send: (d: Buffer, a: [string, number]) => Promise<void>;
  close: () => Promise<void>;
};
import { silentLogger } from '../server/src/log/logger.js';
import { IceMux } from '../server/src/webrtc/ice/IceMux.js';
import type { UdpMux } from '../server/src/webrtc/ice/UdpMux.js';

const viewers = Number(process.argv[2] ?? 50);
const datagrams = Number(process.argv[3] ?? 2_000_000);
// An SRTCP-sized datagram (first byte 0x80: RTP/RTCP by RFC 7983), as most of what a sender receives.
const srtcp = Buffer.alloc(80, 0x80);

function nsPer(label: string, n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 200_000); i++) fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / n;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1)} ns/datagram`);
  return ns;
}

async function main(): Promise<void> {
  let delivered = 0;
  // Where both hand a datagram on: werift's Event costs ~1 µs per call (an async function each time)
  // on both paths alike, so a counter stands in for it and the figures are the dispatch alone.
  const sink = { execute: (): void => void delivered++ };
  // werift: one StunProtocol per viewer, on a UdpTransport-shaped socket (the real class, its listener).
  const UdpTransport = (weriftModule as unknown as { UdpTransport: WeriftUdpTransport }).UdpTransport;
  const werift = Array.from({ length: viewers }, () => {
    const transport = new UdpTransport('udp4');
    const protocol = new StunProtocol();
    (protocol as unknown as { transport: unknown }).transport = transport;
    (protocol as unknown as { localCandidate: unknown }).localCandidate = {};
    (protocol as unknown as { onDataReceived: unknown }).onDataReceived = sink;
    transport.onData = (data: Buffer, addr: [string, number]) => (protocol as unknown as { datagramReceived: (d: Buffer, a: unknown) => void }).datagramReceived(data, addr);
    transport.socket.send = () => undefined;
    return transport;
  });
  const rinfos: RemoteInfo[] = Array.from({ length: viewers }, (_, i) => ({ address: '192.0.2.10', port: 40_000 + i, family: 'IPv4', size: srtcp.length }));

  // The mux: one socket, a session per viewer, each with its browser's address routed.
  const mux = (await IceMux.start({ udpPort: 0, tcpPort: 'off', hostAddresses: ['127.0.0.1'], logger: silentLogger() }))!;
  const sessions = Array.from({ length: viewers }, () => mux.register('p'));
  const channels = sessions.map((s) => s.udp[0].channel);
  const udp = (channels[0] as unknown as { mux: UdpMux }).mux;
  udp.socket.send = (() => undefined) as typeof udp.socket.send;
  channels.forEach((channel, i) => {
    const protocol = new StunProtocol();
    (protocol as unknown as { onDataReceived: unknown }).onDataReceived = sink;
    channel.onDatagram = (data, from) => {
      if (data[0] < 4) (protocol as unknown as { datagramReceived: (d: Buffer, a: unknown) => void }).datagramReceived(data, from);
      else protocol.onDataReceived.execute(data);
    };
    udp.learn(rinfos[i].address, rinfos[i].port, channel);
  });
  // Alternated, best of three: the figures are tens of ns and the machine is shared.
  let muxRecv = Infinity;
  let weriftRecv = Infinity;
  for (let round = 0; round < 3; round++) {
    muxRecv = Math.min(muxRecv, nsPer(`mux, 1 socket, ${viewers} viewers: receive`, datagrams, (i) => udp.socket.emit('message', srtcp, rinfos[i % viewers])));
    weriftRecv = Math.min(weriftRecv, nsPer(`werift, ${viewers} sockets: receive`, datagrams, (i) => werift[i % viewers].socket.emit('message', srtcp, rinfos[i % viewers])));
  }

  const addr = (i: number): [string, number] => [rinfos[i % viewers].address, rinfos[i % viewers].port];
  const addrs = Array.from({ length: viewers }, (_, i) => addr(i));
  const weriftSend = nsPer(`werift, ${viewers} sockets: send`, datagrams, (i) => void werift[i % viewers].send(srtcp, addrs[i % viewers]));
  const muxSend = nsPer(`mux, 1 socket, ${viewers} viewers: send`, datagrams, (i) => channels[i % viewers].send(srtcp, addrs[i % viewers]));
  console.log(`receive: mux ${((muxRecv / weriftRecv) * 100).toFixed(0)}% of werift's; send: ${((muxSend / weriftSend) * 100).toFixed(0)}% (delivered ${delivered})`);
  for (const t of werift) await t.close().catch(() => undefined);
  await mux.close();
  process.exit(0);
}

void main();
