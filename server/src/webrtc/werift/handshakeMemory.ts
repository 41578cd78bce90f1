/**
 * Reach: memory werift keeps per peer connection that a connected camrtc viewer never needs again.
 * Like every reach, it checks the shape it expects and, when a werift upgrade changed it, does
 * nothing and says so once in the log (the viewer then keeps werift's memory, never loses a feature).
 *
 * What it releases, and why it is safe (found with heap snapshots of the server at 0 and 50 viewers):
 * - The DTLS handshake transcript: every handshake message of both sides (certificates included)
 *   with the 8 KiB Buffer pool slabs they were cut from, and the last flight kept for
 *   retransmission: 12.5 KB of heap and ArrayBuffers per peer connection. werift only reads them to
 *   (re)send its last flight and to compute Finished. As DTLS client, werift is connected only after the browser's Finished, so the
 *   browser will never ask again. As DTLS server (client-made offers), the browser may still resend
 *   its last flight if werift's Finished was lost: the transcript goes only once the browser sends
 *   SRTCP, which it can do only after it accepted werift's Finished.
 */
import type { RTCDtlsTransport, RTCPeerConnection } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

/** werift's DtlsContext: the handshake transcript and the last flight. */
interface DtlsContextInternals {
  handshakeCache: Record<number, unknown>;
  lastFlight: unknown[];
  lastMessage: unknown[];
}

interface DtlsSocketInternals {
  connected: boolean;
  dtls: DtlsContextInternals;
  constructor: { name: string };
}

interface DtlsTransportInternals {
  state: string;
  dtls?: DtlsSocketInternals;
  onRtcp: { subscribe(fn: () => void): { unSubscribe(): void } };
}

function transportInternals(transport: RTCDtlsTransport): DtlsTransportInternals | undefined {
  const t = transport as unknown as Partial<DtlsTransportInternals>;
  if (typeof t.state !== 'string' || typeof t.onRtcp?.subscribe !== 'function') return undefined;
  return t as DtlsTransportInternals;
}

function socketInternals(t: DtlsTransportInternals): DtlsSocketInternals | undefined {
  const socket = t.dtls;
  const context = socket?.dtls;
  if (
    !socket ||
    typeof socket.connected !== 'boolean' ||
    !context ||
    typeof context.handshakeCache !== 'object' ||
    context.handshakeCache === null ||
    !Array.isArray(context.lastFlight) ||
    !Array.isArray(context.lastMessage)
  ) {
    return undefined;
  }
  return socket;
}

/** Drops the transcript of a finished handshake. */
function dropTranscript(socket: DtlsSocketInternals): void {
  socket.dtls.handshakeCache = {};
  socket.dtls.lastFlight = [];
  socket.dtls.lastMessage = [];
}

const released = new WeakSet<object>();

/**
 * Releases what werift keeps of each finished DTLS handshake of `pc` (see the file comment). Call
 * once the peer connection is connected (Viewer: connectionState 'connected'); calling it again, or
 * before DTLS is up, does no harm. Returns false when werift's shape was not the expected one.
 */
export function releaseHandshakeMemory(pc: RTCPeerConnection, logger: Logger): boolean {
  let ok = true;
  for (const transport of pc.dtlsTransports) {
    if (released.has(transport)) continue;
    const t = transportInternals(transport);
    // Before DTLS is up werift has no socket yet: nothing to release now, the caller calls again.
    if (t && t.state !== 'connected') continue;
    const socket = t && socketInternals(t);
    if (!t || !socket) {
      weriftShapeChanged(logger, 'DTLS handshake fields', 'viewers keep werift memory they do not need');
      ok = false;
      continue;
    }
    if (!socket.connected) continue;
    released.add(transport);
    if (socket.constructor.name === 'DtlsClient') {
      dropTranscript(socket);
      continue;
    }
    // werift is the DTLS server: wait for the browser's first SRTCP packet.
    const subscription = t.onRtcp.subscribe(() => {
      subscription.unSubscribe();
      if (t.dtls === socket) dropTranscript(socket);
    });
  }
  return ok;
}
