/**
 * The browser's talk audio as the camera's backchannel wants it: RTP payloads in the browser's codec
 * in, payloads in the camera's codec out (with their sample count at the camera's clock, and their
 * loudness when it can be read cheaply). Same G.711: as is. A-law and µ-law: a table. Anything else
 * (Opus from the browser, AAC or L16 for the camera): ffmpeg, as for AAC cameras (audio/AacTranscoder.ts):
 * Opus goes in as Ogg pages, the camera's codec comes out raw (G.711, L16) or as ADTS (AAC), cut here
 * into 20 ms packets or one AAC frame per packet. The packet path never waits: a payload is dropped
 * when ffmpeg's stdin is backed up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { aacHbrPayload, AdtsSplitter } from '../audio/aacRtp.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import { OggOpusWriter } from '../audio/OggOpusWriter.js';
import { opusPacketSamples } from '../audio/OggOpusReader.js';
import { CamrtcError } from '../errors.js';
import { convertG711, g711Level } from '../rtp/g711.js';
import { conversionOf, type BrowserTalkCodec, type CameraTalkFormat } from './talkPlan.js';

/** Bytes queued in ffmpeg's stdin beyond which talk audio is dropped (a few seconds of it). */
export const MAX_TALK_BACKLOG = 32 * 1024;
/** Raw output (G.711, L16) is sent in packets of this many milliseconds, as browsers and cameras do. */
export const TALK_PACKET_MS = 20;
/** AAC bit rate for a camera's speaker: speech. */
export const TALK_AAC_BITRATE = '32k';

export interface TalkEncoderOutput {
  /** One payload in the camera's codec: `samples` at its clock rate; `level` 0-1 when known. */
  packet(payload: Buffer, samples: number, level: number | undefined): void;
  error(error: CamrtcError): void;
}

export interface TalkEncoder {
  /** One RTP payload from the browser. */
  push(payload: Buffer): void;
  close(): void;
}

/** The encoder from `browser` to `camera`; ERR_TRANSCODER when it needs ffmpeg and there is none. */
export function createTalkEncoder(browser: BrowserTalkCodec, camera: CameraTalkFormat, out: TalkEncoderOutput, ffmpeg = findFfmpeg()): TalkEncoder | CamrtcError {
  const conversion = conversionOf(browser, camera);
  if (conversion === 'none' || conversion === 'g711') {
    const to = camera.codec as 'PCMU' | 'PCMA';
    const from = browser as 'PCMU' | 'PCMA';
    return {
      push: (payload) => {
        const converted = convertG711(from, to, payload);
        out.packet(converted, converted.length, g711Level(to, converted));
      },
      close: () => undefined,
    };
  }
  if (!ffmpeg) {
    return new CamrtcError('ERR_TRANSCODER', `talking to this camera needs ffmpeg (${browser} from the browser, ${camera.codec} for the camera): install it (apt-get install ffmpeg)`);
  }
  return new FfmpegTalkEncoder(ffmpeg, browser, camera, out);
}

export function talkFfmpegArgs(browser: BrowserTalkCodec, camera: CameraTalkFormat): string[] {
  const input = browser === 'OPUS' ? ['-f', 'ogg'] : ['-f', browser === 'PCMU' ? 'mulaw' : 'alaw', '-ar', '8000', '-ac', '1'];
  const output =
    camera.codec === 'AAC'
      ? ['-c:a', 'aac', '-b:a', TALK_AAC_BITRATE, '-f', 'adts']
      : ['-f', camera.codec === 'PCMU' ? 'mulaw' : camera.codec === 'PCMA' ? 'alaw' : 's16be'];
  return [
    '-hide_banner', '-loglevel', 'error',
    // Start at once: no probing, no input buffering.
    '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0',
    ...input, '-i', 'pipe:0',
    '-vn', '-ar', String(camera.codec === 'AAC' ? camera.aac!.sampleRate : camera.clockRate), '-ac', String(camera.channels),
    ...output, '-flush_packets', '1', 'pipe:1',
  ];
}

class FfmpegTalkEncoder implements TalkEncoder {
  readonly #child: ChildProcess;
  readonly #out: TalkEncoderOutput;
  readonly #camera: CameraTalkFormat;
  readonly #browser: BrowserTalkCodec;
  readonly #ogg = new OggOpusWriter();
  readonly #adts = new AdtsSplitter();
  /** Raw output not yet a whole packet. */
  #raw: Buffer = Buffer.alloc(0);
  readonly #packetBytes: number;
  #closed = false;
  #stderr = '';

  constructor(path: string, browser: BrowserTalkCodec, camera: CameraTalkFormat, out: TalkEncoderOutput) {
    this.#out = out;
    this.#camera = camera;
    this.#browser = browser;
    const bytesPerSample = camera.codec === 'L16' ? 2 * camera.channels : 1;
    this.#packetBytes = Math.round((camera.clockRate * TALK_PACKET_MS) / 1000) * bytesPerSample;
    this.#child = spawn(path, talkFfmpegArgs(browser, camera), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (chunk: Buffer) => this.#output(chunk));
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-500)));
    this.#child.stdin!.on('error', () => undefined); // EPIPE after ffmpeg died: reported by 'exit'
    this.#child.on('error', (err) => this.#out.error(new CamrtcError('ERR_TRANSCODER', `ffmpeg could not start: ${err.message}`)));
    this.#child.on('exit', (code, signal) => {
      if (this.#closed) return;
      this.#closed = true;
      this.#out.error(new CamrtcError('ERR_TRANSCODER', `ffmpeg (talk audio to ${camera.codec}) exited (${signal ?? code}): ${this.#stderr.trim() || 'no message'}`));
    });
  }

  push(payload: Buffer): void {
    if (this.#closed) return;
    const stdin = this.#child.stdin!;
    if (stdin.writableLength > MAX_TALK_BACKLOG) return;
    if (this.#browser !== 'OPUS') {
      stdin.write(payload);
      return;
    }
    const samples = opusPacketSamples(payload);
    if (samples > 0) stdin.write(this.#ogg.packet(payload, samples));
  }

  /** Idempotent; ends ffmpeg at once (talk audio is worth nothing once the talker stopped). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.stdin!.destroy();
    this.#child.kill('SIGKILL');
  }

  #output(chunk: Buffer): void {
    if (this.#closed) return;
    const camera = this.#camera;
    if (camera.codec === 'AAC') {
      const { frames, error } = this.#adts.push(chunk);
      if (error) this.#out.error(error);
      // One AAC frame is 1024 samples per channel at the camera's clock.
      for (const frame of frames) this.#out.packet(aacHbrPayload(frame), 1024, undefined);
      return;
    }
    this.#raw = this.#raw.length ? Buffer.concat([this.#raw, chunk]) : chunk;
    const bytesPerSample = camera.codec === 'L16' ? 2 * camera.channels : 1;
    while (this.#raw.length >= this.#packetBytes) {
      const payload = this.#raw.subarray(0, this.#packetBytes);
      this.#raw = this.#raw.subarray(this.#packetBytes);
      const level = camera.codec === 'L16' ? l16Level(payload) : g711Level(camera.codec as 'PCMU' | 'PCMA', payload);
      this.#out.packet(Buffer.from(payload), payload.length / bytesPerSample, level);
    }
  }
}

/** Root mean square of big-endian 16-bit samples, 0-1. */
function l16Level(payload: Buffer): number {
  let sum = 0;
  const n = payload.length >> 1;
  for (let i = 0; i < n; i++) {
    const v = payload.readInt16BE(i * 2);
    sum += v * v;
  }
  return n ? Math.sqrt(sum / n) / 32768 : 0;
}
