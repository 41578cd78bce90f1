/**
 * The WebSocket protocol's view of a viewer session: its typed events as the `ServerMessage`s of
 * shared/protocol.ts (docs/signaling.md). Redaction happens here, where text leaves the process.
 */
import { redactText } from '../log/redact.js';
import type { CameraStatus } from '../media/CameraState.js';
import type { ViewerSession, ViewerSessionStats } from '../session/ViewerSession.js';
import type { ServerMessage } from '../../../shared/protocol.js';

/** Sends every event of `session` as its message, from now on (call before session.start()). */
export function sendSessionEvents(session: ViewerSession, send: (message: ServerMessage) => void): void {
  const id = session.id;
  const camera = session.camera.name;
  session.on('status', (status) => send(statusMessage(id, camera, status)));
  session.on('offer', (sdp) => send({ type: 'offer', id, sdp }));
  session.on('answer', (sdp) => send({ type: 'answer', id, sdp }));
  session.on('candidate', (candidate) => send({ type: 'candidate', id, candidate }));
  session.on('playback', (playback) => send({ type: 'playback', id, ...playback }));
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

/** The `stats` reply. */
export function statsMessage(id: string, stats: ViewerSessionStats): ServerMessage {
  return { type: 'stats', id, ...stats };
}
