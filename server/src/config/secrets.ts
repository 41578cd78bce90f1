/**
 * Secrets from outside the configuration: a file (a Docker or systemd secret, a file only camrtc's
 * user reads) or an environment variable, so they are neither in the configuration file nor in the
 * process's command line. Used for camera passwords and for the keys of tokens (auth.tokenKeys,
 * auth.jwt). Errors name the owner and the field, never the content.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CamrtcError } from '../errors.js';

/** A secret file larger than this is the wrong file (and /dev/zero must not hang the start). */
export const MAX_SECRET_FILE_BYTES = 4096;
/** The same limit, under the name the camera password code uses. */
export const MAX_PASSWORD_FILE_BYTES = MAX_SECRET_FILE_BYTES;

export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** At most `maxBytes` + 1 bytes of the file. */
  readonly readFile: (path: string, maxBytes: number) => Buffer;
}

export interface PasswordFields {
  readonly name: string;
  readonly password?: string;
  readonly passwordFile?: string;
  readonly passwordEnv?: string;
}

function readBounded(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

export const processSecretSources: SecretSources = { env: process.env, readFile: readBounded };

/** Where one secret may come from, and the names of those fields in the configuration. */
export interface SecretFields {
  /** Who the secret belongs to, as errors name it: "camera 'front'", "auth.tokenKeys.0". */
  readonly owner: string;
  /** What it is, for "... is not a password" / "... is not a key". */
  readonly noun: string;
  readonly value?: { readonly field: string; readonly value: string | undefined };
  readonly file?: { readonly field: string; readonly value: string | undefined };
  readonly env?: { readonly field: string; readonly value: string | undefined };
}

/** A configuration section that takes its secret as `secret`, `secretFile` or `secretEnv`. */
export interface SecretHolder {
  secret?: string | undefined;
  secretFile?: string | undefined;
  secretEnv?: string | undefined;
}

/** resolveSecret() for the usual `secret` / `secretFile` / `secretEnv` fields of `holder`. */
export function resolveHeldSecret(owner: string, noun: string, holder: SecretHolder, sources: SecretSources = processSecretSources): string | undefined {
  return resolveSecret(
    {
      owner,
      noun,
      value: { field: 'secret', value: holder.secret },
      file: { field: 'secretFile', value: holder.secretFile },
      env: { field: 'secretEnv', value: holder.secretEnv },
    },
    sources,
  );
}

/**
 * The secret given by one of the fields (a value, a file's trimmed content, an environment variable),
 * or undefined when none is given. Throws ERR_CONFIG_INVALID naming the owner and the field.
 */
export function resolveSecret(fields: SecretFields, sources: SecretSources = processSecretSources): string | undefined {
  const invalid = (message: string): CamrtcError => new CamrtcError('ERR_CONFIG_INVALID', `${fields.owner}: ${message}`);
  const present = [fields.value, fields.file, fields.env].filter((f) => f !== undefined);
  const given = present.filter((f) => f!.value !== undefined).map((f) => f!.field);
  if (given.length > 1) throw invalid(`give one of ${present.map((f) => f!.field).join(', ').replace(/, ([^,]*)$/, ' and $1')}, not ${given.join(' and ')}`);
  const file = fields.file;
  if (file?.value !== undefined) {
    let content: Buffer;
    try {
      content = sources.readFile(file.value, MAX_SECRET_FILE_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw invalid(`${file.field} ${file.value} cannot be read${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
    }
    if (content.length > MAX_SECRET_FILE_BYTES) throw invalid(`${file.field} ${file.value} is larger than ${MAX_SECRET_FILE_BYTES} bytes: not a ${fields.noun}`);
    // Files end with a newline (echo, editors); secrets do not.
    const secret = content.toString('utf8').trim();
    if (secret === '') throw invalid(`${file.field} ${file.value} is empty`);
    return secret;
  }
  const env = fields.env;
  if (env?.value !== undefined) {
    const secret = sources.env[env.value];
    if (secret === undefined) throw invalid(`${env.field}: the environment variable ${env.value} is not set`);
    if (secret === '') throw invalid(`${env.field}: the environment variable ${env.value} is empty`);
    return secret;
  }
  return fields.value?.value;
}

/** The password the camera's settings give (`password`, `passwordFile` or `passwordEnv`), or undefined. */
export function resolvePassword(camera: PasswordFields, sources: SecretSources = processSecretSources): string | undefined {
  return resolveSecret(
    {
      owner: `camera '${camera.name}'`,
      noun: 'password',
      value: { field: 'password', value: camera.password },
      file: { field: 'passwordFile', value: camera.passwordFile },
      env: { field: 'passwordEnv', value: camera.passwordEnv },
    },
    sources,
  );
}
