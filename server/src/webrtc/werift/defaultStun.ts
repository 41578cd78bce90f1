/**
 * Reach: no STUN request to Google. werift's ICE agent falls back to stun.l.google.com whenever no
 * STUN server is configured (it ignores `iceServers: []`), so every viewer would send a request to
 * Google while gathering, and wait for it.
 */
import type { RTCPeerConnection } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

interface IceConnectionInternals {
  stunServer?: unknown;
  options?: { stunServer?: unknown };
}

/**
 * Clears that fallback on every not-yet-gathered transport that has no STUN server of
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
