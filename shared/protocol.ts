/**
 * camrtc signaling protocol, version 1: JSON messages over the WebSocket at /ws. Defined once here and
 * used by the server, the browser client, the web component and other apps. Every message received is
 * validated with these zod schemas before it is acted on (hostile input gets an `error` reply).
 * docs/signaling.md documents the exchange.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors.js';

export const PROTOCOL_VERSION = 1;
/** Largest message the server accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export const CAMERA_STATES = ['idle', 'connecting', 'live', 'retrying', 'offline'] as const;
export type CameraState = (typeof CAMERA_STATES)[number];

const sessionId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : - only');
const cameraName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');
const sdp = z.string().min(1).max(MAX_MESSAGE_BYTES);

export const IceCandidateSchema = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
export type IceCandidate = z.infer<typeof IceCandidateSchema>;

/** What the client says it can decode; lets the server refuse H.265 with a clear message. */
export const CapabilitiesSchema = z.object({
  h265: z.boolean().optional(),
});

// ---- client -> server -------------------------------------------------------------------------

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.number().int(), capabilities: CapabilitiesSchema.optional() }),
  z.object({ type: z.literal('list') }),
  /** Start watching `camera` in a new viewer session `id`; the server answers with `offer`. */
  z.object({ type: z.literal('watch'), id: sessionId, camera: cameraName, capabilities: CapabilitiesSchema.optional() }),
  z.object({ type: z.literal('answer'), id: sessionId, sdp }),
  z.object({ type: z.literal('candidate'), id: sessionId, candidate: IceCandidateSchema.nullable() }),
  z.object({ type: z.literal('play'), id: sessionId }),
  z.object({ type: z.literal('pause'), id: sessionId }),
  z.object({ type: z.literal('stop'), id: sessionId }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

// ---- server -> client -------------------------------------------------------------------------

export interface CameraInfo {
  name: string;
  state: CameraState;
  /** Codecs of the camera's tracks once known (H264, PCMA, ...). */
  codecs?: string[];
  error?: { code: ErrorCode; message: string };
}

export type ServerMessage =
  | { type: 'welcome'; version: number; server: string }
  | { type: 'cameras'; cameras: CameraInfo[] }
  | { type: 'offer'; id: string; sdp: string }
  | { type: 'candidate'; id: string; candidate: IceCandidate | null }
  /** Camera state for a viewer session (and the camera's last error when it is not live). */
  | { type: 'status'; id: string; camera: string; state: CameraState; error?: { code: ErrorCode; message: string } }
  | { type: 'error'; id?: string; code: ErrorCode; message: string }
  | { type: 'closed'; id: string; reason?: string };

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string };

/** Parses and validates one raw client message. Never throws. */
export function parseClientMessage(raw: string): ParseResult {
  if (raw.length > MAX_MESSAGE_BYTES) {
    return { ok: false, code: 'ERR_LIMIT', message: `message larger than ${MAX_MESSAGE_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'ERR_SIGNALING_INVALID', message: 'message is not valid JSON' };
  }
  const result = ClientMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, code: 'ERR_SIGNALING_INVALID', message: `invalid message${where}: ${issue?.message ?? 'unknown'}` };
  }
  return { ok: true, message: result.data };
}
