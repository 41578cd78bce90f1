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

/**
 * A camera described with the header that then refused a SETUP or PLAY is asked without it for this
 * long: some Dahua and Amcrest cameras refuse a second session while a backchannel is set up (as
 * camrtc's own talk session does), and the picture must not wait for the talk to end.
 */
export const BACKCHANNEL_SETUP_REFUSAL_MS = 60_000;

/** Cameras (credential-free URLs) that refused the Require header, for good or until a time. */
export class BackchannelMemory {
  /** Key -> until when (performance.now() ms; Infinity: for good). */
  private readonly refused = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  refuses(key: string): boolean {
    const until = this.refused.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.refused.delete(key);
    return false;
  }

  /** For good, or for `forMs`. */
  remember(key: string, forMs = Infinity): void {
    this.refused.delete(key);
    this.refused.set(key, this.now() + forMs);
    if (this.refused.size > MAX_REMEMBERED_REFUSALS) this.refused.delete(this.refused.keys().next().value!);
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
