/**
 * Reach: the DTLS client role, AES-128-GCM only, and no 100 ms pause.
 * - As DTLS server, werift only creates its server once its own ICE check completed; Chromium's
 *   first ClientHello usually arrives before that, is dropped, and is resent only after Chromium's
 *   retransmission timer (~350 ms of first-frame time). As client, werift speaks first and Chromium
 *   (which keeps an early ClientHello) answers at once.
 * - werift's DTLS client waits a fixed 100 ms before its ClientHello.
 * - Chromium as DTLS server prefers AES-CM + HMAC-SHA1, which costs two cipher objects per packet
 *   instead of one. Every current browser supports GCM.
 */
import { ProtectionProfileAeadAes128Gcm, type RTCDtlsTransport, type RTCPeerConnection } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

interface DtlsInternals {
  role: string;
  state: string;
  srtpProfiles: number[];
  dtls?: { connect?: () => Promise<void>; constructor: { name: string } };
  onStateChange: { subscribe(fn: (state: string) => void): unknown };
}

function dtlsInternals(transport: RTCDtlsTransport): DtlsInternals | undefined {
  const t = transport as unknown as Partial<DtlsInternals>;
  if (typeof t.role !== 'string' || typeof t.state !== 'string' || !Array.isArray(t.srtpProfiles) || typeof t.onStateChange?.subscribe !== 'function') {
    return undefined;
  }
  return t as DtlsInternals;
}

const tunedTransports = new WeakSet<object>();

/**
 * For camrtc's own offers: werift becomes the DTLS client (the offer says a=setup:active), offers
 * AES-128-GCM only, and sends its ClientHello as soon as ICE connects. Call after the transceivers
 * are added and before createOffer.
 */
export function actAsDtlsClient(pc: RTCPeerConnection, logger: Logger): boolean {
  let ok = true;
  for (const transport of pc.dtlsTransports) {
    const t = dtlsInternals(transport);
    if (!t) {
      weriftShapeChanged(logger, 'RTCDtlsTransport fields');
      ok = false;
      continue;
    }
    if (t.state !== 'new') continue;
    t.role = 'client';
    t.srtpProfiles = [ProtectionProfileAeadAes128Gcm];
    connectWithoutPause(transport, t);
  }
  return ok;
}

/**
 * werift's DTLS client sleeps 100 ms between creating its socket and connect(). When the transport
 * enters 'connecting' the socket exists a microtask later: connect it then, and hand werift's own
 * later connect() call the same promise so the handshake runs once.
 */
function connectWithoutPause(transport: RTCDtlsTransport, t: DtlsInternals): void {
  if (tunedTransports.has(transport)) return;
  tunedTransports.add(transport);
  t.onStateChange.subscribe((state) => {
    if (state !== 'connecting') return;
    queueMicrotask(() => {
      const socket = t.dtls;
      if (t.role !== 'client' || !socket || typeof socket.connect !== 'function' || socket.constructor.name !== 'DtlsClient') return;
      const connecting = socket.connect();
      // werift attaches its own handler to the promise it gets from its own call.
      connecting.catch(() => undefined);
      socket.connect = () => connecting;
    });
  });
}
