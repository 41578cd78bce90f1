/** A Camera/CameraDirectory for tests: tracks, status and frames are pushed by the test. */
import { EventEmitter } from 'node:events';
import { CamrtcError } from '../../../../server/src/errors.js';
import type { Camera, CameraDirectory, CameraLease, FrameSink } from '../../../../server/src/media/Camera.js';
import { cameraInfo, type CameraStatus } from '../../../../server/src/media/CameraState.js';
import type { MediaFrame } from '../../../../server/src/media/MediaFrame.js';
import type { Track } from '../../../../server/src/sdp/Track.js';
import type { CameraInfo } from '../../../../shared/protocol.js';
import { CameraCounters } from '../../../../server/src/media/CameraCounters.js';

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

/** A lease as the test sees it: what the viewer's session asked of the camera. */
export class FakeLease implements CameraLease {
  sink: FrameSink | undefined;
  playing = true;
  released = false;
  seeks: number[] = [];
  constructor(readonly camera: FakeCamera) {}
  subscribe(sink: FrameSink | undefined): void {
    if (this.sink) this.camera.sinks.delete(this.sink);
    this.sink = sink;
    if (sink && !this.released) this.camera.sinks.add(sink);
  }
  setPlaying(playing: boolean): void {
    this.playing = playing;
  }
  requestKeyframe(): readonly MediaFrame[] {
    this.camera.keyframeRequests++;
    return this.camera.gop;
  }
  async seek(seconds: number): Promise<void> {
    if (!this.camera.seekable) throw new CamrtcError('ERR_NOT_SEEKABLE', `camera '${this.camera.name}' is live, not a recording: it cannot seek`);
    this.seeks.push(seconds);
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.sink) this.camera.sinks.delete(this.sink);
    this.camera.leases.delete(this);
  }
}

export class FakeCamera extends EventEmitter implements Camera {
  readonly name: string;
  seekable = false;
  /** Sinks subscribed through a lease (the viewers' own subscriptions). */
  readonly sinks = new Set<FrameSink>();
  /** Leases held: the demand viewers' sessions put on the camera. */
  readonly leases = new Set<FakeLease>();
  keyframeRequests = 0;
  readonly counters = new CameraCounters();
  /** What requestKeyframe returns (the camera's cached GOP). */
  gop: readonly MediaFrame[] = [];
  /** The camera's sub stream (Camera.substream), when a test gives it one. */
  substream?: FakeCamera;
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

  setTracks(tracks: readonly Track[], compatible = true): void {
    this.#tracks = tracks;
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#rejecters = [];
    for (const w of waiters) w(tracks);
    this.emit('tracks', tracks, compatible);
  }

  /** Leases whose viewer paused. */
  get pausedLeases(): FakeLease[] {
    return [...this.leases].filter((l) => !l.playing);
  }

  tracks(): Promise<readonly Track[]> {
    if (this.#tracks) return Promise.resolve(this.#tracks);
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#rejecters.push(reject);
    });
  }

  acquire(): FakeLease {
    const lease = new FakeLease(this);
    this.leases.add(lease);
    return lease;
  }
  info(): CameraInfo {
    return cameraInfo(this.name, this.#status, this.#tracks);
  }
  push(frame: MediaFrame): void {
    for (const sink of this.sinks) sink.onFrame(frame);
  }
  async close(): Promise<void> {
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
  get(name: string): Camera | undefined {
    return this.cameras.get(name);
  }
  list(): CameraInfo[] {
    return [...this.cameras.values()].map((c) => c.info());
  }
}
