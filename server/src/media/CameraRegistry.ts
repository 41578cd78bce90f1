import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraConfig } from '../config/Config.js';
import type { Logger } from '../log/logger.js';
import type { Camera, CameraDirectory } from './Camera.js';
import { LiveCamera } from './LiveCamera.js';
import { RecordingCamera } from './RecordingCamera.js';
import type { UpstreamFactory } from './UpstreamFeed.js';

/** The configured cameras by name. Only it creates cameras, and its close() closes them all. */
export class CameraRegistry implements CameraDirectory {
  readonly #cameras = new Map<string, LiveCamera | RecordingCamera>();
  readonly #options: { logger: Logger; createSession?: UpstreamFactory; mediaTimeoutMs?: number };
  #closed = false;

  constructor(options: { logger: Logger; createSession?: UpstreamFactory; mediaTimeoutMs?: number }) {
    this.#options = options;
  }

  add(camera: CameraConfig): LiveCamera | RecordingCamera {
    if (this.#cameras.has(camera.name)) throw new Error(`camera '${camera.name}' already exists`);
    const options = { camera, logger: this.#options.logger, createSession: this.#options.createSession, mediaTimeoutMs: this.#options.mediaTimeoutMs };
    // Recordings get a feed per viewer (seek); live cameras one shared feed.
    const created = camera.recording ? new RecordingCamera(options) : new LiveCamera(options);
    this.#cameras.set(camera.name, created);
    return created;
  }

  get(name: string): LiveCamera | RecordingCamera | undefined {
    return this.#cameras.get(name);
  }

  all(): Camera[] {
    return [...this.#cameras.values()];
  }

  list(): CameraInfo[] {
    return [...this.#cameras.values()].map((c) => c.info());
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#cameras.values()].map((c) => c.close()));
    this.#cameras.clear();
  }
}
