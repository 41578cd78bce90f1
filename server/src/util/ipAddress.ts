/**
 * An IPv4 client on a dual-stack socket is seen as `::ffff:192.0.2.7`; everything that compares,
 * counts or shows addresses wants `192.0.2.7`.
 */
import { isIPv4 } from 'node:net';

export function stripMappedV4(address: string): string;
export function stripMappedV4(address: string | undefined): string | undefined;
export function stripMappedV4(address: string | undefined): string | undefined {
  return address !== undefined && /^::ffff:/i.test(address) && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
