import type { CameraConfig } from '../config/Config.js';
import type { Logger } from '../log/logger.js';
import type { RtspSessionOptions } from '../rtsp/RtspSessionTypes.js';

/** The RtspSession options a camera's configuration gives, shared by live and recording sources. */
export function sessionOptions(camera: CameraConfig, logger: Logger): RtspSessionOptions {
  return {
    url: camera.url,
    username: camera.username,
    password: camera.password,
    transport: camera.transport,
    tlsInsecure: camera.tlsInsecure,
    cameraName: camera.name,
    logger,
    ...(camera.connectTimeoutMs !== undefined ? { connectTimeoutMs: camera.connectTimeoutMs } : {}),
    ...(camera.readTimeoutMs !== undefined ? { readTimeoutMs: camera.readTimeoutMs } : {}),
  };
}
