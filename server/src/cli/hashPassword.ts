/**
 * `camrtc hash-password`: prints the hash of a password for a user in the configuration
 * (auth.users[].passwordHash). The password is read from standard input, never from the command line
 * (which other users of the machine can read in the process list, and which lands in shell history):
 * typed at a terminal it is not echoed and asked twice; from a pipe, the first line is the password.
 */
import { Command, Option } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CamrtcError } from '../errors.js';
import { hashPassword, type HashAlgorithm } from '../auth/passwordHash.js';

/** The longest password a login accepts (UserDirectory): a longer one could never log in. */
export const MAX_PASSWORD_CHARS = 1024;
/** What is read from a pipe at most: a password is one short line. */
const MAX_PIPED_BYTES = 64 * 1024;

interface HashPasswordFlags {
  scrypt?: boolean;
}

export function hashPasswordCommand(): Command {
  return new Command('hash-password')
    .description('print the hash of a password for auth.users in the configuration; the password is read from standard input (not echoed at a terminal)')
    .addOption(new Option('--scrypt', 'make a scrypt hash instead of argon2id (e.g. to share the configuration with tools without argon2)'))
    .action(async (flags: HashPasswordFlags) => {
      const algorithm: HashAlgorithm = flags.scrypt ? 'scrypt' : 'argon2id';
      const password = process.stdin.isTTY ? await askTwice() : await firstLine(process.stdin);
      checkPassword(password);
      const hash = await hashPassword(password, algorithm);
      process.stdout.write(`${hash}\n`);
      process.stderr.write(configHint(hash));
    });
}

export function checkPassword(password: string): void {
  if (password.length === 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'hash-password: the password is empty (give it on standard input)');
  if (password.length > MAX_PASSWORD_CHARS) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `hash-password: the password is longer than ${MAX_PASSWORD_CHARS} characters, which a login refuses`);
  }
}

/** Where the hash goes in the configuration file. On stderr, so `camrtc hash-password > file` keeps only the hash. */
export function configHint(hash: string): string {
  return [
    '# In the configuration file (--config):',
    'auth:',
    '  users:',
    '    - name: alice            # the user name to log in with',
    `      passwordHash: '${hash}'`,
    '      permissions: { view: ["*"] }',
    '',
  ].join('\n');
}

/** The first line of a piped input (without its line end), reading no more than needed. */
export function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let bytes = 0;
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', finish);
      input.off('error', reject);
      (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      resolve(text.split(/\r?\n/, 1)[0] ?? '');
    };
    const onData = (chunk: Buffer | string): void => {
      const s = chunk.toString();
      bytes += Buffer.byteLength(s);
      text += s;
      if (text.includes('\n') || bytes > MAX_PIPED_BYTES) finish();
    };
    input.on('data', onData);
    input.once('end', finish);
    input.once('error', reject);
  });
}

/** Asks at the terminal without echo, twice, so a typing mistake is not hashed. */
async function askTwice(): Promise<string> {
  // readline echoes what is typed to its output: give it one that writes nothing. One interface for
  // both questions: a second one would miss what the first had already read.
  const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const lines: string[] = [];
  let waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  let ended: CamrtcError | undefined;
  const end = (err: CamrtcError): void => {
    ended ??= err;
    waiting?.reject(ended);
    waiting = undefined;
  };
  rl.on('line', (line) => {
    if (waiting) {
      waiting.resolve(line);
      waiting = undefined;
    } else lines.push(line);
  });
  // Ctrl-C or Ctrl-D at the prompt: stop without hashing anything.
  rl.once('SIGINT', () => {
    end(new CamrtcError('ERR_CONFIG_INVALID', 'hash-password: cancelled'));
    rl.close();
  });
  rl.once('close', () => end(new CamrtcError('ERR_CONFIG_INVALID', 'hash-password: no password was typed')));
  const ask = (prompt: string): Promise<string> => {
    process.stderr.write(prompt);
    const queued = lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (ended) return Promise.reject(ended);
    return new Promise((resolve, reject) => (waiting = { resolve, reject }));
  };
  try {
    const first = await ask('Password: ');
    process.stderr.write('\n');
    const second = await ask('Repeat it: ');
    process.stderr.write('\n');
    if (first !== second) throw new CamrtcError('ERR_CONFIG_INVALID', 'hash-password: the two passwords differ');
    return first;
  } catch (err) {
    process.stderr.write('\n');
    throw err;
  } finally {
    rl.close();
  }
}
