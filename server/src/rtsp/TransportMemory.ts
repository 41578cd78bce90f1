/**
 * What transport 'auto' found to work for each camera, so a reconnect does not spend the UDP
 * fallback delay again on a camera behind NAT (MediaMTX keeps the same choice for a source's
 * lifetime). Keyed by the credential-free URL; bounded so a process probing many URLs cannot grow it
 * without end. Lives for the process: a camera that moved off NAT is tried on UDP again after a
 * restart.
 */
import { CamrtcError, RtspStatusError } from '../errors.js';

/** Oldest entries are forgotten beyond this many cameras. */
export const MAX_REMEMBERED_TRANSPORTS = 1024;

export type LowerTransport = 'udp' | 'tcp' | 'multicast';

export class TransportMemory {
  private readonly choices = new Map<string, LowerTransport>();

  get(key: string): LowerTransport | undefined {
    return this.choices.get(key);
  }

  set(key: string, transport: LowerTransport): void {
    this.choices.delete(key);
    this.choices.set(key, transport);
    if (this.choices.size > MAX_REMEMBERED_TRANSPORTS) this.choices.delete(this.choices.keys().next().value!);
  }

  forget(key: string): void {
    this.choices.delete(key);
  }

  get size(): number {
    return this.choices.size;
  }
}

/** The process-wide memory RtspSession uses unless given its own. */
export const sharedTransportMemory = new TransportMemory();

/** The camera (or the host) cannot do RTP over UDP, as opposed to failing altogether: `auto` falls back to TCP. */
export function udpRefused(err: unknown): boolean {
  if (!(err instanceof CamrtcError)) return false;
  if (err instanceof RtspStatusError) return err.status === 461 || err.details.method === 'SETUP';
  // A TCP answer to a UDP SETUP, or no UDP ports to bind here.
  return 'answered' in err.details || (err.code === 'ERR_RTSP_CONNECT' && /UDP/.test(err.message));
}
