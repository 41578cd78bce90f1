import type { ErrorCode } from '../errors.js';
import type { CameraState } from '../../../shared/protocol.js';
export type { CameraState } from '../../../shared/protocol.js';

export interface CameraStatus {
  readonly state: CameraState;
  /** Last error, user-readable and credential-free, when state is retrying/offline. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}
