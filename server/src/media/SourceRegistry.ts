import type { CameraInfo } from '../../../shared/protocol.js';
import type { CameraConfig } from '../config/Config.js';
import type { Logger } from '../log/logger.js';
import type { CameraDirectory } from './CameraSource.js';
import { RecordingSource } from './RecordingSource.js';
import { Source, type UpstreamFactory } from './Source.js';

/** The configured cameras by name. Only it creates Sources, and its close() closes them all. */
export class SourceRegistry implements CameraDirectory {
  private readonly sources = new Map<string, Source | RecordingSource>();
  private _closed = false;

  constructor(private readonly options: { logger: Logger; createSession?: UpstreamFactory }) {}

  add(camera: CameraConfig): Source | RecordingSource {
    if (this.sources.has(camera.name)) throw new Error(`camera '${camera.name}' already exists`);
    // Recordings get a session per viewer (seek); live cameras one shared session.
    const source = camera.recording
      ? new RecordingSource({ camera, logger: this.options.logger })
      : new Source({ camera, logger: this.options.logger, createSession: this.options.createSession });
    this.sources.set(camera.name, source);
    return source;
  }

  get(name: string): Source | RecordingSource | undefined {
    return this.sources.get(name);
  }

  list(): CameraInfo[] {
    return [...this.sources.values()].map((s) => s.info());
  }

  get closed(): boolean {
    return this._closed;
  }

  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    await Promise.all([...this.sources.values()].map((s) => s.close()));
    this.sources.clear();
  }
}
