/**
 * camrtc signaling protocol, version 1: JSON messages over the WebSocket at /ws. Defined once here and
 * used by the server, the browser client, the web component and other apps. Every message received is
 * validated with these zod schemas before it is acted on (hostile input gets an `error` reply).
 * docs/signaling.md documents the exchange.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors.js';

export const PROTOCOL_VERSION = 1;
/** Largest message the server accepts, in bytes: a larger one is answered with an ERR_LIMIT error. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * Largest WebSocket frame read at all: past this the socket is closed with 1009 without reading it.
 * Between the two, the message is dropped with an error, like any other violation.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Longest token a `watch` may carry (a JWT with a long claim is a few KiB). */
export const MAX_TOKEN_CHARS = 8192;

/** Longest seek target, in seconds (about 115 days of recording). */
export const MAX_SEEK_SECONDS = 10_000_000;

/**
 * What a viewer of the camera gets (docs/architecture.md, "Camera states"): idle (no session),
 * connecting, waiting (the camera answered PLAY but no playable frame came yet, or none for a while:
 * `error` says why after a few seconds), live (frames flow), retrying (the camera failed: `error`),
 * unplayable (the camera offers nothing a browser plays: no retry until a viewer asks again),
 * offline (reserved).
 */
export const CAMERA_STATES = ['idle', 'connecting', 'waiting', 'live', 'retrying', 'unplayable', 'offline'] as const;
export type CameraState = (typeof CAMERA_STATES)[number];

/**
 * A camera's streams (docs/signaling.md, "Main and sub streams"): `main` (its `url`) and, when the
 * camera names one, `sub` (its `substream`: smaller, for players in a grid).
 */
export const STREAM_NAMES = ['main', 'sub'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];
const streamName = z.enum(STREAM_NAMES);

const sessionId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : - only');
const cameraName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');
const sdp = z.string().min(1).max(MAX_MESSAGE_BYTES);
/** A camera page's offer ticket (base64url of 128 random bits). */
const ticket = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ - only');

/** A STUN or TURN server for the browser: the shape of the browser's RTCIceServer. */
export interface IceServerInfo {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export const ICE_TRANSPORT_POLICIES = ['all', 'relay'] as const;
export type IceTransportPolicy = (typeof ICE_TRANSPORT_POLICIES)[number];

/**
 * What the server tells an admitted viewer's browser to gather ICE with (docs/signaling.md, "ICE
 * servers"): the configured servers and, with TURN REST, a TURN server with a credential made for
 * this viewer; `iceTransportPolicy: 'relay'` when the server wants browsers to use TURN only. The
 * fields are RTCConfiguration's, so a client can pass them to setConfiguration() as they are.
 * Absent when the server has none of these configured.
 */
export interface IceConfig {
  iceServers: IceServerInfo[];
  iceTransportPolicy?: IceTransportPolicy;
}

/**
 * The offer camrtc's camera page carries for its first script, as JSON in `data-offer`; the socket
 * claims it with `ticket` (docs/signaling.md, "The camera page's offer"). With the ICE configuration
 * of the page's viewer, which the early script needs before it answers.
 */
export interface PageOffer extends Partial<IceConfig> {
  ticket: string;
  sdp: string;
}

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
  /**
   * Start watching `camera` in a new viewer session `id`. Without `offer` the server makes the offer
   * (`offer` message, answered with `answer`); with `offer` (the client's SDP offer, receive-only) the
   * server replies with `answer`. `trickle: true` asks the server to send its offer before its ICE
   * candidates are gathered and to trickle them in `candidate` messages (ending with null).
   * `ticket`: camrtc's camera page came with an offer already (docs/signaling.md, "The camera page's
   * offer"); the session uses that offer's viewer if it is still there.
   */
  z.object({
    type: z.literal('watch'),
    id: sessionId,
    camera: cameraName,
    capabilities: CapabilitiesSchema.optional(),
    offer: sdp.optional(),
    trickle: z.boolean().optional(),
    ticket: ticket.optional(),
    /**
     * A viewer token (camrtc's or an identity provider's JWT) that admits this watch; without it the
     * socket's own proof counts (login cookie, Authorization, the URL's `token`).
     */
    token: z.string().min(1).max(MAX_TOKEN_CHARS).optional(),
    /** The stream to start with (default `main`); a camera without a sub stream always sends `main`. */
    stream: streamName.optional(),
  }),
  /**
   * The answer to the session's offer. With `ticket`: the answer to the offer in the camera page,
   * sent before the session's `offer` message arrived; ignored when the session made another offer.
   */
  z.object({ type: z.literal('answer'), id: sessionId, sdp, ticket: ticket.optional() }),
  z.object({ type: z.literal('candidate'), id: sessionId, candidate: IceCandidateSchema.nullable() }),
  z.object({ type: z.literal('play'), id: sessionId }),
  z.object({ type: z.literal('pause'), id: sessionId }),
  /** Recording cameras only: play from `seconds` after the start of the recording (RTSP Range: npt=). */
  z.object({ type: z.literal('seek'), id: sessionId, seconds: z.number().finite().min(0).max(MAX_SEEK_SECONDS) }),
  /**
   * Switches the session to another stream of the camera on the same peer connection (no new offer):
   * the current stream plays until the new one's keyframe is there. Answered by `stream`.
   */
  z.object({ type: z.literal('stream'), id: sessionId, stream: streamName }),
  /** Asks for the session's `stats`. */
  z.object({ type: z.literal('stats'), id: sessionId }),
  /** Ends the session (the server answers `closed`). */
  z.object({ type: z.literal('stop'), id: sessionId }),
  /**
   * Asks for the camera's speaker (two-way audio, docs/signaling.md "Talk"): the browser's audio on
   * this session's audio section goes to the camera while the server's `talk` says `talking`. Only
   * when the offer said `talk: true`.
   */
  z.object({ type: z.literal('talk'), id: sessionId }),
  /** Gives the speaker back. */
  z.object({ type: z.literal('stoptalk'), id: sessionId }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

// ---- server -> client -------------------------------------------------------------------------

export interface CameraInfo {
  name: string;
  state: CameraState;
  /** Codecs of the camera's tracks once known (H264, PCMA, ...). */
  codecs?: string[];
  error?: { code: ErrorCode; message: string };
  /**
   * Live, but not for every browser: an H.265 camera plays only in browsers that decode H.265
   * (ERR_CODEC_UNSUPPORTED), the others are refused with that message.
   */
  warning?: { code: ErrorCode; message: string };
  /** The camera's sub stream, when it has one (`substream`): its own state (idle while no viewer watches it). */
  substream?: { state: CameraState; error?: { code: ErrorCode; message: string } };
}

/** One of a camera's streams, in the `stream` message. */
export interface StreamInfo {
  name: StreamName;
  /** The picture size, once camrtc has seen a keyframe of the stream. */
  width?: number;
  height?: number;
}

/** What a viewer session has sent, as the server counts it (`stats` reply). */
export interface SessionStats {
  /** Seconds since the session started. */
  uptime: number;
  framesSent: number;
  packetsSent: number;
  /** Frames dropped while waiting for a keyframe (start, resume, camera reconnect). */
  framesSkipped: number;
  sendErrors: number;
  /** The peer connection's state on the server side. */
  connection: string;
}

export type PlaybackState = 'playing' | 'paused';

/**
 * Two-way audio, for a session whose offer said `talk: true`: `idle` (nobody talks: the viewer may),
 * `talking` (this viewer has the camera's speaker), `busy` (another viewer has it: `holder` names
 * them). `error` says why this viewer's talk ended or was refused (ERR_TALK_BUSY, ERR_TIMEOUT...).
 */
export const TALK_STATES = ['idle', 'talking', 'busy'] as const;
export type TalkState = (typeof TALK_STATES)[number];
export interface TalkStatus {
  state: TalkState;
  holder?: string;
  error?: { code: ErrorCode; message: string };
}

export type ServerMessage =
  | { type: 'welcome'; version: number; server: string }
  | { type: 'cameras'; cameras: CameraInfo[] }
  /**
   * The server-made offer, with the ICE configuration to answer it with (IceConfig) when the server has
   * one. `talk: true`: this viewer may talk to the camera (it has an audio backchannel and the viewer
   * the `talk` permission); the offer's audio section then receives too, and `talk` messages follow.
   */
  | ({ type: 'offer'; id: string; sdp: string; talk?: boolean } & Partial<IceConfig>)
  /**
   * The server's answer to a client-made offer (`watch` with `offer`), with the ICE configuration as
   * on `offer`: a client that sent its offer before setLocalDescription can still apply it.
   */
  | ({ type: 'answer'; id: string; sdp: string } & Partial<IceConfig>)
  | { type: 'candidate'; id: string; candidate: IceCandidate | null }
  /** Camera state for a viewer session (and the camera's last error when it is not live). */
  | { type: 'status'; id: string; camera: string; state: CameraState; error?: { code: ErrorCode; message: string } }
  /**
   * The session's playback after play, pause or seek (and once the viewer exists). `seekable`: the
   * camera is a recording (seek works); `position`: seconds into the recording after a seek.
   */
  | { type: 'playback'; id: string; state: PlaybackState; seekable: boolean; position?: number }
  /**
   * The stream the session sends (after the offer or answer, after each switch, and in answer to a
   * `stream` request), and the ones the camera has. `error`: the switch asked for failed (the stream
   * stays); `width`/`height` of a stream once camrtc has seen its picture.
   */
  | { type: 'stream'; id: string; stream: StreamName; streams: StreamInfo[]; error?: { code: ErrorCode; message: string } }
  | { type: 'stats'; id: string; camera: string; cameraState: CameraState; playback: PlaybackState; stats: SessionStats }
  /** Who has the camera's speaker, after the offer and on every change (sessions with `talk: true` only). */
  | ({ type: 'talk'; id: string } & TalkStatus)
  | { type: 'error'; id?: string; code: ErrorCode; message: string }
  /**
   * A cluster node that does not serve this camera (docs/cluster.md): watch it at `url` instead, the
   * owner's signaling URL, with a socket of its own (the same watch, in that socket's URL or a
   * `watch` message). The session ends here without `closed`. The node at `url` never redirects
   * again; reconnects after a failure go to the first server, not to `url`.
   */
  | { type: 'redirect'; id: string; url: string }
  | { type: 'closed'; id: string; reason?: string };

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string };

/** Parses and validates one raw client message. Never throws. */
export function parseClientMessage(raw: string): ParseResult {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: only count bytes when the length alone cannot decide.
  if (raw.length > MAX_MESSAGE_BYTES || (raw.length * 3 > MAX_MESSAGE_BYTES && utf8Length(raw) > MAX_MESSAGE_BYTES)) {
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

/** UTF-8 length without Node's Buffer, so this file also runs in browsers. */
function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
