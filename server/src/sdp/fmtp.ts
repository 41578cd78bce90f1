/**
 * The value of an `a=fmtp:<pt> <params>` attribute, split by hand: sdp-transform's parseParams turns
 * numeric-looking values into numbers (profile-level-id=640028 becomes 640028, 42001E stays a string,
 * 000000000000 becomes 0), which breaks anything that round-trips them to a browser.
 */

/** Above this many parameters the rest are ignored (a real fmtp has about ten). */
export const MAX_FMTP_PARAMS = 64;

/**
 * Parses `k=v; k2=v2;` into lower-case keys and trimmed string values. Tolerates spaces around `;`,
 * a trailing `;`, values holding `=` (base64 padding) and entries without `=` (skipped). When a key
 * repeats, the last value wins, as gortsplib does.
 */
export function parseFmtp(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const part of value.split(';')) {
    if (count >= MAX_FMTP_PARAMS) break;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    // '__proto__' would silently set the prototype of a plain object instead of a key.
    if (key === '' || key === '__proto__') continue;
    out[key] = part.slice(eq + 1).trim();
    count++;
  }
  return out;
}

/** Serializes parameters as `k=v;k2=v2` (insertion order, no spaces), the form browsers expect. */
export function serializeFmtp(params: Readonly<Record<string, string>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(';');
}
