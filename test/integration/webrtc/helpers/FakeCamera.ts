/** A CameraSource/CameraDirectory for tests: tracks, status and frames are pushed by the test. */
import { EventEmitter } from 'node:events';
import { CamrtcError } from '../../../../server/src/errors.js';
import type { CameraDirectory, CameraSource, FrameSink } from '../../../../server/src/media/CameraSource.js';
import type { CameraStatus } from '../../../../server/src/media/CameraState.js';
import type { MediaFrame } from '../../../../server/src/media/MediaFrame.js';
import type { Track } from '../../../../server/src/sdp/Track.js';
import type { CameraInfo } from '../../../../shared/protocol.js';

export function h264Track(index = 0, profileLevelId = '42e01f'): Track {
  return {
    index,
    kind: 'video',
    codec: 'H264',
    payloadType: 96,
    clockRate: 90000,
    fmtp: { 'packetization-mode': '1', 'profile-level-id': profileLevelId },
    control: `rtsp://127.0.0.1/cam/trackID=${index}`,
    direction: 'recvonly',
  };
}

export function pcmaTrack(index = 1): Track {
  return {
    index,
    kind: 'audio',
    codec: 'PCMA',
    payloadType: 8,
    clockRate: 8000,
    channels: 1,
    fmtp: {},
    control: `rtsp://127.0.0.1/cam/trackID=${index}`,
    direction: 'recvonly',
  };
}

export class FakeCamera extends EventEmitter implements CameraSource {
  readonly name: string;
  readonly sinks = new Set<FrameSink>();
  keyframeRequests = 0;
  /** Sinks whose viewer is paused, as told through setSinkPlaying. */
  readonly pausedSinks = new Set<FrameSink>();
  #status: CameraStatus = { state: 'idle' };
  #tracks: readonly Track[] | undefined;
  #waiters: ((tracks: readonly Track[]) => void)[] = [];
  #rejecters: ((err: Error) => void)[] = [];

  constructor(name: string, tracks?: readonly Track[]) {
    super();
    this.name = name;
    this.#tracks = tracks;
  }

  get status(): CameraStatus {
    return this.#status;
  }
  get knownTracks(): readonly Track[] | undefined {
    return this.#tracks;
  }

  setStatus(status: CameraStatus): void {
    this.#status = status;
    this.emit('status', status);
  }

  setTracks(tracks: readonly Track[]): void {
    this.#tracks = tracks;
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#rejecters = [];
    for (const w of waiters) w(tracks);
    this.emit('tracks', tracks);
  }

  setSinkPlaying(sink: FrameSink, playing: boolean): void {
    if (playing) this.pausedSinks.delete(sink);
    else this.pausedSinks.add(sink);
  }

  tracks(): Promise<readonly Track[]> {
    if (this.#tracks) return Promise.resolve(this.#tracks);
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#rejecters.push(reject);
    });
  }

  addSink(sink: FrameSink): void {
    this.sinks.add(sink);
  }
  removeSink(sink: FrameSink): void {
    this.sinks.delete(sink);
  }
  requestKeyframe(): void {
    this.keyframeRequests++;
  }
  info(): CameraInfo {
    return {
      name: this.name,
      state: this.#status.state,
      ...(this.#tracks ? { codecs: this.#tracks.map((t) => t.codec) } : {}),
      ...(this.#status.error ? { error: { ...this.#status.error } } : {}),
    };
  }
  push(frame: MediaFrame): void {
    for (const sink of this.sinks) sink.onFrame(frame);
  }
  close(): void {
    for (const r of this.#rejecters) r(new CamrtcError('ERR_CLOSED', 'closed'));
    this.#waiters = [];
    this.#rejecters = [];
  }
}

export class FakeDirectory implements CameraDirectory {
  readonly cameras = new Map<string, FakeCamera>();
  constructor(cameras: FakeCamera[]) {
    for (const c of cameras) this.cameras.set(c.name, c);
  }
  get(name: string): CameraSource | undefined {
    return this.cameras.get(name);
  }
  list(): CameraInfo[] {
    return [...this.cameras.values()].map((c) => c.info());
  }
}
