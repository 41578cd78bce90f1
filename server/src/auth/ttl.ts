/**
 * How long a viewer token lives: `30s`, `15m`, `1h`, `7d` (one number and one unit), or a number of
 * seconds. Capped, so a token minted by mistake for "forever" still dies: revocation is by key rotation,
 * and a short life is what makes a leaked token harmless.
 */
import { CamrtcError } from '../errors.js';

/** The longest a viewer token may live. */
export const MAX_TTL_SECONDS = 30 * 86_400;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const TTL = /^([1-9][0-9]{0,6})([smhd])$/;

/** Seconds of `ttl`; throws ERR_CONFIG_INVALID saying what is accepted. */
export function parseTtl(ttl: string | number): number {
  let seconds: number;
  if (typeof ttl === 'number') {
    seconds = ttl;
  } else {
    const m = TTL.exec(ttl.trim());
    seconds = m ? Number(m[1]) * UNITS[m[2]] : NaN;
  }
  if (!Number.isInteger(seconds) || seconds <= 0) {
    const shown = typeof ttl === 'string' ? JSON.stringify(ttl.slice(0, 20)) : String(ttl);
    throw new CamrtcError('ERR_CONFIG_INVALID', `${shown} is not a duration: use a number and a unit, e.g. 30s, 15m, 1h or 7d`);
  }
  if (seconds > MAX_TTL_SECONDS) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${typeof ttl === 'string' ? ttl : `${ttl}s`} is longer than the ${MAX_TTL_SECONDS / 86_400} days a token may live`);
  }
  return seconds;
}
