/**
 * WWW-Authenticate (RFC 7235 §4.1, RFC 7616 §3.3, RFC 7617): the challenges in a 401 answer. A
 * camera may send several headers (TP-Link: Digest and Basic), and a header may hold several
 * challenges separated by commas, so the value is tokenized rather than split on commas.
 */
import { CamrtcError } from '../../errors.js';

export const MAX_CHALLENGES = 16;
export const MAX_CHALLENGE_PARAMS = 32;
export const MAX_WWW_AUTHENTICATE_LENGTH = 8192;

export interface AuthChallenge {
  /** As sent, e.g. `Digest`, `Basic`; compare case-insensitively. */
  readonly scheme: string;
  /** Parameters with lower-case names and unquoted values. */
  readonly params: Readonly<Record<string, string>>;
  readonly realm?: string;
  readonly nonce?: string;
  readonly opaque?: string;
  /** Upper-case: MD5, MD5-SESS, SHA-256, SHA-256-SESS, ... Absent means MD5. */
  readonly algorithm?: string;
  /** Lower-case qop options, e.g. ['auth', 'auth-int']. */
  readonly qop?: readonly string[];
  readonly stale?: boolean;
}

function error(message: string): CamrtcError {
  return new CamrtcError('ERR_PARSE_HEADER', `WWW-Authenticate header: ${message}`);
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}
  skipSpace(): void {
    while (this.pos < this.s.length && (this.s[this.pos] === ' ' || this.s[this.pos] === '\t')) this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && TOKEN.test(this.s[this.pos])) this.pos++;
    return this.s.slice(start, this.pos);
  }
  peek(): string | undefined {
    return this.s[this.pos];
  }
  /** A quoted string with backslash escapes, or undefined if unterminated. */
  quoted(): string | undefined {
    this.pos++; // opening quote
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (c === '"') return out;
      if (c === '\\' && this.pos < this.s.length) out += this.s[this.pos++];
      else out += c;
    }
    return undefined;
  }
  /** Value of a parameter: a quoted string or a run of anything but comma/space (cameras send unquoted base64 with '/' and '='). */
  bareValue(): string {
    const start = this.pos;
    while (this.pos < this.s.length && this.s[this.pos] !== ',' && this.s[this.pos] !== ' ' && this.s[this.pos] !== '\t') this.pos++;
    return this.s.slice(start, this.pos);
  }
}

function finish(scheme: string, params: Record<string, string>): AuthChallenge {
  const c: { -readonly [K in keyof AuthChallenge]: AuthChallenge[K] } = { scheme, params };
  if (params.realm !== undefined) c.realm = params.realm;
  if (params.nonce !== undefined) c.nonce = params.nonce;
  if (params.opaque !== undefined) c.opaque = params.opaque;
  if (params.algorithm !== undefined) c.algorithm = params.algorithm.toUpperCase();
  if (params.qop !== undefined) c.qop = params.qop.split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== '');
  if (params.stale !== undefined) c.stale = params.stale.toLowerCase() === 'true';
  return c;
}

/** Parses one header value into its challenges. */
export function parseWwwAuthenticateValue(value: string): AuthChallenge[] | CamrtcError {
  if (value.length > MAX_WWW_AUTHENTICATE_LENGTH) return error('too long');
  const sc = new Scanner(value);
  const out: AuthChallenge[] = [];
  let scheme: string | undefined;
  let params: Record<string, string> = {};
  let paramCount = 0;
  for (;;) {
    sc.skipSpace();
    while (sc.peek() === ',') {
      sc.pos++;
      sc.skipSpace();
    }
    if (sc.pos >= value.length) break;
    const tokStart = sc.pos;
    const tok = sc.token();
    if (tok === '') return error(`unexpected ${JSON.stringify(value.slice(sc.pos, sc.pos + 20))}`);
    sc.skipSpace();
    if (sc.peek() === '=' && scheme !== undefined && !/^=+\s*(,|$)/.test(value.slice(sc.pos))) {
      // name=value parameter of the current challenge.
      sc.pos++;
      sc.skipSpace();
      let v: string | undefined;
      if (sc.peek() === '"') {
        v = sc.quoted();
        if (v === undefined) return error('unterminated quoted string');
      } else {
        v = sc.bareValue();
      }
      if (++paramCount > MAX_CHALLENGE_PARAMS) return error(`more than ${MAX_CHALLENGE_PARAMS} parameters`);
      params[tok.toLowerCase()] = v;
      continue;
    }
    if (sc.peek() === '=' && scheme !== undefined) {
      // token68 (e.g. "Negotiate abc=="): keep as an opaque value.
      sc.pos = tokStart;
      params.token68 = sc.bareValue();
      continue;
    }
    if (sc.peek() === '=') return error(`parameter ${JSON.stringify(tok.slice(0, 40))} before any scheme`);
    // A new scheme starts.
    if (scheme !== undefined) out.push(finish(scheme, params));
    if (out.length >= MAX_CHALLENGES) return error(`more than ${MAX_CHALLENGES} challenges`);
    scheme = tok;
    params = {};
    paramCount = 0;
  }
  if (scheme !== undefined) out.push(finish(scheme, params));
  if (out.length === 0) return error('empty');
  return out;
}

/** Parses every WWW-Authenticate header of an answer, in order. */
export function parseWwwAuthenticate(values: readonly string[]): AuthChallenge[] | CamrtcError {
  const out: AuthChallenge[] = [];
  for (const v of values) {
    const cs = parseWwwAuthenticateValue(v);
    if (cs instanceof CamrtcError) return cs;
    out.push(...cs);
    if (out.length > MAX_CHALLENGES) return error(`more than ${MAX_CHALLENGES} challenges`);
  }
  return out;
}
