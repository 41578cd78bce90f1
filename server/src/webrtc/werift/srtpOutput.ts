/**
 * Reach: the SRTP session keys and the ICE connection of a connected peer connection, so camrtc
 * writes RTP itself (RtpWriter), skipping werift's per-packet object churn (RTCRtpSender.sendRtp
 * clones every packet, reads the clock, and keeps a 128-packet copy cache per sender).
 */
import { ProtectionProfileAeadAes128Gcm, type RTCPeerConnection } from 'werift';
import type { Logger } from '../../log/logger.js';
import { SrtpGcmProtector } from '../SrtpGcmProtector.js';
import { weriftShapeChanged } from './shapeChanged.js';

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
