/**
 * Password hashes for users in the configuration, in the PHC string format so a hash says how it was
 * made: argon2id (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`, @node-rs/argon2) or scrypt
 * (`$scrypt$ln=15,r=8,p=1$salt$hash`, node:crypto). Both run on libuv's thread pool: verifying a
 * login never holds the event loop. `camrtc hash-password` prints one.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

export type HashAlgorithm = 'argon2id' | 'scrypt';

/** OWASP's password storage recommendations (2024): argon2id m=19 MiB t=2 p=1; scrypt N=2^17 r=8 p=1. */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const SCRYPT_LN = 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Caps what a hash in the configuration may ask for, so a typo cannot make every login cost seconds. */
const MAX_SCRYPT_LN = 20;
const MAX_ARGON2_MEMORY_KIB = 1 << 20;

const ARGON2_HASH = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
const SCRYPT_HASH = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

function scryptOptions(ln: number, r: number, p: number): ScryptOptions {
  // Node refuses N*r*128 above maxmem (32 MiB by default); N=2^17, r=8 needs 128 MiB.
  return { N: 2 ** ln, r, p, maxmem: 2 ** ln * r * 128 * 2 };
}

export async function hashPassword(password: string, algorithm: HashAlgorithm = 'argon2id'): Promise<string> {
  if (algorithm === 'argon2id') return argon2Hash(password, { algorithm: 2 /* Algorithm.Argon2id, a const enum */, ...ARGON2 });
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, scryptOptions(SCRYPT_LN, SCRYPT_R, SCRYPT_P));
  return `$scrypt$ln=${SCRYPT_LN},r=${SCRYPT_R},p=${SCRYPT_P}$${b64(salt)}$${b64(key)}`;
}

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

/** Why a string is not a usable hash, or undefined when it is one. Never quotes the string. */
export function passwordHashProblem(hash: string): string | undefined {
  const argon = ARGON2_HASH.exec(hash);
  if (argon) {
    return Number(argon[1]) > MAX_ARGON2_MEMORY_KIB ? `its memory cost is above ${MAX_ARGON2_MEMORY_KIB} KiB` : undefined;
  }
  const s = SCRYPT_HASH.exec(hash);
  if (s) {
    const [ln, r, p] = [Number(s[1]), Number(s[2]), Number(s[3])];
    if (ln < 1 || ln > MAX_SCRYPT_LN) return `its ln must be 1 to ${MAX_SCRYPT_LN}`;
    if (r < 1 || r > 32 || p < 1 || p > 16) return 'its r or p is out of range';
    return undefined;
  }
  return "it is not an argon2id or scrypt hash in PHC format ('$argon2id$...' or '$scrypt$...'): make one with `camrtc hash-password`";
}

/** Whether `password` matches `hash`; false (never an exception) for a malformed hash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (passwordHashProblem(hash) !== undefined) return false;
  try {
    if (hash.startsWith('$argon2id$')) return await argon2Verify(hash, password);
    const [, , params, saltB64, keyB64] = hash.split('$');
    const [ln, r, p] = params.split(',').map((kv) => Number(kv.split('=')[1]));
    const expected = Buffer.from(keyB64, 'base64');
    if (expected.length < 16) return false;
    const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, scryptOptions(ln, r, p));
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the time of a real verification for a user that does not exist, so the answer's timing does
 * not tell whether a user name is configured.
 */
export async function verifyNobody(password: string): Promise<false> {
  dummy ??= hashPassword('camrtc: no such user', 'argon2id');
  await verifyPassword(await dummy, password);
  return false;
}
