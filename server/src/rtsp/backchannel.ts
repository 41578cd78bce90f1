/**
 * The ONVIF audio backchannel (ONVIF Streaming Specification 5.3): a client that sends
 * `Require: www.onvif.org/ver20/backchannel` with DESCRIBE gets, from a camera with a speaker, one
 * more audio media section marked `a=sendonly` (the camera receives on it). Cameras without one
 * answer `551 Option not supported` (RFC 2326 12.32); some answer 400, 405 or close the connection.
 * A live camera's session asks once, is described again without the header when refused, and the
 * refusal is remembered per camera so later sessions (every reconnect) do not pay the round trip.
 */
import { CamrtcError, RtspStatusError } from '../errors.js';
import type { RtspResponse } from './message.js';

/** The Require tag of the ONVIF backchannel. */
export const ONVIF_BACKCHANNEL = 'www.onvif.org/ver20/backchannel';
/** Oldest entries are forgotten beyond this many cameras (as TransportMemory). */
export const MAX_REMEMBERED_REFUSALS = 1024;

/** Cameras (credential-free URLs) that refused the Require header. */
export class BackchannelMemory {
  private readonly refused = new Set<string>();

  refuses(key: string): boolean {
    return this.refused.has(key);
  }

  remember(key: string): void {
    this.refused.delete(key);
    this.refused.add(key);
    if (this.refused.size > MAX_REMEMBERED_REFUSALS) this.refused.delete(this.refused.values().next().value!);
  }

  forget(key: string): void {
    this.refused.delete(key);
  }

  get size(): number {
    return this.refused.size;
  }
}

/** The process-wide memory RtspSession uses unless given its own. */
export const sharedBackchannelMemory = new BackchannelMemory();

/**
 * DESCRIBE asking for the backchannel unless `memory` says this camera refuses it. A refusal with a
 * status (551, 400, 405...: any but an authentication one, which the retry would get as well) is
 * retried at once without the header, and remembered once that worked. A camera that dropped the
 * connection on reading the header is remembered too, and the error thrown: the caller's next
 * attempt (a reconnect) describes without it. `describe(require)` sends one DESCRIBE.
 */
export async function describeWithBackchannel(
  describe: (require: boolean) => Promise<RtspResponse>,
  memory: BackchannelMemory,
  key: string,
): Promise<RtspResponse> {
  if (memory.refuses(key)) return describe(false);
  try {
    return await describe(true);
  } catch (err) {
    if (err instanceof CamrtcError && err.code === 'ERR_RTSP_CONNECTION_LOST') memory.remember(key);
    if (!(err instanceof RtspStatusError) || err.code === 'ERR_RTSP_AUTH') throw err;
    const res = await describe(false);
    memory.remember(key);
    return res;
  }
}
