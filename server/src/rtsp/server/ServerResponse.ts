/**
 * An answer of the RTSP server before it is written: the default method handlers build one, request
 * hooks may replace or alter it, then the server adds CSeq and Server and writes it.
 */
import { RtspHeaders } from '../message.js';

export interface ServerResponse {
  readonly status: number;
  /** Default: the RFC 2326 reason phrase of the status. */
  readonly reason?: string;
  readonly headers: RtspHeaders;
  readonly body?: Buffer;
  /**
   * Runs right after the answer is written: PLAY starts its packets here, so the client has the
   * answer (and its RTP-Info) before the first packet. Not run when a hook drops the answer.
   */
  readonly afterSend?: () => void;
}

/** RFC 2326 §7.1.1 reason phrases of the statuses this server sends. */
export const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function reasonOf(status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}

/** A response with these headers (undefined values left out). */
export function response(status: number, headers: Record<string, string | number | undefined> = {}, body?: Buffer, afterSend?: () => void): ServerResponse {
  return { status, headers: new RtspHeaders(headers), body, afterSend };
}
