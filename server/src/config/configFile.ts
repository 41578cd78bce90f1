/**
 * The configuration file (`camrtc --config camrtc.yml`): YAML (JSON is valid YAML too), with cameras
 * as a map from name to options, like MediaMTX paths and go2rtc streams:
 *
 *   port: 8080
 *   cameras:
 *     front: rtsp://admin:secret@192.0.2.10/stream1     # just the URL
 *     yard:
 *       url: rtsps://192.0.2.11/live
 *       username: admin
 *       password: secret           # or passwordFile: /run/secrets/yard, or passwordEnv: YARD_PASSWORD
 *       transport: tcp
 *       tlsInsecure: true
 *
 * Parsing only: loadConfig() validates the result like any other input.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { CamrtcError } from '../errors.js';
import type { ConfigInput } from './Config.js';
import { describeYamlProblem } from './yamlProblem.js';

/** Configuration files are small; a larger one is a mistake (a video file given by accident...). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * Turns the text of a configuration file into config input. Pure: YAML warnings (an unknown !tag...)
 * go to `onWarning`. No error or warning quotes the file, whose lines may hold passwords.
 */
export function parseConfigText(text: string, fileName = 'the configuration file', onWarning: (message: string) => void = () => undefined): ConfigInput {
  // logLevel silent: the library would otherwise print its warnings, source line included, itself.
  const parsed = parseDocument(text, { logLevel: 'silent', prettyErrors: true });
  if (parsed.errors.length > 0) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${fileName} is not valid YAML ${describeYamlProblem(parsed.errors[0])}`);
  }
  for (const warning of parsed.warnings) onWarning(`${fileName}: ${describeYamlProblem(warning)}`);
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${fileName} is not valid YAML: too many aliases (*name)`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${fileName} must hold settings (key: value lines), not a single value or a list`);
  }
  const { cameras, ...rest } = doc as Record<string, unknown>;
  if (cameras === undefined || cameras === null) return rest as ConfigInput;
  if (typeof cameras !== 'object' || Array.isArray(cameras)) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${fileName}: 'cameras' maps camera names to a URL or to options (url, username, password, transport...)`);
  }
  const list = Object.entries(cameras as Record<string, unknown>).map(([name, value]) => {
    if (typeof value === 'string') return { name, url: value };
    if (value && typeof value === 'object' && !Array.isArray(value)) return { ...(value as Record<string, unknown>), name };
    throw new CamrtcError('ERR_CONFIG_INVALID', `${fileName}: camera '${name}' needs a URL or options with a url`);
  });
  return { ...rest, cameras: list } as ConfigInput;
}

export function readConfigFile(path: string, onWarning?: (message: string) => void): ConfigInput {
  return parseConfigText(readConfigText(path), `configuration file ${path}`, onWarning);
}

/** The text of a configuration file (at most MAX_CONFIG_FILE_BYTES). Throws ERR_CONFIG_INVALID. */
export function readConfigText(path: string): string {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_CONFIG_FILE_BYTES) throw new CamrtcError('ERR_CONFIG_INVALID', `configuration file ${path} is larger than 1 MiB`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof CamrtcError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CamrtcError('ERR_CONFIG_INVALID', `cannot read configuration file ${path}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
  return text;
}
