import { CamrtcError, type ErrorCode } from '../errors.js';
import type { Track } from '../sdp/Track.js';
import type { CameraInfo, CameraState } from '../../../shared/protocol.js';
export type { CameraState } from '../../../shared/protocol.js';

export interface CameraStatus {
  readonly state: CameraState;
  /** Last error, user-readable and credential-free, when state is retrying/offline. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** Same state and same reason: not worth an event (nor a log line). */
export function sameStatus(a: CameraStatus, b: CameraStatus): boolean {
  return a.state === b.state && a.error?.message === b.error?.message;
}

/** What `/api/cameras` and the `cameras` message say of a camera: never its URL. */
export function cameraInfo(name: string, status: CameraStatus, tracks: readonly Track[] | undefined): CameraInfo {
  return {
    name,
    state: status.state,
    ...(tracks ? { codecs: tracks.map((t) => t.codec) } : {}),
    ...(status.error ? { error: { ...status.error } } : {}),
  };
}

/** Why a viewer cannot have an unplayable camera's tracks: its own error, for tracks() to reject with. */
export function unplayable(name: string, status: CameraStatus): CamrtcError {
  return new CamrtcError(status.error?.code ?? 'ERR_RTSP_NO_TRACKS', status.error?.message ?? `camera '${name}' offers no track camrtc can play`);
}
