/**
 * One ffmpeg run that turns a short MPEG-TS of pictures (mpegTs.ts) into one JPEG of its last
 * picture, optionally scaled to a width. The process is spawned when the job is made and waits for
 * its input, so a job made ahead of a request (a spare, JpegEncoders) saves ffmpeg's start-up
 * (60-100 ms on a busy 2-core machine) from the answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CamrtcError } from '../errors.js';

/** The last picture's PTS, seconds: the others are below it; ffmpeg keeps the first frame at or past it. */
export const LAST_PICTURE_SECONDS = 3600;
/** No JPEG of a camera picture is bigger (a 4K frame at high quality is about 3 MiB). */
export const MAX_JPEG_BYTES = 16 * 1024 * 1024;
/** JPEG quality for ffmpeg's mjpeg encoder (2 best .. 31 worst): close to the camera's picture, ~100 KiB at 1080p. */
export const JPEG_QUALITY = 4;

export function jpegArgs(width: number | undefined): string[] {
  const filters = [`select=gte(t\\,${LAST_PICTURE_SECONDS - 1})`];
  // Never larger than the picture; the height keeps the aspect ratio, rounded to an even number.
  if (width !== undefined) filters.push(`scale=w='min(${width}\\,iw)':h=-2`);
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // The stream's own timestamps, not shifted to start at 0 (the selection reads them).
    '-copyts', '-f', 'mpegts', '-i', 'pipe:0',
    '-an', '-vf', filters.join(','), '-frames:v', '1', '-fps_mode', 'passthrough',
    '-c:v', 'mjpeg', '-q:v', String(JPEG_QUALITY), '-f', 'image2pipe', 'pipe:1',
  ];
}

export class JpegJob {
  readonly width: number | undefined;
  readonly ffmpeg: string;
  readonly #child: ChildProcess;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #stderr = '';
  #started = false;
  #exited = false;
  #spawnError: NodeJS.ErrnoException | undefined;
  readonly #exit: Promise<number | null>;

  constructor(ffmpeg: string, width: number | undefined) {
    this.ffmpeg = ffmpeg;
    this.width = width;
    this.#child = spawn(ffmpeg, jpegArgs(width), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      this.#size += chunk.length;
      if (this.#size > MAX_JPEG_BYTES) this.kill();
      else this.#chunks.push(chunk);
    });
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-400)));
    this.#child.stdin!.on('error', () => undefined); // EPIPE when ffmpeg died: reported by the exit
    this.#exit = new Promise((resolve) => {
      this.#child.once('error', (err) => {
        this.#spawnError = err;
        this.#exited = true;
        resolve(null);
      });
      this.#child.once('exit', (code) => {
        this.#exited = true;
        resolve(code);
      });
    });
  }

  /** Spawned, not fed yet, and still running: usable. */
  get ready(): boolean {
    return !this.#started && !this.#exited;
  }

  /** Feeds the stream and resolves with the JPEG; rejects with ERR_SNAPSHOT_FAILED (or ERR_FFMPEG_MISSING). */
  async run(ts: Buffer, timeoutMs: number): Promise<Buffer> {
    this.#started = true;
    this.#child.stdin!.end(ts);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.kill();
    }, timeoutMs);
    const code = await this.#exit.finally(() => clearTimeout(timer));
    if (this.#spawnError) {
      const missing = this.#spawnError.code === 'ENOENT' || this.#spawnError.code === 'EACCES';
      throw new CamrtcError(missing ? 'ERR_FFMPEG_MISSING' : 'ERR_SNAPSHOT_FAILED', `ffmpeg could not start: ${this.#spawnError.message}`);
    }
    if (timedOut) throw new CamrtcError('ERR_SNAPSHOT_FAILED', `ffmpeg took longer than ${timeoutMs} ms to make the JPEG`);
    const jpeg = Buffer.concat(this.#chunks, Math.min(this.#size, MAX_JPEG_BYTES));
    // A JPEG starts with SOI (FF D8).
    if (code !== 0 || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
      throw new CamrtcError('ERR_SNAPSHOT_FAILED', `ffmpeg made no JPEG (exit ${code}): ${this.#stderr.trim() || 'no message'}`);
    }
    return jpeg;
  }

  /** Ends the process (a spare nobody took, a job past its time). Idempotent. */
  kill(): void {
    if (this.#exited) return;
    this.#child.stdin!.destroy();
    this.#child.kill('SIGKILL');
  }
}
