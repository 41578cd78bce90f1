/**
 * GET /api/cameras/NAME/snapshot.jpg[?width=N]: the camera's current picture as a JPEG, for Home
 * Assistant's generic camera (`still_image_url`), scripts and dashboards. Needs the `view`
 * permission on the camera, proved like every route (Basic, Bearer, the login cookie or `?token=`,
 * which is what Home Assistant can send). Refusals and failures are JSON `{ code, message }` with the
 * code in X-Camrtc-Error too: 503 when the camera gives no picture (ERR_CAMERA_OFFLINE) or ffmpeg
 * is missing (ERR_FFMPEG_MISSING).
 */
import type { Request, Response } from 'express';
import type { AccessPolicy } from '../auth/AccessPolicy.js';
import type { Principal } from '../auth/Principal.js';
import { toCamrtcError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { CameraDirectory } from '../media/Camera.js';
import { SNAPSHOT_MAX_WIDTH, SNAPSHOT_MIN_WIDTH, type Snapshots } from '../snapshot/Snapshots.js';
import { refuse, type RefusalFormat } from './routeGuards.js';

export const SNAPSHOT_PATH = '/api/cameras/:name/snapshot.jpg';
const CAMERA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Seconds a client is told to wait before asking again after a 503. */
const RETRY_AFTER: Partial<Record<ErrorCode, number>> = { ERR_CAMERA_OFFLINE: 5, ERR_TIMEOUT: 1, ERR_CLOSED: 5, ERR_FFMPEG_MISSING: 60 };
const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_CAMERA_OFFLINE: 503,
  ERR_FFMPEG_MISSING: 503,
  ERR_TIMEOUT: 503,
  ERR_CLOSED: 503,
  ERR_CODEC_UNSUPPORTED: 503,
  ERR_SNAPSHOT_FAILED: 500,
};

/** `?width=`: absent, or a whole number of pixels within the bounds; a string saying what is wrong otherwise. */
export function parseWidth(value: unknown): number | undefined | string {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : '';
  const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < SNAPSHOT_MIN_WIDTH || n > SNAPSHOT_MAX_WIDTH) {
    return `width must be a whole number of pixels from ${SNAPSHOT_MIN_WIDTH} to ${SNAPSHOT_MAX_WIDTH}`;
  }
  return n;
}

export interface SnapshotRouteOptions {
  cameras: CameraDirectory;
  snapshots: Snapshots;
  policy: AccessPolicy;
  who: (req: Request, res: Response, as: RefusalFormat) => Promise<Principal | undefined>;
  logger: Logger;
}

export function snapshotRoute(options: SnapshotRouteOptions) {
  const { cameras, snapshots, policy, who, logger } = options;
  return async (req: Request, res: Response): Promise<void> => {
    const principal = await who(req, res, 'json');
    if (!principal) return;
    const name = String(req.params.name);
    // No camera has such a name (config), so saying so reveals nothing; and no long name is echoed.
    if (!CAMERA_NAME.test(name)) return refuse(res, { status: 404, code: 'ERR_CAMERA_UNKNOWN', message: 'no camera has that name' }, 'json');
    // Decided before the camera's existence shows (AccessPolicy).
    const decision = policy.decide(principal, 'view', name, { origin: req.get('Origin') });
    if (!decision.allowed) {
      // Home Assistant and curl send Basic when asked to.
      if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="camrtc", charset="UTF-8"');
      return refuse(res, decision, 'json');
    }
    const camera = cameras.get(name);
    if (!camera) return refuse(res, { status: 404, code: 'ERR_CAMERA_UNKNOWN', message: `no camera named '${name}'` }, 'json');
    const width = parseWidth(req.query.width);
    if (typeof width === 'string') return refuse(res, { status: 400, code: 'ERR_REQUEST_INVALID', message: width }, 'json');
    try {
      const snapshot = await snapshots.take(camera, width);
      res.status(200);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Last-Modified', new Date(snapshot.madeAt).toUTCString());
      res.type('image/jpeg').send(snapshot.jpeg);
    } catch (err) {
      const error = toCamrtcError(err);
      const given = error.details.status;
      const status = typeof given === 'number' ? given : (STATUS[error.code] ?? 500);
      if (status >= 500 && error.code !== 'ERR_CAMERA_OFFLINE') logger.warn({ camera: name, code: error.code }, `snapshot failed: ${redactText(error.message)}`);
      const retry = RETRY_AFTER[error.code];
      if (retry !== undefined) res.setHeader('Retry-After', String(retry));
      refuse(res, { status, code: error.code, message: error.code === 'ERR_INTERNAL' ? 'internal error' : redactText(error.message) }, 'json');
    }
  };
}
