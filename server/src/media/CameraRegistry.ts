import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraConfig } from '../config/Config.js';
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Camera, CameraDirectory } from './Camera.js';
import { LiveCamera } from './LiveCamera.js';
import { RecordingCamera } from './RecordingCamera.js';
import type { UpstreamFactory } from './UpstreamFeed.js';
import { TypedEmitter } from '../util/TypedEmitter.js';

export type CameraRegistryEvents = {
  /** A camera took a name: added, or the new camera of a changed one (before the old one closes). */
  added: [LiveCamera | RecordingCamera];
  listenererror: [string, unknown];
};

interface Entry {
  readonly camera: LiveCamera | RecordingCamera;
  readonly config: CameraConfig;
}

/**
 * The configured cameras by name. Only it creates cameras, and its close() closes them all. Cameras
 * come and go at run time (control API, configuration file reload): remove() ends the camera's viewers
 * with ERR_CAMERA_REMOVED, replace() with ERR_CAMERA_CHANGED, which the player takes as "reconnect
 * now" and finds the new camera under the same name. Every other camera is untouched.
 */
export class CameraRegistry extends TypedEmitter<CameraRegistryEvents> implements CameraDirectory {
  readonly #cameras = new Map<string, Entry>();
  readonly #options: { logger: Logger; createSession?: UpstreamFactory; mediaTimeoutMs?: number };
  #closed = false;

  constructor(options: { logger: Logger; createSession?: UpstreamFactory; mediaTimeoutMs?: number }) {
    super();
    this.#options = options;
  }

  add(camera: CameraConfig): LiveCamera | RecordingCamera {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', 'the camera registry is closed');
    if (this.#cameras.has(camera.name)) throw new CamrtcError('ERR_CAMERA_EXISTS', `camera '${camera.name}' already exists`);
    const created = this.#create(camera);
    this.#cameras.set(camera.name, { camera: created, config: camera });
    this.safeEmit('added', created);
    return created;
  }

  /**
   * Closes camera `name` and forgets it; its viewers' sessions end with ERR_CAMERA_REMOVED. Resolves
   * once the camera sent TEARDOWN. False when there is no such camera.
   */
  async remove(name: string): Promise<boolean> {
    const entry = this.#cameras.get(name);
    if (!entry) return false;
    this.#cameras.delete(name);
    await entry.camera.close(new CamrtcError('ERR_CAMERA_REMOVED', `camera '${name}' was removed`));
    return true;
  }

  /**
   * A changed camera: a new camera from `config` takes the name at once (before the old one's viewers
   * hear of it, so the player's immediate reconnect finds it), then the old one is closed and its
   * viewers' sessions end with ERR_CAMERA_CHANGED. Its URL, transport or kind (live or recording) may
   * all differ, so nothing of the old camera is kept.
   */
  async replace(config: CameraConfig): Promise<LiveCamera | RecordingCamera> {
    if (this.#closed) throw new CamrtcError('ERR_CLOSED', 'the camera registry is closed');
    const old = this.#cameras.get(config.name);
    if (!old) throw new CamrtcError('ERR_CAMERA_UNKNOWN', `no camera named '${config.name}'`);
    const created = this.#create(config);
    this.#cameras.set(config.name, { camera: created, config });
    this.safeEmit('added', created);
    await old.camera.close(new CamrtcError('ERR_CAMERA_CHANGED', `camera '${config.name}' was changed: reconnect to watch it`));
    return created;
  }

  get(name: string): LiveCamera | RecordingCamera | undefined {
    return this.#cameras.get(name)?.camera;
  }

  /** The configuration camera `name` runs with (it holds the resolved password: never send it anywhere). */
  configOf(name: string): CameraConfig | undefined {
    return this.#cameras.get(name)?.config;
  }

  all(): Camera[] {
    return [...this.#cameras.values()].map((e) => e.camera);
  }

  list(): CameraInfo[] {
    return [...this.#cameras.values()].map((e) => e.camera.info());
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#cameras.values()].map((e) => e.camera.close()));
    this.#cameras.clear();
  }

  #create(camera: CameraConfig): LiveCamera | RecordingCamera {
    const options = { camera, logger: this.#options.logger, createSession: this.#options.createSession, mediaTimeoutMs: this.#options.mediaTimeoutMs };
    // Recordings get a feed per viewer (seek); live cameras one shared feed.
    return camera.recording ? new RecordingCamera(options) : new LiveCamera(options);
  }
}
