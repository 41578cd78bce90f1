import type { ErrorCode } from '../../shared/errors.js';
export type { ErrorCode } from '../../shared/errors.js';

/**
 * The one error type camrtc throws or returns. `code` is stable (see shared/errors.ts and
 * docs/errors.md); `message` is written for a user and never contains camera credentials, because
 * errors reach logs, the page and other apps.
 */
export class CamrtcError extends Error {
  readonly code: ErrorCode;
  /** Extra data for callers that branch on it (status code, allowed states...). Never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CamrtcError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** RTSP answered with a non-2xx status. */
export class RtspStatusError extends CamrtcError {
  readonly status: number;
  constructor(status: number, reason: string, method: string, message?: string) {
    super(status === 401 || status === 403 ? 'ERR_RTSP_AUTH' : 'ERR_RTSP_BAD_STATUS',
      message ?? `${status} ${reason}: the camera refused ${method}`, { status, reason, method });
    this.status = status;
  }
}

/** Wraps anything thrown into a CamrtcError without losing the original as `cause`. */
export function toCamrtcError(err: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): CamrtcError {
  if (err instanceof CamrtcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CamrtcError(fallback, message, {}, { cause: err });
}

export function isCamrtcError(value: unknown): value is CamrtcError {
  return value instanceof CamrtcError;
}
