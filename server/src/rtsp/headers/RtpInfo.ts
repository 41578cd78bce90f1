/**
 * The RTP-Info header of a PLAY answer (RFC 2326 §12.33): per stream, the first sequence number and
 * RTP timestamp. Entries are comma-separated; an entry's url may itself contain ';' in a query, so
 * only the known trailing parameters are split off.
 */
import { CamrtcError } from '../../errors.js';

export const MAX_RTP_INFO_ENTRIES = 16;
export const MAX_RTP_INFO_LENGTH = 8192;

export interface RtpInfoEntry {
  readonly url: string;
  readonly seq?: number;
  readonly rtptime?: number;
}

function error(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_HEADER', `RTP-Info header: ${message}`);
}

export function parseRtpInfo(value: string): RtpInfoEntry[] | CamrtcError {
  if (value.length > MAX_RTP_INFO_LENGTH) return error('too long');
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return error('empty');
  if (items.length > MAX_RTP_INFO_ENTRIES) return error(`more than ${MAX_RTP_INFO_ENTRIES} entries`);
  const out: RtpInfoEntry[] = [];
  for (const item of items) {
    let url: string | undefined;
    let seq: number | undefined;
    let rtptime: number | undefined;
    for (const part of item.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const key = part.slice(0, eq).trim().toLowerCase();
      const val = part.slice(eq + 1).trim();
      if (key === 'url') url = val.replace(/^"(.*)"$/, '$1');
      else if (key === 'seq') {
        if (!/^\d{1,5}$/.test(val) || Number(val) > 0xffff) return error(`invalid seq ${JSON.stringify(val.slice(0, 20))}`);
        seq = Number(val);
      } else if (key === 'rtptime') {
        if (!/^\d{1,10}$/.test(val) || Number(val) > 0xffffffff) return error(`invalid rtptime ${JSON.stringify(val.slice(0, 20))}`);
        rtptime = Number(val);
      } else if (url !== undefined && key !== 'ssrc') {
        // A query parameter of the url that happened to contain ';': glue it back.
        url += `;${part}`;
      }
    }
    if (url === undefined) return error('entry without url');
    const entry: { url: string; seq?: number; rtptime?: number } = { url };
    if (seq !== undefined) entry.seq = seq;
    if (rtptime !== undefined) entry.rtptime = rtptime;
    out.push(entry);
  }
  return out;
}

export function serializeRtpInfo(entries: readonly RtpInfoEntry[]): string {
  return entries
    .map((e) => [`url=${e.url}`, e.seq !== undefined ? `seq=${e.seq}` : '', e.rtptime !== undefined ? `rtptime=${e.rtptime}` : ''].filter(Boolean).join(';'))
    .join(',');
}
