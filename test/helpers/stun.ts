/**
 * STUN binding requests as a browser sends them, built with werift's own STUN code (so camrtc's
 * reader is checked against another implementation), and the answers the server sends back.
 */
import { Message, classes, methods, parseMessage } from 'werift';

/** A binding request to the viewer whose ufrag is `ufrag`, signed with `password` (MESSAGE-INTEGRITY, then FINGERPRINT). */
export function bindingRequest(ufrag: string, password: string, options: { remoteUfrag?: string; sign?: boolean; role?: 'controlling' | 'controlled' } = {}): Buffer {
  // A browser that offered (WHEP) is controlling; werift then answers without a role conflict.
  const role = options.role === 'controlled' ? 'ICE-CONTROLLED' : 'ICE-CONTROLLING';
  const request = new Message(methods.BINDING, classes.REQUEST)
    .setAttribute('USERNAME', `${ufrag}:${options.remoteUfrag ?? 'brws'}`)
    .setAttribute('PRIORITY', 1853824767)
    .setAttribute(role, 1n);
  if (options.sign !== false) request.addMessageIntegrity(Buffer.from(password, 'utf8'));
  return request.addFingerprint().bytes;
}

/** A binding success response to `request` verified with `password` (undefined: none, or not one). */
export function bindingSuccess(data: Buffer, password: string): Message | undefined {
  const message = parseMessage(data, Buffer.from(password, 'utf8'));
  return message?.messageMethod === methods.BINDING && message.messageClass === classes.RESPONSE ? message : undefined;
}

/** The ICE credentials of an SDP's first media section. */
export function iceCredentials(sdp: string): { ufrag: string; password: string } {
  const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
  const password = /a=ice-pwd:(\S+)/.exec(sdp)?.[1];
  if (!ufrag || !password) throw new Error('no ICE credentials in the SDP');
  return { ufrag, password };
}
