/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;

/**
 * 64-bit NTP timestamp (32.32 fixed point, RFC 3550 4) of a Unix time in milliseconds. werift 0.25
 * builds the fraction from the decimal digits of the seconds (".5" -> 5/2^32), which leaves RTCP
 * sender reports with whole-second precision and breaks the browser's audio/video sync; the Viewer
 * writes this one instead.
 */
export function ntpFromUnixMs(unixMs: number): bigint {
  const ms = Math.max(0, unixMs);
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.min(0xffffffff, Math.round(((ms - seconds * 1000) / 1000) * 2 ** 32));
  return (BigInt(seconds + NTP_UNIX_OFFSET_S) << 32n) | BigInt(fraction);
}

/** The inverse of ntpFromUnixMs (for tests and logs). */
export function unixMsFromNtp(ntp: bigint): number {
  const seconds = Number(ntp >> 32n) - NTP_UNIX_OFFSET_S;
  const fraction = Number(ntp & 0xffffffffn) / 2 ** 32;
  return (seconds + fraction) * 1000;
}
