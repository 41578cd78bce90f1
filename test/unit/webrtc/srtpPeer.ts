/**
 * werift's own SRTP implementation, used by the tests as the independent other end: what camrtc
 * protects must be what a WebRTC stack accepts.
 */
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, SrtpSession } from 'werift';
import { SrtpGcmProtector } from '../../../server/src/webrtc/SrtpGcmProtector.js';

export interface SrtpPair {
  /** camrtc's protector, keyed like the sending side of the session. */
  protector: SrtpGcmProtector;
  /** Decrypts and authenticates one packet (throws when it does not authenticate). */
  unprotect(packet: Buffer): Buffer;
}

export function srtpPair(): SrtpPair {
  const keys = {
    localMasterKey: randomBytes(16),
    localMasterSalt: randomBytes(12),
    remoteMasterKey: randomBytes(16),
    remoteMasterSalt: randomBytes(12),
  };
  const sender = new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm });
  const receiver = new SrtpSession({
    keys: {
      localMasterKey: keys.remoteMasterKey,
      localMasterSalt: keys.remoteMasterSalt,
      remoteMasterKey: keys.localMasterKey,
      remoteMasterSalt: keys.localMasterSalt,
    },
    profile: ProtectionProfileAeadAes128Gcm,
  });
  const cipher = (sender.localContext as unknown as { cipher: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer } }).cipher;
  return {
    protector: new SrtpGcmProtector(cipher.srtpSessionKey, cipher.srtpSessionSalt),
    unprotect: (packet) => receiver.decrypt(packet),
  };
}
