/**
 * The benchmark's camera: test/e2e/support/gst-rtsp-server.py with --stamp (wall clock in every frame,
 * noise elsewhere so the encoder spends its whole bitrate), shared by every client, so camrtc and Janus
 * read the very same encoded stream.
 */
import { join } from 'node:path';
import { Child } from './Child.js';
import { repoRoot } from '../test/helpers/paths.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const READY_TIMEOUT_MS = 10_000;

export interface StampCameraOptions {
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  gop: number;
  kbps: number;
  /**
   * x264 threads. 1 gives one slice per picture, as most IP cameras send; more gives one slice per
   * thread (x264 tune=zerolatency), and rtph264pay then repeats SPS/PPS before every IDR slice.
   */
  threads: number;
  /** x264 threads on whole frames (one slice per picture, one frame more latency) instead of slices. */
  frameThreads?: boolean;
  /**
   * Drop RTCP keyframe requests (PLI/FIR) before the encoder, as most IP cameras ignore them;
   * gst-rtsp-server honours them by default (a keyframe at once).
   */
  ignoreKeyframeRequests?: boolean;
}

export class StampCamera {
  #keyframeRequests = 0;
  #clients = 0;

  private constructor(private readonly child: Child, readonly port: number, readonly options: StampCameraOptions) {
    child.onLine((line) => {
      if (line.includes('"keyframe-request"')) this.#keyframeRequests++;
      else if (line.includes('"client-connected"')) this.#clients++;
      else if (line.includes('"client-closed"')) this.#clients--;
    });
  }

  static async start(options: StampCameraOptions): Promise<StampCamera> {
    const child = new Child('gst-rtsp-server', SYSTEM_PYTHON, [
      join(repoRoot, 'test/e2e/support/gst-rtsp-server.py'), '--port', '0', '--path', '/cam', '--stamp',
      '--width', String(options.width), '--height', String(options.height), '--fps', String(options.fps),
      '--gop', String(options.gop), '--bitrate', String(options.kbps), '--threads', String(options.threads), ...(options.frameThreads ? ['--frame-threads'] : []), '--profile', 'baseline',
      ...(options.ignoreKeyframeRequests ? ['--ignore-keyframe-requests'] : []),
    ]);
    try {
      const port = await child.waitForLine((line) => {
        try {
          const e = JSON.parse(line) as { event?: string; port?: number };
          return e.event === 'ready' ? e.port : undefined;
        } catch {
          return undefined;
        }
      }, READY_TIMEOUT_MS);
      return new StampCamera(child, port, options);
    } catch (err) {
      await child.close();
      throw err;
    }
  }

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}/cam`;
  }

  get label(): string {
    const o = this.options;
    return `${o.width}x${o.height} ${o.fps} fps, ${o.kbps / 1000} Mbit/s, GOP ${o.gop / o.fps} s${o.ignoreKeyframeRequests ? ', ignoring keyframe requests' : ''}`;
  }

  /** Keyframe requests (RTCP PLI/FIR) the camera received so far, honoured or not. */
  get keyframeRequests(): number {
    return this.#keyframeRequests;
  }

  /** RTSP sessions the camera is serving now (connections opened minus closed). */
  get clients(): number {
    return this.#clients;
  }

  get pid(): number {
    return this.child.pid;
  }

  close(): Promise<void> {
    return this.child.close();
  }
}
