/**
 * A camera's password from outside the configuration: a file (a Docker or systemd secret, a file
 * only camrtc's user reads) or an environment variable, so it is neither in the configuration file
 * nor in the process's command line. Errors name the camera and the field, never the content.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CamrtcError } from '../errors.js';

/** A password file larger than this is the wrong file (and /dev/zero must not hang the start). */
export const MAX_PASSWORD_FILE_BYTES = 4096;

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

function invalid(camera: string, message: string): CamrtcError {
  return new CamrtcError('ERR_CONFIG_INVALID', `camera '${camera}': ${message}`);
}

/** The password the camera's settings give (`password`, `passwordFile` or `passwordEnv`), or undefined. */
export function resolvePassword(camera: PasswordFields, sources: SecretSources = processSecretSources): string | undefined {
  const given = (['password', 'passwordFile', 'passwordEnv'] as const).filter((k) => camera[k] !== undefined);
  if (given.length > 1) throw invalid(camera.name, `give one of password, passwordFile and passwordEnv, not ${given.join(' and ')}`);
  if (camera.passwordFile !== undefined) {
    let content: Buffer;
    try {
      content = sources.readFile(camera.passwordFile, MAX_PASSWORD_FILE_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw invalid(camera.name, `passwordFile ${camera.passwordFile} cannot be read${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
    }
    if (content.length > MAX_PASSWORD_FILE_BYTES) throw invalid(camera.name, `passwordFile ${camera.passwordFile} is larger than ${MAX_PASSWORD_FILE_BYTES} bytes: not a password`);
    // Files end with a newline (echo, editors); passwords do not.
    const password = content.toString('utf8').trim();
    if (password === '') throw invalid(camera.name, `passwordFile ${camera.passwordFile} is empty`);
    return password;
  }
  if (camera.passwordEnv !== undefined) {
    const password = sources.env[camera.passwordEnv];
    if (password === undefined) throw invalid(camera.name, `passwordEnv: the environment variable ${camera.passwordEnv} is not set`);
    if (password === '') throw invalid(camera.name, `passwordEnv: the environment variable ${camera.passwordEnv} is empty`);
    return password;
  }
  return camera.password;
}
