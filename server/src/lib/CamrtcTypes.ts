/**
 * The library's public types: options, events and the Camrtc interface an app gets from
 * createCamrtc(). Kept apart from the implementation (mediasoup's *Types.ts) so the published
 * declarations reach only these, zod's and Node's types, never express's or werift's.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CameraInfo, CameraState } from '../../../shared/protocol.js';
import type { ErrorCode } from '../../../shared/errors.js';
import type { CameraConfigSchema } from '../config/Config.js';
import type { CamrtcOptionsSchema } from './options.js';

export type { CameraInfo, CameraState, ErrorCode };

/** A camera, as in the configuration file's `cameras` list (README "Configuration file"). */
export type CameraInput = z.input<typeof CameraConfigSchema>;

/** A change to a camera's settings: a JSON merge patch (null removes a setting, so its default applies). */
export type CameraChanges = { [K in Exclude<keyof CameraInput, 'name'>]?: CameraInput[K] | null };

/**
 * Options of createCamrtc(): the configuration file's settings (cameras, webrtc, allowedOrigins,
 * publicNames, auth, demo, logLevel), except what belongs to the host app's server (host, port, tls),
 * and the library's own (mountPath, controlApi, metrics). Validated as the file is: a mistake throws
 * a CamrtcError (ERR_CONFIG_INVALID) naming the field.
 */
export type CamrtcOptions = z.input<typeof CamrtcOptionsSchema> & {
  /** Where camrtc logs (a pino logger, e.g. the app's own child logger). Default: a pino logger at `logLevel` on stdout. */
  logger?: Logger;
};

/** Where camrtc's routes are, under the mount path. */
export interface CamrtcPaths {
  /** The player module for `<script type="module" src=...>`, e.g. `/cams/camrtc-player.js`. */
  readonly player: string;
  /** The signaling WebSocket, e.g. `/cams/ws`. */
  readonly signaling: string;
  /** WHEP endpoints are `${whep}/CAMERA`. */
  readonly whep: string;
  /** GET: the cameras the caller may watch (JSON). */
  readonly cameras: string;
  /** The value of the player's `server` attribute for a page of the same origin, e.g. `/cams` (or `/`). */
  readonly server: string;
}

export interface CameraStateEvent {
  camera: string;
  state: CameraState;
  /** Why, when the camera is retrying, waiting without media or unplayable. Never holds credentials. */
  error?: { code: ErrorCode; message: string };
}

export interface ViewerEvent {
  /** 16 hex characters, unique while the process runs (listViewers, disconnectViewer). */
  id: string;
  camera: string;
  /** `ws`: the player or the signaling protocol; `whep`: a WHEP client. */
  transport: 'ws' | 'whep';
  /** The client's address as the server's socket sees it (a reverse proxy's, behind one). */
  address: string | null;
  /** ISO time the session started. */
  startedAt: string;
}

export interface ViewerLeftEvent extends ViewerEvent {
  durationSeconds: number;
}

export type CamrtcEvents = {
  /** A camera's state changed (idle, connecting, waiting, live, retrying, unplayable). */
  cameraState: [CameraStateEvent];
  /** A viewer started watching (its peer connection may still be connecting). */
  viewerJoined: [ViewerEvent];
  /** A viewer's session ended (it left, was disconnected, or its camera was removed). */
  viewerLeft: [ViewerLeftEvent];
};

/** A camera as listCameras() tells it: state, codecs, error, and how many watch it. */
export interface CameraSummary extends CameraInfo {
  viewers: number;
  /** An NVR playback URL: each viewer has its own RTSP session and may seek. */
  recording: boolean;
}

/** One viewer as listViewers() tells it. */
export interface ViewerSummary extends ViewerEvent {
  durationSeconds: number;
  /** The peer connection: new, connecting, connected, disconnected, failed, closed. */
  connection: string;
  playback: string;
  bytesSent: number;
  packetsSent: number;
  framesSent: number;
  /** From the viewer's RTCP receiver reports, once one arrived (null before). */
  packetsLost: number | null;
  fractionLost: number | null;
  rttMs: number | null;
}

/** Node's request listener, with Express's `next` (called for every request that is not camrtc's). */
export type CamrtcHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface AttachOptions {
  /**
   * Serve camrtc's HTTP routes on this server, ahead of its own request listeners (which get every
   * other request, unchanged). Default true; false when the app mounts `handler` itself.
   */
  http?: boolean;
}

export interface Camrtc {
  /** The normalized mount path: `/` or `/cams` (no trailing slash). */
  readonly mountPath: string;
  readonly paths: CamrtcPaths;
  /**
   * camrtc's HTTP routes (player script, camera list, WHEP; the control API and /metrics when
   * enabled) under the mount path, as middleware: `app.use(camrtc.handler)`. Requests for any other
   * path go to `next` untouched (without `next`: 404).
   */
  readonly handler: CamrtcHandler;
  /**
   * Attaches camrtc to the app's server: the signaling WebSocket on its `upgrade` event and, unless
   * `{ http: false }`, the HTTP routes ahead of its request listeners. Call it once the server has its
   * request listener (`http.createServer(app)`, `app.listen()`). Undone by close().
   */
  attach(server: HttpServer | HttpsServer, options?: AttachOptions): void;

  /** Cameras and their state. */
  listCameras(): CameraSummary[];
  /** Adds a camera; rejects with ERR_REQUEST_INVALID naming the field, or ERR_CAMERA_EXISTS. */
  addCamera(camera: CameraInput): Promise<CameraSummary>;
  /** Changes a camera (its viewers reconnect to the changed source at once). ERR_CAMERA_UNKNOWN when there is none. */
  updateCamera(name: string, changes: CameraChanges): Promise<CameraSummary>;
  /** Removes a camera; its viewers read ERR_CAMERA_REMOVED. */
  removeCamera(name: string): Promise<void>;
  /** The viewers of one camera, or of every camera. */
  listViewers(camera?: string): Promise<ViewerSummary[]>;
  /** Ends one viewer's session (it reads ERR_VIEWER_DISCONNECTED and does not retry). False when there is no such viewer. */
  disconnectViewer(id: string): Promise<boolean>;

  on<K extends keyof CamrtcEvents>(event: K, listener: (...args: CamrtcEvents[K]) => void): this;
  once<K extends keyof CamrtcEvents>(event: K, listener: (...args: CamrtcEvents[K]) => void): this;
  off<K extends keyof CamrtcEvents>(event: K, listener: (...args: CamrtcEvents[K]) => void): this;

  readonly closed: boolean;
  /**
   * Ends every viewer, sends TEARDOWN to every camera, and detaches from the servers (their other
   * listeners stay). The servers themselves are the app's to close. Idempotent.
   */
  close(): Promise<void>;
}
