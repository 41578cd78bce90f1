/** The RTSP Session header (RFC 2326 §12.37): `id;timeout=N`. */
import { CamrtcError } from '../../errors.js';

export const MAX_SESSION_ID_LENGTH = 256;
/** Session timeout when the camera does not say (RFC 2326 §12.37). */
export const DEFAULT_SESSION_TIMEOUT_S = 60;

export interface SessionHeader {
  readonly id: string;
  /** Seconds, when the camera gave one. */
  readonly timeout?: number;
}

export function parseSession(value: string): SessionHeader | CamrtcError {
  const parts = value.split(';');
  const id = parts[0].trim();
  if (id === '' || id.length > MAX_SESSION_ID_LENGTH || /[\s",]/.test(id)) {
    return new CamrtcError('ERR_PARSE_HEADER', `Session header: invalid session id ${JSON.stringify(id.slice(0, 40))}`);
  }
  let timeout: number | undefined;
  for (const part of parts.slice(1)) {
    const m = /^\s*timeout\s*=\s*"?(\d{1,9})"?\s*$/i.exec(part);
    // Other parameters or a malformed timeout are ignored: the id is what matters, the timeout has a default.
    if (m && Number(m[1]) > 0) timeout = Number(m[1]);
  }
  return timeout === undefined ? { id } : { id, timeout };
}

/** What the client sends back: the id alone (the timeout is the server's business). */
export function serializeSession(s: SessionHeader): string {
  return s.id;
}
