/**
 * The WebSocket protocol's view of a viewer session: its typed events as the `ServerMessage`s of
 * shared/protocol.ts (docs/signaling.md). Redaction happens here, where text leaves the process.
 */
import { redactText } from '../log/redact.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { SessionStream, ViewerSession, ViewerSessionStats } from '../session/ViewerSession.js';
import type { IceConfig, ServerMessage, TalkStatus } from '../../../shared/protocol.js';

/**
 * Sends every event of `session` as its message, from now on (call before session.start()). `ice`
 * is asked once, when the offer or answer goes out, for the ICE configuration that message carries
 * (PeerSettings.browserIce: a TURN credential made then, for this viewer).
 */
export function sendSessionEvents(session: ViewerSession, send: (message: ServerMessage) => void, ice: () => IceConfig | undefined = () => undefined): void {
  const id = session.id;
  const camera = session.camera.name;
  session.on('status', (status) => send(statusMessage(id, camera, status)));
  session.on('offer', (sdp) => {
    send({ type: 'offer', id, sdp, ...ice(), ...(session.talkAvailable ? { talk: true } : {}) });
    const talk = session.talkStatus;
    if (talk) send(talkMessage(id, talk));
  });
  session.on('talk', (status) => send(talkMessage(id, status)));
  session.on('answer', (sdp) => send({ type: 'answer', id, sdp, ...ice() }));
  session.on('candidate', (candidate) => send({ type: 'candidate', id, candidate }));
  session.on('playback', (playback) => send({ type: 'playback', id, ...playback }));
  session.on('stream', (stream) => send(streamMessage(id, stream)));
  session.on('failed', (error) => send({ type: 'error', id, code: error.code, message: redactText(error.message) }));
  session.on('closed', (reason) => send({ type: 'closed', id, ...(reason ? { reason } : {}) }));
}

export function statusMessage(id: string, camera: string, status: CameraStatus): ServerMessage {
  return {
    type: 'status',
    id,
    camera,
    state: status.state,
    ...(status.error ? { error: { code: status.error.code, message: redactText(status.error.message) } } : {}),
  };
}

/** A `talk` message (two-way audio status), its error redacted. */
export function talkMessage(id: string, status: TalkStatus): ServerMessage {
  return {
    type: 'talk',
    id,
    state: status.state,
    ...(status.holder !== undefined ? { holder: status.holder } : {}),
    ...(status.error ? { error: { code: status.error.code, message: redactText(status.error.message) } } : {}),
  };
}

/** The `stream` message: the stream the session sends, and a failed switch's error (redacted). */
export function streamMessage(id: string, stream: SessionStream): ServerMessage {
  return {
    type: 'stream',
    id,
    stream: stream.stream,
    streams: stream.streams.map((s) => ({ ...s })),
    ...(stream.error ? { error: { code: stream.error.code, message: redactText(stream.error.message) } } : {}),
  };
}

/** The `stats` reply. */
export function statsMessage(id: string, stats: ViewerSessionStats): ServerMessage {
  return { type: 'stats', id, ...stats };
}
