/**
 * createCamrtc()'s options: the configuration file's schema (config/Config.ts) without what belongs
 * to the host app's server (host, port, tls), plus  the library's own settings. One schema, so a
 * mistake is named as the file's would be ("cameras.0.url: must be an rtsp:// ... URL").
 */
import { z } from 'zod';
import { ConfigSchema, loadConfig, type Config, type ConfigInput } from '../config/Config.js';
import { CamrtcError } from '../errors.js';
import { redactText } from '../log/redact.js';

const MOUNT_PATH = /^(\/[A-Za-z0-9._~-]+)*\/?$/;

export const LibraryOptionsShape = {
  /** Where camrtc's routes go in the app: `/` (default) or a prefix like `/cams`. */
  mountPath: z.string().regex(MOUNT_PATH, 'a path like /cams: segments of letters, digits, . _ ~ -').default('/'),
  /**
   * Serve the control API (/api/cameras/NAME..., /api/openapi.json) and POST /api/tokens under the
   * mount path. Default false: the app has the methods. Admin only (without auth: loopback only).
   */
  controlApi: z.boolean().default(false),
  /** Serve Prometheus metrics at /metrics under the mount path. Default false. */
  metrics: z.boolean().default(false),
};

export const CamrtcOptionsSchema = ConfigSchema.omit({ host: true, port: true, tls: true, rtsp: true, cluster: true }).extend(LibraryOptionsShape);

export interface ParsedOptions {
  readonly config: Readonly<Config>;
  /** '' for the root, else '/cams' (no trailing slash). */
  readonly prefix: string;
  readonly controlApi: boolean;
  readonly metrics: boolean;
}

/** Validates the options; throws ERR_CONFIG_INVALID naming every field that is wrong. */
export function parseOptions(input: unknown): ParsedOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CamrtcError('ERR_CONFIG_INVALID', 'invalid camrtc options: expected an object, e.g. { cameras: [{ name, url }] }');
  }
  const parsed = CamrtcOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `${i.keys.join(', ')}: not a camrtc option${i.keys.some((k) => ['host', 'port', 'tls'].includes(k)) ? ' (the app\'s own server listens: host, port and tls are its settings)' : ''}` : `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new CamrtcError('ERR_CONFIG_INVALID', redactText(`invalid camrtc options: ${lines.join('; ')}`));
  }
  const { mountPath, controlApi, metrics } = parsed.data;
  const { mountPath: _m, controlApi: _c, metrics: _x, ...rest } = input as Record<string, unknown>;
  // The cross-field checks, password files and freezing of the configuration file's loading. No demo
  // camera unless asked: an app that adds its cameras later did not ask for one.
  const config = loadConfig({ demo: false, ...(rest as ConfigInput) });
  return { config, prefix: mountPath.replace(/\/+$/, ''), controlApi, metrics };
}
