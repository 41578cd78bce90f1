/** The RTSP Public header (RFC 2326 §12.28): methods the camera supports, from the OPTIONS answer. */
import { CamrtcError } from '../../errors.js';

export const MAX_PUBLIC_METHODS = 64;

export function parsePublic(value: string): string[] | CamrtcError {
  const methods = value.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
  if (methods.length > MAX_PUBLIC_METHODS) return new CamrtcError('ERR_PARSE_HEADER', `Public header: more than ${MAX_PUBLIC_METHODS} methods`);
  for (const m of methods) {
    if (!/^[A-Z_][A-Z0-9_-]{0,63}$/.test(m)) return new CamrtcError('ERR_PARSE_HEADER', `Public header: invalid method ${JSON.stringify(m.slice(0, 40))}`);
  }
  return methods;
}

export function serializePublic(methods: readonly string[]): string {
  return methods.join(', ');
}
