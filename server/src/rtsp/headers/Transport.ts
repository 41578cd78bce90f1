/**
 * The RTSP Transport header (RFC 2326 §12.39): what the client asks for in SETUP and what the camera
 * actually grants. Tolerant of real cameras: ssrc padded with leading spaces (Hikvision, Dahua), ssrc
 * shorter than 8 hex digits, a single port instead of a pair, quoted or upper-case mode.
 */
import { CamrtcError } from '../../errors.js';

/** Longest Transport header value accepted (several alternatives, each a handful of parameters). */
export const MAX_TRANSPORT_LENGTH = 4096;
/** At most this many comma-separated alternatives. */
export const MAX_TRANSPORTS = 16;

export type PortPair = readonly [number, number];

export interface Transport {
  /** `RTP/AVP` or `RTP/SAVP` (the profile without the lower transport). */
  readonly profile: string;
  /** UDP for `RTP/AVP` and `RTP/AVP/UDP`, TCP for `RTP/AVP/TCP` (interleaved). */
  readonly protocol: 'UDP' | 'TCP';
  readonly delivery?: 'unicast' | 'multicast';
  readonly destination?: string;
  readonly source?: string;
  readonly interleaved?: PortPair;
  readonly clientPort?: PortPair;
  readonly serverPort?: PortPair;
  /** Multicast port pair. */
  readonly port?: PortPair;
  readonly ttl?: number;
  readonly ssrc?: number;
  readonly mode?: 'play' | 'record';
}

function error(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_HEADER', `Transport header: ${message}`);
}

function parsePair(name: string, value: string, max: number): PortPair | CamrtcError {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value.trim());
  if (!m) return error(`invalid ${name} ${JSON.stringify(value.slice(0, 40))}`);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a + 1;
  if (a > max || b > max) return error(`${name} out of range: ${value.slice(0, 40)}`);
  return [a, b];
}

function parseSsrc(value: string): number | CamrtcError {
  // Hikvision/Dahua pad the value with spaces; some send fewer than 8 hex digits.
  const v = value.trim();
  if (!/^[0-9A-Fa-f]{1,8}$/.test(v)) return error(`invalid ssrc ${JSON.stringify(value.slice(0, 40))}`);
  return parseInt(v, 16);
}

/** Parses one transport specification (no commas). */
export function parseTransport(value: string): Transport | CamrtcError {
  if (value.length > MAX_TRANSPORT_LENGTH) return error('too long');
  const parts = value.split(';').map((p) => p.trim());
  const spec = parts[0].toUpperCase();
  const specMatch = /^(RTP\/S?AVP)(?:\/(UDP|TCP))?$/.exec(spec);
  if (!specMatch) return error(`unsupported transport ${JSON.stringify(parts[0].slice(0, 40))}`);
  const t: { -readonly [K in keyof Transport]: Transport[K] } = {
    profile: specMatch[1],
    protocol: specMatch[2] === 'TCP' ? 'TCP' : 'UDP',
  };
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? '' : part.slice(eq + 1);
    const val = raw.trim().replace(/^"(.*)"$/, '$1');
    switch (key) {
      case 'unicast':
      case 'multicast':
        t.delivery = key;
        break;
      case 'destination':
        if (val) t.destination = val;
        break;
      case 'source':
        if (val) t.source = val;
        break;
      case 'interleaved': {
        const p = parsePair(key, val, 255);
        if (p instanceof CamrtcError) return p;
        t.interleaved = p;
        break;
      }
      case 'client_port':
      case 'server_port':
      case 'port': {
        const p = parsePair(key, val, 65535);
        if (p instanceof CamrtcError) return p;
        if (key === 'client_port') t.clientPort = p;
        else if (key === 'server_port') t.serverPort = p;
        else t.port = p;
        break;
      }
      case 'ttl': {
        if (!/^\d{1,3}$/.test(val) || Number(val) > 255) return error(`invalid ttl ${JSON.stringify(val.slice(0, 40))}`);
        t.ttl = Number(val);
        break;
      }
      case 'ssrc': {
        const s = parseSsrc(raw);
        if (s instanceof CamrtcError) return s;
        t.ssrc = s;
        break;
      }
      case 'mode': {
        const mode = val.toLowerCase();
        if (mode === 'play') t.mode = 'play';
        else if (mode === 'record' || mode === 'receive') t.mode = 'record';
        else return error(`unsupported mode ${JSON.stringify(val.slice(0, 40))}`);
        break;
      }
      default:
        // Unknown parameters (append, layers, rtcp-mux, vendor ones) do not matter to a player.
        break;
    }
  }
  return t;
}

/** Parses a header holding one or more comma-separated transports (a client's list of alternatives). */
export function parseTransports(value: string): Transport[] | CamrtcError {
  if (value.length > MAX_TRANSPORT_LENGTH) return error('too long');
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return error('empty');
  if (items.length > MAX_TRANSPORTS) return error(`more than ${MAX_TRANSPORTS} alternatives`);
  const out: Transport[] = [];
  for (const item of items) {
    const t = parseTransport(item);
    if (t instanceof CamrtcError) return t;
    out.push(t);
  }
  return out;
}

function pair(p: PortPair): string {
  return `${p[0]}-${p[1]}`;
}

export function serializeTransport(t: Transport): string {
  const parts = [t.protocol === 'TCP' ? `${t.profile}/TCP` : t.profile];
  if (t.delivery) parts.push(t.delivery);
  if (t.destination !== undefined) parts.push(`destination=${t.destination}`);
  if (t.source !== undefined) parts.push(`source=${t.source}`);
  if (t.interleaved) parts.push(`interleaved=${pair(t.interleaved)}`);
  if (t.port) parts.push(`port=${pair(t.port)}`);
  if (t.clientPort) parts.push(`client_port=${pair(t.clientPort)}`);
  if (t.serverPort) parts.push(`server_port=${pair(t.serverPort)}`);
  if (t.ttl !== undefined) parts.push(`ttl=${t.ttl}`);
  if (t.ssrc !== undefined) parts.push(`ssrc=${(t.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (t.mode) parts.push(`mode=${t.mode}`);
  return parts.join(';');
}
