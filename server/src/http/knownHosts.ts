/**
 * The names this server is known by, checked against every request's Host header (pages, /api,
 * WHEP, the /ws upgrade). Without it, DNS rebinding defeats the origin check: a page on
 * http://evil.example:PORT whose name the attacker re-resolves to 127.0.0.1 (or to the server's LAN
 * address) is, to the browser, same-origin with the server, and its Origin host equals its Host.
 * What the attacker cannot change is the name in the Host header, so a name the server does not
 * know is refused.
 *
 * Known without configuration: IP literals (a rebinding needs a DNS name; an IP in Host means the
 * page came from that very address, which also keeps NAT, port forwarding and containers working),
 * `localhost` and `*.localhost` (browsers resolve them to loopback themselves, RFC 6761), the
 * machine's hostname (and `HOSTNAME.local`, mDNS), and the name the server binds (`--host`). Every
 * other name must be configured (`publicNames`, `--public-name`); `*` turns the check off.
 */
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';

/** A DNS name as configured (no port, no scheme): labels of letters, digits and hyphens. */
export const HOST_NAME = /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

export interface KnownHostsOptions {
  /** Names (DNS names or IPs) users reach the server by, besides the built-in ones; `*`: any. */
  publicNames?: readonly string[];
  /** The address or name the server binds, when it is a name. */
  bindHost?: string;
  /** For tests: the machine's hostname. */
  hostname?: string;
}

/** Lower case, without a trailing dot: `Example.ORG.` and `example.org` are the same name. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * The host part of a Host header (`name`, `name:port`, `[v6]:port`), normalized; undefined when the
 * header is not a host at all.
 */
export function hostOfHeader(header: string): string | undefined {
  const value = header.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    const ip = value.slice(1, end);
    return isIP(ip) === 6 ? ip.toLowerCase() : undefined;
  }
  const colon = value.lastIndexOf(':');
  const name = colon >= 0 ? value.slice(0, colon) : value;
  if (colon >= 0 && !/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
  return HOST_NAME.test(name) ? normalize(name) : undefined;
}

export class KnownHosts {
  readonly #names = new Set<string>();
  readonly #any: boolean;

  constructor(options: KnownHostsOptions = {}) {
    const publicNames = options.publicNames ?? [];
    this.#any = publicNames.includes('*');
    const host = options.hostname ?? osHostname();
    const names = ['localhost', ...publicNames, ...(options.bindHost ? [options.bindHost] : [])];
    if (host) names.push(host, `${host.split('.')[0]}.local`);
    for (const name of names) if (name !== '*') this.#names.add(normalize(name));
  }

  /** Whether a request with this Host header is for this server. No Host at all: not a browser. */
  allows(header: string | undefined): boolean {
    if (this.#any || header === undefined) return true;
    const host = hostOfHeader(header);
    if (host === undefined) return false;
    return isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost') || this.#names.has(host);
  }
}

/**
 * What a refused request is told: the name, when it is printable as one, and the setting that lets
 * the server answer to it.
 */
export function unknownHostMessage(header: string | undefined): string {
  const host = header === undefined ? undefined : hostOfHeader(header);
  const what = host === undefined ? 'this Host header' : `the name '${host}'`;
  const add = host === undefined ? 'NAME' : host;
  return (
    `camrtc does not answer to ${what} (a protection against DNS rebinding). ` +
    `If this server is yours and reached by that name, add it: --public-name ${add} (publicNames in the config file).`
  );
}
