/**
 * How one node proves to another that it is a peer when it reads a camera from the other's RTSP
 * restream (a relay): a credential signed with the cluster's shared secret (HMAC-SHA256), naming the
 * reading node, the one camera it may read, and an expiry. The restream accepts it for that camera
 * only, as the Basic password of user PEER_USER (or a `?token=`); it is never logged. Without a
 * secret (no auth section: the restream is open to everyone anyway) no credential is made.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PEER_USER = 'camrtc-peer';
const PREFIX = 'camrtc-peer.';
/** A relay that pauses and plays again after this long reconnects with a new credential. */
export const PEER_CREDENTIAL_TTL_S = 3600;
const MAX_CHARS = 512;

export interface PeerClaim {
  /** The reading node. */
  readonly node: string;
  readonly camera: string;
}

export function isPeerCredential(value: string): boolean {
  return value.startsWith(PREFIX) && value.length <= MAX_CHARS;
}

export class PeerCredential {
  readonly #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  mint(node: string, camera: string, nowMs = Date.now(), ttlS = PEER_CREDENTIAL_TTL_S): string {
    const payload = Buffer.from(JSON.stringify({ n: node, c: camera, e: Math.floor(nowMs / 1000) + ttlS })).toString('base64url');
    return `${PREFIX}${payload}.${this.#sign(payload)}`;
  }

  /** The claim when `credential` is valid now for `camera`, else undefined. */
  verify(credential: string, camera: string, nowMs = Date.now()): PeerClaim | undefined {
    if (!isPeerCredential(credential)) return undefined;
    const [payload, signature, extra] = credential.slice(PREFIX.length).split('.');
    if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let claim: unknown;
    try {
      claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const { n, c, e } = (claim ?? {}) as { n?: unknown; c?: unknown; e?: unknown };
    if (typeof n !== 'string' || typeof c !== 'string' || typeof e !== 'number') return undefined;
    if (c !== camera || e * 1000 <= nowMs) return undefined;
    return { node: n, camera: c };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(`camrtc-peer-v1.${payload}`).digest('base64url');
  }
}
