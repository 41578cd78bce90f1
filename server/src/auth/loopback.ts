/** Loopback client addresses: with no auth section, only these reach the API and the metrics. */
import { isIP } from 'node:net';
import { stripMappedV4 } from '../util/ipAddress.js';

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = stripMappedV4(address);
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}
