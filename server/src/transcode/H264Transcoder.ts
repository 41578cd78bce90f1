/**
 * H.265 to H.264 through one ffmpeg process, for browsers that cannot decode H.265 over WebRTC.
 * H.265 access units go to ffmpeg's stdin as Annex-B, each followed by an access unit delimiter so
 * ffmpeg's parser knows at once that the picture is complete (otherwise it waits for the next one);
 * H.264 comes back as FLV (FlvReader: each tag has its size, so no frame waits for the next either).
 *
 * Zero-latency settings: the decoder on one thread (frame threads hold frames back), x264 ultrafast
 * with tune=zerolatency (no lookahead, no B-frames, sliced threads), Constrained Baseline (every
 * browser decodes it), a keyframe wherever the camera sent one (`-force_key_frames source`), so
 * the transcoded stream's GOP is the camera's and a keyframe request to the camera gives one here.
 *
 * ffmpeg's timestamps are not the camera's (a raw stream has none), so each output picture is
 * matched to its input in order; ffmpeg keeps the order (no B-frames out, passthrough timing). A
 * picture ffmpeg dropped (a corrupt one) would shift that match by one: each output keyframe
 * realigns it on the input keyframe it was forced by.
 *
 * The packet path never waits: when ffmpeg falls behind, input is dropped up to the next keyframe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CamrtcError } from '../errors.js';
import { FlvReader, type FlvAccessUnit } from './FlvReader.js';

/** H.265 access unit delimiter (type 35, pic_type 2: any slice type) with its start code. */
const HEVC_AUD = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);
/** Bytes queued in ffmpeg's stdin beyond which input is dropped up to the next keyframe (a few 1080p frames). */
export const MAX_TRANSCODE_BACKLOG = 4 * 1024 * 1024;
/** Pictures sent and not back yet beyond which input is dropped up to the next keyframe (2 s at 30 fps). */
export const MAX_TRANSCODE_PENDING = 60;
/** A keyframe at least this often (frames) when the camera sends none: a lost one is not waited for forever. */
export const FALLBACK_GOP = 600;

export interface TranscoderInput {
  /** The picture's Annex-B bytes (parameter sets in front of keyframes). */
  readonly annexB: Buffer;
  readonly keyframe: boolean;
  /** Carried over to the output picture. */
  readonly timestamp: number;
  readonly generation: number;
}

export interface TranscodedPicture {
  readonly nalus: readonly Buffer[];
  readonly keyframe: boolean;
  /** The input picture's RTP timestamp (90 kHz) and generation. */
  readonly timestamp: number;
  readonly generation: number;
  /** performance.now() when the input picture was pushed: the transcode's latency is now minus this. */
  readonly pushedAt: number;
}

export interface TranscoderOutput {
  picture(picture: TranscodedPicture): void;
  /** ffmpeg failed or exited; the transcoder is closed. */
  error(error: CamrtcError): void;
}

export function transcoderArgs(): string[] {
  return [
    '-hide_banner', '-loglevel', 'error',
    // No probing: the first picture starts decoding at once. One decoder thread: frame threads
    // would hold a picture back per thread.
    '-probesize', '32', '-analyzeduration', '0', '-threads', '1',
    '-f', 'hevc', '-i', 'pipe:0',
    '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    '-crf', '23', '-maxrate', '8M', '-bufsize', '4M', '-bf', '0',
    '-force_key_frames', 'source', '-g', String(FALLBACK_GOP), '-fps_mode', 'passthrough',
    '-f', 'flv', '-flvflags', 'no_duration_filesize', '-flush_packets', '1', 'pipe:1',
  ];
}

interface Pending {
  readonly keyframe: boolean;
  readonly timestamp: number;
  readonly generation: number;
  readonly pushedAt: number;
}

export class H264Transcoder {
  readonly #child: ChildProcess;
  readonly #reader = new FlvReader();
  readonly #out: TranscoderOutput;
  readonly #pending: Pending[] = [];
  #waitForKeyframe = true;
  #closed = false;
  #stderr = '';

  constructor(ffmpegPath: string, out: TranscoderOutput) {
    this.#out = out;
    this.#child = spawn(ffmpegPath, transcoderArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      const { units, error } = this.#reader.push(chunk);
      for (const u of units) this.#emit(u);
      if (error) this.#fail(error);
    });
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-500)));
    this.#child.stdin!.on('error', () => undefined); // EPIPE after ffmpeg died: reported by 'exit'
    this.#child.on('error', (err) => this.#fail(new CamrtcError('ERR_TRANSCODER', `ffmpeg could not start: ${err.message}`)));
    this.#child.on('exit', (code, signal) => {
      this.#fail(new CamrtcError('ERR_TRANSCODER', `ffmpeg (H.265 to H.264) exited (${signal ?? code}): ${this.#stderr.trim() || 'no message'}`));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }
  /** The ffmpeg process id (the bench reads its CPU time). */
  get pid(): number | undefined {
    return this.#child.pid;
  }
  /** Pictures sent to ffmpeg and not back yet. */
  get pending(): number {
    return this.#pending.length;
  }

  /** One H.265 picture, in decoding order. Dropped (up to the next keyframe) when ffmpeg is behind. */
  push(input: TranscoderInput): void {
    if (this.#closed) return;
    const stdin = this.#child.stdin!;
    if (stdin.writableLength > MAX_TRANSCODE_BACKLOG || this.#pending.length >= MAX_TRANSCODE_PENDING) this.#waitForKeyframe = true;
    if (this.#waitForKeyframe && !input.keyframe) return;
    this.#waitForKeyframe = false;
    this.#pending.push({ keyframe: input.keyframe, timestamp: input.timestamp, generation: input.generation, pushedAt: performance.now() });
    stdin.write(input.annexB);
    stdin.write(HEVC_AUD);
  }

  /** The next picture starts at a keyframe (a new camera session: its P-frames need its own keyframe). */
  waitForKeyframe(): void {
    this.#waitForKeyframe = true;
  }

  /** Idempotent; ends ffmpeg at once (pictures in flight are not worth waiting for). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.stdin!.destroy();
    this.#child.kill('SIGKILL');
  }

  #emit(unit: FlvAccessUnit): void {
    if (this.#closed) return;
    // An output keyframe was forced by an input keyframe: realign on it if ffmpeg dropped a picture.
    if (unit.keyframe) {
      const at = this.#pending.findIndex((p) => p.keyframe);
      if (at > 0) this.#pending.splice(0, at);
    }
    const input = this.#pending.shift();
    if (!input) return;
    this.#out.picture({ nalus: unit.nalus, keyframe: unit.keyframe, timestamp: input.timestamp, generation: input.generation, pushedAt: input.pushedAt });
  }

  #fail(error: CamrtcError): void {
    if (this.#closed) return;
    this.close();
    this.#out.error(error);
  }
}
