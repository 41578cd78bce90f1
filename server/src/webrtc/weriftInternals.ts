/**
 * Every place where camrtc reaches past werift's public API, in one file. Each reach checks the shape
 * it expects and, when a werift upgrade changed it, does nothing and says so (the caller then keeps
 * werift's own, slower behaviour), so an upgrade degrades speed, never correctness.
 *
 * Why each one exists (measured with `npm run bench`, see docs/benchmarks.md):
 * - DTLS client role: as DTLS server, werift only creates its server once its own ICE check
 *   completed; Chromium's first ClientHello usually arrives before that, is dropped, and is resent
 *   only after Chromium's retransmission timer (~350 ms of first-frame time). As client, werift
 *   speaks first and Chromium (which keeps an early ClientHello) answers at once.
 * - No 100 ms pause: werift's DTLS client waits a fixed 100 ms before its ClientHello.
 * - AES-128-GCM only in camrtc's own offers: Chromium as DTLS server prefers AES-CM + HMAC-SHA1,
 *   which costs two cipher objects per packet instead of one. Every current browser supports GCM.
 * - No STUN request to Google: see withoutDefaultStun.
 * - ICE done at nomination: werift's ICE connect() polls its check list every 20 ms, so DTLS started
 *   0-20 ms after the pair was nominated (see connectAtNomination).
 * - The certificate parsed once: see parseCertificateOnce.
 * - SRTP session keys and the ICE connection: camrtc writes RTP itself (RtpWriter), skipping
 *   werift's per-packet object churn (RTCRtpSender.sendRtp clones every packet, reads the clock,
 *   and keeps a 128-packet copy cache per sender).
 */
import {
  CipherContext,
  ProtectionProfileAeadAes128Gcm,
  type RTCDtlsTransport,
  type RTCPeerConnection,
  type RTCRtpSender,
} from 'werift';
import type { Logger } from '../log/logger.js';
import { SrtpGcmProtector } from './SrtpGcmProtector.js';

const warned = new Set<string>();
/**
 * Says once per process that a reach into werift found another shape than expected (a werift
 * upgrade), and what camrtc does instead (`consequence`).
 */
export function weriftShapeChanged(logger: Logger, what: string, consequence = 'using werift defaults'): void {
  if (warned.has(what)) return;
  warned.add(what);
  logger.warn({ what }, `this werift version differs from the one camrtc was tuned for; ${consequence}`);
}

interface IceConnectionInternals {
  stunServer?: unknown;
  options?: { stunServer?: unknown };
}

/**
 * werift's ICE agent falls back to stun.l.google.com whenever no STUN server is configured (it
 * ignores `iceServers: []`), so every viewer would send a request to Google while gathering, and
 * wait for it. Clears that fallback on every not-yet-gathered transport that has no STUN server of
 * its own. Call before setLocalDescription.
 */
export function withoutDefaultStun(pc: RTCPeerConnection, logger: Logger): boolean {
  let ok = true;
  for (const transport of pc.iceTransports) {
    const connection = (transport as unknown as { connection?: IceConnectionInternals }).connection;
    if (!connection || !('stunServer' in connection) || typeof connection.options !== 'object') {
      weriftShapeChanged(logger, 'ICE connection STUN fields');
      ok = false;
      continue;
    }
    if (connection.options.stunServer === undefined) connection.stunServer = undefined;
  }
  return ok;
}

type ParseX509 = (this: ParsedCertificate, certPem: string, keyPem: string, signatureHash: unknown) => void;
interface ParsedCertificate {
  localCert: unknown;
  localPrivateKey: unknown;
  signatureHashAlgorithm: unknown;
}

/** Parsed certificates kept: werift makes one per process; a bound, not a working set. */
const MAX_PARSED_CERTIFICATES = 4;
let certificatePatch: boolean | undefined;

/**
 * werift's DTLS parses its own certificate and key from PEM (in JavaScript, @fidm/x509) when every
 * connection's handshake starts, right between ICE and the first DTLS flight: 154 ms of CPU over 14
 * handshakes in a server profile of the benchmark's page loads. werift uses one certificate per
 * process, and the parsed certificate (DER bytes) and key (signs without state) are only read, so
 * each (certificate, key) pair is parsed once. Process-wide and idempotent.
 */
export function parseCertificateOnce(logger: Logger): boolean {
  if (certificatePatch !== undefined) return certificatePatch;
  const proto = (CipherContext as unknown as { prototype?: { parseX509?: unknown } } | undefined)?.prototype;
  const original = proto?.parseX509;
  if (!proto || typeof original !== 'function' || original.length !== 3) {
    weriftShapeChanged(logger, 'CipherContext.parseX509', 'the certificate is parsed for every connection');
    certificatePatch = false;
    return false;
  }
  const parse = original as ParseX509;
  const parsed = new Map<string, Pick<ParsedCertificate, 'localCert' | 'localPrivateKey'>>();
  proto.parseX509 = function (this: ParsedCertificate, certPem: string, keyPem: string, signatureHash: unknown): void {
    const key = `${certPem}\u0000${keyPem}`;
    const known = parsed.get(key);
    if (!known) {
      parse.call(this, certPem, keyPem, signatureHash);
      if (parsed.size >= MAX_PARSED_CERTIFICATES) parsed.clear();
      parsed.set(key, { localCert: this.localCert, localPrivateKey: this.localPrivateKey });
      return;
    }
    this.localCert = known.localCert;
    this.localPrivateKey = known.localPrivateKey;
    this.signatureHashAlgorithm = signatureHash;
  } satisfies ParseX509;
  certificatePatch = true;
  return true;
}

interface IceConnectInternals {
  connect: () => Promise<void>;
  checkComplete: (pair: unknown) => void;
  queryConsent: () => void;
  nominated: unknown;
  checkListDone: boolean;
  consentFresh: boolean;
  iceLite: boolean;
}

function iceConnectInternals(connection: unknown): IceConnectInternals | undefined {
  const c = connection as Partial<IceConnectInternals> | undefined;
  if (
    typeof c?.connect !== 'function' ||
    typeof c.checkComplete !== 'function' ||
    typeof c.queryConsent !== 'function' ||
    !('nominated' in c) ||
    typeof c.checkListDone !== 'boolean' ||
    typeof c.consentFresh !== 'boolean' ||
    typeof c.iceLite !== 'boolean'
  ) {
    return undefined;
  }
  return c as IceConnectInternals;
}

const earlyIce = new WeakSet<object>();

/**
 * werift's ICE connect() schedules its checks in a loop that sleeps 20 ms between rounds, and only
 * returns (the ICE transport then starts DTLS) at the round after a pair was nominated: 0-20 ms
 * lost on every connection, on the first-frame path. Here connect() returns as soon as a nominated
 * pair succeeded, with consent started as werift's own connect() does before it returns (werift
 * sends no media without it); werift's connect() carries on to the same end in the background.
 * Call before setRemoteDescription.
 */
export function connectAtNomination(pc: RTCPeerConnection, logger: Logger): boolean {
  let ok = true;
  for (const transport of pc.iceTransports) {
    const connection = (transport as unknown as { connection?: object }).connection;
    const c = iceConnectInternals(connection);
    if (!connection || !c) {
      weriftShapeChanged(logger, 'ICE connection connect/checkComplete fields', 'DTLS starts at werift\'s next ICE round');
      ok = false;
      continue;
    }
    if (earlyIce.has(connection) || c.iceLite) continue;
    earlyIce.add(connection);
    const connect = c.connect;
    const checkComplete = c.checkComplete;
    c.connect = function (this: IceConnectInternals): Promise<void> {
      const own = connect.call(this);
      return new Promise<void>((resolve, reject) => {
        let done = false;
        // The first of the nomination and werift's own end settles connect() and removes the hook.
        const settle = (end: () => void): void => {
          if (done) return;
          done = true;
          this.checkComplete = checkComplete;
          end();
        };
        this.checkComplete = function (this: IceConnectInternals, pair: unknown): void {
          checkComplete.call(this, pair);
          if (done || !this.nominated || !this.checkListDone) return;
          if (!this.consentFresh) this.queryConsent();
          settle(resolve);
        };
        own.then(
          () => settle(resolve),
          (err: unknown) => settle(() => reject(err)),
        );
      });
    };
  }
  return ok;
}

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

/** What RtpWriter needs from a connected werift peer connection. */
export interface SrtpOutput {
  protector: SrtpGcmProtector;
  /** Sends one protected packet over the nominated ICE pair (respecting ICE consent). */
  send(packet: Buffer): void;
}

interface SrtpInternals {
  state: string;
  srtp?: { localContext?: { profile?: number; cipher?: { srtpSessionKey?: Buffer; srtpSessionSalt?: Buffer } } };
  iceTransport?: { connection?: { send?: (data: Buffer) => Promise<void> } };
}

/**
 * The SRTP session keys and ICE connection of a connected peer connection, or undefined when the
 * negotiated profile is not AES-128-GCM (then werift's own sender must be used).
 */
export function srtpOutput(pc: RTCPeerConnection, logger: Logger): SrtpOutput | undefined {
  const transport = pc.dtlsTransports.find((t) => t.state === 'connected') as unknown as SrtpInternals | undefined;
  if (!transport) return undefined;
  const context = transport.srtp?.localContext;
  const connection = transport.iceTransport?.connection;
  const send = connection?.send;
  if (!context || typeof send !== 'function') {
    weriftShapeChanged(logger, 'SRTP session or ICE connection');
    return undefined;
  }
  if (context.profile !== ProtectionProfileAeadAes128Gcm) return undefined;
  const key = context.cipher?.srtpSessionKey;
  const salt = context.cipher?.srtpSessionSalt;
  if (!Buffer.isBuffer(key) || !Buffer.isBuffer(salt)) {
    weriftShapeChanged(logger, 'SRTP session keys');
    return undefined;
  }
  const onError = (): void => undefined;
  return {
    protector: new SrtpGcmProtector(key, salt),
    send: (packet) => {
      send.call(connection, packet).catch(onError);
    },
  };
}

interface SenderInternals {
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  runRtcp?: () => Promise<void>;
}

/**
 * werift's RTCRtpSender sends the RTCP sender reports (every 0.5–1.5 s) from four fields that its own
 * sendRtp keeps; camrtc's RtpWriter keeps them instead. Returns the updater, or undefined.
 */
export function senderReports(sender: RTCRtpSender, logger: Logger): ((ntp: bigint, rtpTimestamp: number, packets: number, octets: number) => void) | undefined {
  const s = sender as unknown as Partial<SenderInternals>;
  if (typeof s.ntpTimestamp !== 'bigint' || typeof s.packetCount !== 'number' || typeof s.octetCount !== 'number' || typeof s.runRtcp !== 'function') {
    weriftShapeChanged(logger, 'RTCRtpSender report fields');
    return undefined;
  }
  const fields = s as SenderInternals;
  let started = false;
  return (ntp, rtpTimestamp, packets, octets) => {
    fields.ntpTimestamp = ntp;
    fields.rtpTimestamp = rtpTimestamp;
    fields.packetCount = packets >>> 0;
    fields.octetCount = octets >>> 0;
    if (!started) {
      started = true;
      fields.runRtcp?.call(sender).catch(() => undefined);
    }
  };
}
