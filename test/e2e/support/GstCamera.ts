/**
 * A real RTSP camera that is not camrtc: GStreamer's gst-rtsp-server driven by gst-rtsp-server.py.
 * Records the RTSP methods it received so tests can assert on what the camera saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/paths.js';

export const GST_SCRIPT = join(repoRoot, 'test/e2e/support/gst-rtsp-server.py');
export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface GstCameraOptions {
  path?: string;
  user?: string;
  password?: string;
  audio?: 'none' | 'pcma' | 'pcmu' | 'opus' | 'aac' | 'aac-latm';
  video?: 'h264' | 'h265' | 'mjpeg';
  /** Listen on this port (default: any free one); a restarted camera can come back on the same port. */
  port?: number;
  profile?: 'baseline' | 'main' | 'high';
  gop?: number;
  protocols?: string;
  /** Audio as the first track and video as the second (default: video first). */
  audioFirst?: boolean;
  /** Frequency of the audio sine in Hz (default 440). */
  tone?: number;
  /** Answer every request, PLAY included, but never send a packet (a camera with a stuck encoder). */
  silent?: boolean;
  /** An ONVIF camera with an audio backchannel in this codec, measured as it plays (backchannel events). */
  backchannel?: 'pcmu' | 'pcma' | 'aac';
  /** Picture size of the main mount (default 640x360). */
  width?: number;
  height?: number;
  /** A second mount, the camera's sub stream: the same pipeline at another picture size. */
  substream?: { path: string; width: number; height: number };
}

/** What the camera's speaker played: one decoded buffer of backchannel audio (gst-rtsp-server.py --backchannel). */
export interface SpeakerSample {
  /** Wall clock (ms since the Unix epoch) when it reached the speaker. */
  at: number;
  samples: number;
  /** Loudness, 0-1 RMS of full scale. */
  rms: number;
  /** Frequency from the zero crossings of the last 100 ms. */
  hz: number;
}

/** One RTSP request the camera received, with the mount it named ("/cam" of rtsp://host/cam/stream=0). */
export interface GstRequest {
  method: string;
  path: string;
}

export class GstCamera {
  readonly requests: string[] = [];
  /** RTSP connections open now (a client keeps its connection for as long as its session lasts). */
  openConnections = 0;
  /** The Require header of each request that had one, as "METHOD: value". */
  readonly requires: string[] = [];
  /** What the backchannel played, in order (with `backchannel`). */
  readonly speaker: SpeakerSample[] = [];
  /** The same requests with their mounts. */
  readonly requestLog: GstRequest[] = [];
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly path: string,
    readonly subPath: string | undefined,
  ) {}

  /** Why the e2e suite cannot run here, or undefined when it can. */
  static missing(): string | undefined {
    if (!existsSync(SYSTEM_PYTHON)) return `${SYSTEM_PYTHON} not found (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0)`;
    return undefined;
  }

  static async start(options: GstCameraOptions = {}): Promise<GstCamera> {
    const args = [GST_SCRIPT, '--port', String(options.port ?? 0), '--path', options.path ?? '/cam', '--audio', options.audio ?? 'none'];
    if (options.user) args.push('--user', options.user, '--password', options.password ?? '');
    if (options.profile) args.push('--profile', options.profile);
    if (options.gop) args.push('--gop', String(options.gop));
    if (options.protocols) args.push('--protocols', options.protocols);
    if (options.video) args.push('--video', options.video);
    if (options.audioFirst) args.push('--audio-first');
    if (options.tone) args.push('--tone', String(options.tone));
    if (options.silent) args.push('--silent');
    if (options.backchannel) args.push('--backchannel', options.backchannel);
    if (options.width) args.push('--width', String(options.width));
    if (options.height) args.push('--height', String(options.height));
    if (options.substream) {
      const sub = options.substream;
      args.push('--sub-path', sub.path, '--sub-width', String(sub.width), '--sub-height', String(sub.height));
    }
    const child = spawn(SYSTEM_PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const lines = createInterface({ input: child.stdout! });
    let camera: GstCamera | undefined;
    return await new Promise<GstCamera>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`gst-rtsp-server did not start within 10 s: ${stderr}`));
      }, 10_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!camera) reject(new Error(`gst-rtsp-server exited with ${code}: ${stderr}`));
      });
      lines.on('line', (line) => {
        let event: { event: string; port?: number; path?: string; method?: string; require?: string } & Partial<SpeakerSample>;
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        if (event.event === 'ready') {
          clearTimeout(timer);
          camera = new GstCamera(child, event.port!, event.path!, options.substream?.path);
          resolve(camera);
        } else if (event.event === 'request' && camera) {
          camera.requests.push(event.method!);
          if (event.require) camera.requires.push(`${event.method}: ${event.require}`);
          camera.requestLog.push({ method: event.method!, path: event.path ?? '' });
        } else if (event.event === 'client-connected' && camera) {
          camera.openConnections++;
        } else if (event.event === 'client-closed' && camera) {
          camera.openConnections--;
        } else if (event.event === 'backchannel' && camera) {
          camera.speaker.push({ at: event.at!, samples: event.samples!, rms: event.rms!, hz: event.hz! });
          if (camera.speaker.length > 20_000) camera.speaker.splice(0, 5_000);
        }
      });
    });
  }

  url(credentials?: { user: string; password: string }): string {
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@` : '';
    return `rtsp://${auth}127.0.0.1:${this.port}${this.path}`;
  }

  /** The sub stream's URL (the camera was started with `substream`). */
  subUrl(credentials?: { user: string; password: string }): string {
    if (!this.subPath) throw new Error('this camera serves no sub stream');
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@` : '';
    return `rtsp://${auth}127.0.0.1:${this.port}${this.subPath}`;
  }

  /**
   * RTSP sessions the camera had on `path` and not torn down: DESCRIBEs minus TEARDOWNs (camrtc
   * describes once per session and always tears it down when it lets the camera go).
   */
  openSessions(path: string): number {
    let open = 0;
    for (const r of this.requestLog) {
      if (r.path !== path) continue;
      if (r.method === 'DESCRIBE') open++;
      else if (r.method === 'TEARDOWN') open--;
    }
    return open;
  }

  /** SIGKILL: the camera vanishes without a TEARDOWN or RTCP BYE, as a camera losing power does. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}
