/**
 * Counts what each client address holds (signaling sockets, WHEP sessions not connected yet), so one
 * address cannot take every slot the server has and lock out every other viewer. An IPv6 client is
 * counted by its /64 (one host usually owns the whole prefix and picks addresses in it at will); an
 * IPv4-mapped IPv6 address counts as its IPv4 address.
 */
import { isIP } from 'node:net';
import { stripMappedV4 } from '../util/ipAddress.js';

/** The key an address is counted under. */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const plain = stripMappedV4(address);
  if (isIP(plain) !== 6) return plain;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), as lower-case hex. */
function expandIpv6(address: string): string[] {
  const plain = address.split('%')[0].toLowerCase();
  const [head, tail] = plain.includes('::') ? plain.split('::') : [plain, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 is handled above; others are rare) takes two groups.
  const groups = (parts: string[]): string[] =>
    parts.flatMap((p) => (p.includes('.') ? ipv4Groups(p) : [p.replace(/^0+(?=.)/, '')]));
  const l = groups(left);
  const r = groups(right);
  const zeros = tail === undefined ? [] : new Array<string>(Math.max(0, 8 - l.length - r.length)).fill('0');
  return [...l, ...zeros, ...r];
}

function ipv4Groups(v4: string): string[] {
  const [a, b, c, d] = v4.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** How many things each client address holds; acquire() refuses past the limit. */
export class AddressCounter {
  readonly #limit: number;
  readonly #counts = new Map<string, number>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  count(address: string | undefined): number {
    return this.#counts.get(clientKey(address)) ?? 0;
  }

  /**
   * Takes one slot for this address; undefined when it already holds `limit`. The returned function
   * gives the slot back (once, however often it is called).
   */
  acquire(address: string | undefined): (() => void) | undefined {
    const key = clientKey(address);
    const held = this.#counts.get(key) ?? 0;
    if (held >= this.#limit) return undefined;
    this.#counts.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.#counts.get(key) ?? 1) - 1;
      if (now <= 0) this.#counts.delete(key);
      else this.#counts.set(key, now);
    };
  }
}
