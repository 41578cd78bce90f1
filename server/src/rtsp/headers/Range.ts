/**
 * The RTSP Range header, npt only (RFC 2326 §3.6, §12.29): `npt=0-`, `npt=now-`, `npt=10.5-20`,
 * `npt=00:01:02.5-`. Other units (smpte, clock) are reported as unsupported.
 */
import { CamrtcError } from '../../errors.js';

export interface NptRange {
  /** Seconds, or 'now' for a live stream. */
  readonly start: number | 'now';
  /** Seconds; absent for an open range. */
  readonly end?: number;
}

function error(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_HEADER', `Range header: ${message}`);
}

function parseNptTime(s: string): number | 'now' | CamrtcError {
  if (s === 'now') return 'now';
  let m = /^(\d{1,12})(\.\d{0,9})?$/.exec(s);
  if (m) return Number(m[1] + (m[2] && m[2] !== '.' ? m[2] : ''));
  m = /^(\d{1,9}):([0-5]?\d):([0-5]?\d)(\.\d{0,9})?$/.exec(s);
  if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] + (m[4] && m[4] !== '.' ? m[4] : ''));
  return error(`invalid npt time ${JSON.stringify(s.slice(0, 40))}`);
}

export function parseRange(value: string): NptRange | CamrtcError {
  // A ";time=..." suffix says when to start: ignored, a player plays now.
  const spec = value.split(';')[0].trim();
  const m = /^npt\s*=\s*([^-\s]*)\s*-\s*(\S*)$/i.exec(spec);
  if (!m) return error(`unsupported range ${JSON.stringify(spec.slice(0, 40))}`);
  const start = m[1] === '' ? 0 : parseNptTime(m[1]);
  if (start instanceof CamrtcError) return start;
  if (m[2] === '') return { start };
  const end = parseNptTime(m[2]);
  if (end instanceof CamrtcError) return end;
  if (end === 'now') return error('end cannot be now');
  return { start, end };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? `${n}` : n.toFixed(3);
}

export function serializeRange(r: NptRange): string {
  const start = r.start === 'now' ? 'now' : fmt(r.start);
  return `npt=${start}-${r.end !== undefined ? fmt(r.end) : ''}`;
}

/** PLAY's Range and Scale headers (Scale only when it is a finite, non-zero speed). */
export function playHeaders(range: string | undefined, scale: number | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (range !== undefined) headers.Range = range;
  if (scale !== undefined && Number.isFinite(scale) && scale !== 0) headers.Scale = String(scale);
  return headers;
}
