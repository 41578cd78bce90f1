/**
 * Stable error codes. They travel to browsers and other apps in signaling `error` messages and in
 * camera status, so they never change meaning once released. docs/errors.md lists each one; a unit
 * test keeps the two in step.
 */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: 'The configuration or a command-line option is invalid',
  ERR_CLOSED: 'The object was closed while the operation was pending',
  ERR_TIMEOUT: 'An operation did not finish in time',
  ERR_RTSP_CONNECT: 'The camera could not be reached (refused, unreachable, DNS failure)',
  ERR_RTSP_TIMEOUT: 'The camera did not answer in time',
  ERR_RTSP_AUTH: 'The camera refused the credentials (wrong user or password, or none given)',
  ERR_RTSP_BAD_STATUS: 'The camera answered a request with an error status',
  ERR_RTSP_PROTOCOL: 'The camera does not speak RTSP or sent a malformed answer',
  ERR_RTSP_REDIRECT: 'The camera redirected too often or to a forbidden place',
  ERR_RTSP_REDIRECT_CREDENTIALS:
    "The camera redirected to another host, port or scheme that asks for credentials; camrtc sends a camera's credentials only where they were configured",
  ERR_RTSP_INVALID_STATE: 'An RTSP method was called in a state that does not allow it',
  ERR_RTSP_NO_TRACKS: 'The camera offers no track camrtc can play',
  ERR_NO_MEDIA: 'The camera answered PLAY but sends no media',
  ERR_MEDIA_UNDECODABLE: 'The camera sends media camrtc cannot decode (malformed RTP or video)',
  ERR_TRACKS_CHANGED: 'The camera came back with other tracks or codecs: viewers must reconnect',
  ERR_RTSP_CONNECTION_LOST: 'The connection to the camera was lost',
  ERR_PARSE_MESSAGE: 'An RTSP message could not be parsed',
  ERR_PARSE_HEADER: 'An RTSP header could not be parsed',
  ERR_PARSE_SDP: 'A session description could not be parsed',
  ERR_PARSE_RTP: 'An RTP packet could not be parsed',
  ERR_PARSE_H264: 'An H.264 RTP payload is malformed',
  ERR_PARSE_H265: 'An H.265 RTP payload is malformed',
  ERR_PARSE_AAC: 'An AAC RTP payload (MPEG4-GENERIC or MP4A-LATM) or its SDP config is malformed',
  ERR_TRANSCODER: 'The audio transcoder (ffmpeg, AAC to Opus) is missing or failed',
  ERR_LIMIT: 'A size or count limit was exceeded',
  ERR_SIGNALING_INVALID: 'A signaling message is malformed or not allowed',
  ERR_SIGNALING_RATE: 'Too many signaling messages',
  ERR_SIGNALING_IDLE: 'A signaling socket watched no camera in time and was closed',
  ERR_HOST_UNKNOWN: 'The request named a host (Host header) this server is not known by: add it to publicNames',
  ERR_CAMERA_UNKNOWN: 'No camera has that name',
  ERR_WEBRTC: 'The WebRTC negotiation failed',
  ERR_NOT_SEEKABLE: 'Seek was asked of a live camera; only cameras configured as recordings can seek',
  ERR_CODEC_UNSUPPORTED: 'The camera sends a codec camrtc cannot forward to this viewer',
  ERR_AUTH_REQUIRED: 'The action needs a login or a token: nothing was proved, and it is not open to anonymous clients',
  ERR_AUTH_INVALID: 'The login, password or token given is not valid (wrong, malformed, signed by an unknown key or expired)',
  ERR_AUTH_THROTTLED: 'Too many failed logins from this address: wait before trying again',
  ERR_FORBIDDEN: 'The user or token proved is not allowed to do this on this camera',
  ERR_REQUEST_INVALID: 'An HTTP API request is malformed: not JSON, or a missing or wrong field (the message names it)',
  ERR_INTERNAL: 'An unexpected internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
