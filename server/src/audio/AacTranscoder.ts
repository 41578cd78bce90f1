/**
 * AAC to Opus for browsers (none decodes AAC over WebRTC), with ffmpeg as an external process: ADTS
 * frames go to its stdin, Ogg/Opus comes back on stdout, 20 ms packets. Why ffmpeg and not an npm
 * library: no maintained pure-JS AAC decoder exists, the native Opus/AAC bindings need a compiler
 * at install time (against the "npm install && npm start" promise), and ffmpeg is one apt package
 * that decodes every AAC flavour cameras send (LC, HE-AAC, LATM). It is optional: without it AAC
 * cameras play video only and the log says why.
 *
 * The packet path never waits: a frame is dropped when ffmpeg's stdin is backed up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CamrtcError } from '../errors.js';
import { adtsHeader, type AacConfig } from './aacConfig.js';
import { OggOpusReader, opusPacketSamples } from './OggOpusReader.js';

/** ADTS bytes queued in ffmpeg's stdin beyond which frames are dropped (about 2 s of audio). */
export const MAX_TRANSCODER_BACKLOG = 64 * 1024;
export const OPUS_BITRATE = '48k';

export interface TranscoderOutput {
  /** One Opus packet and its duration in 48 kHz samples. */
  packet(payload: Buffer, samples: number): void;
  error(error: CamrtcError): void;
}

export function ffmpegArgs(): string[] {
  return [
    '-hide_banner', '-loglevel', 'error',
    // Start at once: no probing of the input, no input buffering.
    '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0',
    '-f', 'aac', '-i', 'pipe:0',
    '-vn', '-c:a', 'libopus', '-b:a', OPUS_BITRATE, '-application', 'lowdelay', '-frame_duration', '20', '-ar', '48000',
    // One Ogg page per packet, written at once.
    '-f', 'ogg', '-page_duration', '1', '-flush_packets', '1', 'pipe:1',
  ];
}

export class AacTranscoder {
  private readonly child: ChildProcess;
  private readonly reader = new OggOpusReader();
  private _closed = false;
  private stderr = '';

  constructor(ffmpegPath: string, private readonly config: AacConfig, private readonly out: TranscoderOutput) {
    this.child = spawn(ffmpegPath, ffmpegArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const { packets, error } = this.reader.push(chunk);
      if (error) this.out.error(error);
      for (const p of packets) {
        const samples = opusPacketSamples(p);
        if (samples > 0) this.out.packet(p, samples);
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-500)));
    this.child.stdin!.on('error', () => undefined); // EPIPE after ffmpeg died: reported by 'exit'
    this.child.on('error', (err) => this.out.error(new CamrtcError('ERR_TRANSCODER', `ffmpeg could not start: ${err.message}`)));
    this.child.on('exit', (code, signal) => {
      if (this._closed) return;
      this._closed = true;
      this.out.error(new CamrtcError('ERR_TRANSCODER', `ffmpeg (AAC to Opus) exited (${signal ?? code}): ${this.stderr.trim() || 'no message'}`));
    });
  }

  get closed(): boolean {
    return this._closed;
  }

  /** One raw AAC frame from the camera. */
  push(frame: Buffer): void {
    if (this._closed) return;
    const stdin = this.child.stdin!;
    if (stdin.writableLength > MAX_TRANSCODER_BACKLOG) return;
    const header = adtsHeader(this.config, frame.length);
    if (header instanceof CamrtcError) return this.out.error(header);
    stdin.write(Buffer.concat([header, frame]));
  }

  /** Idempotent; ends ffmpeg at once (no audio is worth waiting for after the camera stopped). */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this.child.stdin!.destroy();
    this.child.kill('SIGKILL');
  }
}
