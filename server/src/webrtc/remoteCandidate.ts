/**
 * Remote ICE candidates as the browser trickles them (the `candidate` attribute text of RFC 8839).
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Whether the candidate's address is an mDNS name (`<uuid>.local`): Chromium and Safari hide host
 * addresses that way by default. werift would resolve it with a multicast query that waits up to
 * 10 s, one per connection; the server needs no name, since the browser's own connectivity checks
 * bring its address as a peer-reflexive candidate (RFC 8445 §7.3.1.3), which is how the connection
 * comes up either way. Field 5 of `foundation component transport priority address port typ …`.
 */
export function isMdnsCandidate(candidate: string): boolean {
  const address = candidate.trim().split(/\s+/)[4];
  return address !== undefined && address.toLowerCase().endsWith('.local');
}

const FOUNDATION = /^[A-Za-z0-9+/]{1,32}$/;
const DIGITS = /^[0-9]{1,10}$/;
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]{1,32}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/;
const MAX_PRIORITY = 2 ** 32 - 1;

/**
 * What is wrong with a candidate's text, by the grammar of RFC 8839 5.1, or undefined when it is a
 * candidate: `[candidate:]foundation component transport priority address port typ type [raddr a]
 * [rport p] *(name value)`. werift parses the fields leniently (port 70000 or address 999.1.1.1 are
 * kept and fail later, silently); this says which field is wrong, for the client's error message.
 */
export function candidateProblem(candidate: string): string | undefined {
  const text = candidate.startsWith('candidate:') ? candidate.slice('candidate:'.length) : candidate;
  const fields = text.trim().split(/\s+/);
  if (fields.length < 8) return `it has ${fields.length} fields, a candidate has at least 8 (foundation component transport priority address port typ type)`;
  const [foundation, component, transport, priority, address, port, typ, type] = fields;
  if (!FOUNDATION.test(foundation)) return 'its foundation is not 1 to 32 letters, digits, + or /';
  if (!DIGITS.test(component) || Number(component) < 1 || Number(component) > 256) return `its component id '${short(component)}' is not a number from 1 to 256`;
  if (!TOKEN.test(transport)) return `its transport '${short(transport)}' is not a token such as UDP`;
  if (!DIGITS.test(priority) || Number(priority) > MAX_PRIORITY) return `its priority '${short(priority)}' is not a number from 0 to 2^32-1`;
  const addressProblem = connectionAddressProblem(address);
  if (addressProblem) return addressProblem;
  if (!isPort(port)) return `its port '${short(port)}' is not a number from 0 to 65535`;
  if (typ.toLowerCase() !== 'typ') return `'typ' is missing after the port (found '${short(typ)}')`;
  if (!TOKEN.test(type)) return `its type '${short(type)}' is not a token such as host, srflx, prflx or relay`;
  const rest = fields.slice(8);
  if (rest.length % 2 !== 0) return 'its extension attributes are not name-value pairs';
  for (let i = 0; i < rest.length; i += 2) {
    const [name, value] = [rest[i], rest[i + 1]];
    if (name.toLowerCase() === 'raddr') {
      const problem = connectionAddressProblem(value);
      if (problem) return `raddr: ${problem}`;
    } else if (name.toLowerCase() === 'rport') {
      if (!isPort(value)) return `its rport '${short(value)}' is not a number from 0 to 65535`;
    } else if (!TOKEN.test(name)) {
      return `its extension name '${short(name)}' is not a token`;
    }
  }
  return undefined;
}

function connectionAddressProblem(address: string): string | undefined {
  // Dotted digits are meant as IPv4 (RFC 1123 2.1), colons only appear in IPv6.
  if (/^[0-9.]+$/.test(address)) return isIPv4(address) ? undefined : `its address '${short(address)}' is not an IPv4 address`;
  if (address.includes(':')) return isIPv6(address) ? undefined : `its address '${short(address)}' is not an IPv6 address`;
  return HOST_NAME.test(address) ? undefined : `its address '${short(address)}' is not an IP address or a host name`;
}

function isPort(text: string): boolean {
  return /^[0-9]{1,5}$/.test(text) && Number(text) <= 65535;
}

/** A field quoted in a message: never more than a few dozen characters of what the client sent. */
function short(field: string): string {
  return field.length > 40 ? `${field.slice(0, 40)}…` : field;
}
