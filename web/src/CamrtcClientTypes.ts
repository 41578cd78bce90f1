/**
 * The types of CamrtcClient's API: its options and the statuses it reports (kept apart from the
 * implementation, as RtspSessionTypes.ts is, so the API reads in one place).
 */
import type { ErrorCode } from '../../shared/errors.js';
import type { StreamInfo, StreamName } from '../../shared/protocol.js';

/** The stream the server sends this client, and the camera's streams (the `stream` message). */
export interface ClientStream {
  stream: StreamName;
  streams: StreamInfo[];
  /** The switch asked for failed; the stream stayed. */
  error?: { code: ErrorCode; message: string };
}

export type ClientStatus =
  /** Opening the socket, negotiating, or waiting for the first picture. */
  | { state: 'connecting' }
  /** A frame was decoded (or, without a video element, media is flowing). */
  | { state: 'live' }
  /** pause() was called: the server stopped forwarding (and the camera got RTSP PAUSE if no one else watches). */
  | { state: 'paused' }
  /** The socket or the peer connection dropped; retrying in `retryInMs`. */
  | { state: 'reconnecting'; reason: string; retryInMs: number }
  /**
   * The server is up but cannot reach the camera; it keeps trying by itself. `wasLive`: this viewer
   * had a picture before (the camera dropped and is being reconnected), as opposed to never having had one.
   */
  | { state: 'offline'; reason: string; code?: ErrorCode; wasLive?: boolean }
  /** Cannot play (unknown camera, unsupported codec...). Retries only for transient errors. */
  | { state: 'error'; reason: string; code?: ErrorCode };

export type ClientState = ClientStatus['state'];

/**
 * Two-way audio (docs/signaling.md "Talk"): `unavailable` (the camera has no backchannel, or this
 * viewer lacks the `talk` permission: no button), `idle` (talk() may start), `talking` (the
 * microphone goes to the camera), `busy` (another viewer talks: `holder` names them). `error` says
 * why the last talk ended or was refused.
 */
export type TalkState = 'unavailable' | 'idle' | 'talking' | 'busy';
export interface TalkInfo {
  state: TalkState;
  holder?: string;
  error?: { code?: ErrorCode; message: string };
}

export interface CamrtcClientOptions {
  camera: string;
  /**
   * The camrtc server: its base URL (http(s)://host:port, the signaling socket is /ws there) or the
   * signaling URL itself (ws(s)://host:port/ws). Default: this page's server.
   */
  url?: string;
  /** When given, the stream is attached to it and 'live' means "a frame was decoded". */
  video?: HTMLVideoElement;
  onStatus?: (status: ClientStatus) => void;
  /** Called when the stream gains or loses tracks (e.g. to show an unmute button for audio). */
  onTracks?: (stream: MediaStream) => void;
  /**
   * ICE servers of the page's own, used before the ones the server hands this viewer (its configured
   * STUN/TURN servers, a TURN credential of its own): the two lists merge. Default none.
   */
  iceServers?: RTCIceServer[];
  /**
   * 'relay': gather TURN candidates only (the media always goes through a TURN server, as some
   * networks require); 'all': any. Wins over the server's `webrtc.iceTransportPolicy`. Default: the
   * server's, else 'all'.
   */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /**
   * A viewer token (`camrtc token`, POST /api/tokens, or an identity provider's JWT), sent in the
   * signaling URL. A function is asked again before every (re)connection, so a page can hand over a
   * fresh token before the old one expires.
   */
  token?: string | (() => string | undefined);
  /** Start paused (no media until play()). */
  paused?: boolean;
  /** The server said whether this camera can seek (a recording). */
  onPlayback?: (playback: { seekable: boolean; position?: number }) => void;
  /** Two-way audio changed: available or not, who talks (see TalkInfo). */
  onTalk?: (talk: TalkInfo) => void;
  /**
   * The microphone's constraints for talk(). Default: echo cancellation, noise suppression and
   * automatic gain on (the camera's sound plays while the viewer talks).
   */
  talkConstraints?: MediaTrackConstraints;
  /**
   * The camera stream to start with: `main` (default) or `sub`, a camera's small stream; setStream()
   * switches later, on the same connection. A camera without a sub stream sends main. A function is
   * asked when the first socket of the client's own opens (not for the camera page's early socket,
   * which watches main), so a player measures its size only then.
   */
  stream?: StreamName | (() => StreamName);
  /** The server says which stream it sends (after the offer, after each switch, when one failed). */
  onStream?: (stream: ClientStream) => void;
}
