/**
 * Two-way audio with one camera: who may speak (the floor: one talker at a time), and the link to the
 * camera's speaker (a BackchannelSession, the encoder from the talker's codec to the camera's, and the
 * one RTP stream). The floor is granted at once; the backchannel opens on the first grant and stays
 * open for a short while after the talker stops, so the next words (or the next talker) need no new
 * RTSP session. Audio that comes before it is open is dropped, never queued: queued audio would be
 * played late for the rest of the talk.
 *
 * The floor is taken back when the talker stops, leaves, sends nothing for `noAudioMs` (a browser that
 * went away without a word), sends only silence for `silenceMs`, or holds it past `maxMs`. Members
 * (TalkSeat, one per viewer session) hear of every change of holder.
 */
import { CamrtcError, toCamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera } from '../media/Camera.js';
import type { BackchannelSession } from '../rtsp/BackchannelSession.js';
import { BackchannelRtp } from './BackchannelRtp.js';
import { createTalkEncoder, type TalkEncoder } from './TalkEncoder.js';
import { chooseTalkFormat, talkFormatOf, type BrowserTalkCodec, type CameraTalkFormat } from './talkPlan.js';

function sameFormat(a: CameraTalkFormat, b: CameraTalkFormat): boolean {
  return a.codec === b.codec && a.payloadType === b.payloadType && a.clockRate === b.clockRate && a.channels === b.channels;
}

export interface TalkTimings {
  /** The talker sent no audio for this long: the floor is taken back. */
  noAudioMs: number;
  /** Only silence (below silenceLevel) for this long: the floor is taken back. */
  silenceMs: number;
  /** Longest hold of the floor. */
  maxMs: number;
  /** The backchannel stays open this long after the floor is free. */
  lingerMs: number;
  /** Loudness (0-1 RMS) below which audio counts as silence. */
  silenceLevel: number;
}

export const DEFAULT_TALK_TIMINGS: Readonly<TalkTimings> = Object.freeze({
  noAudioMs: 5_000,
  silenceMs: 30_000,
  maxMs: 5 * 60_000,
  lingerMs: 10_000,
  silenceLevel: 0.003,
});
const WATCH_INTERVAL_MS = 250;
/** Talk packets taken per second at most (a browser sends 50): a flood from a talker goes no further. */
export const MAX_TALK_PACKETS_PER_SECOND = 200;

/** Someone who may ask for the floor: a viewer session's TalkSeat. */
export interface TalkMember {
  /** How other members are told who holds the floor (a user name, never a secret). */
  readonly label: string;
  /** The holder changed (undefined: the floor is free); `error` says why this member lost it. */
  floorChanged(holder: TalkMember | undefined, error?: CamrtcError): void;
}

interface Link {
  readonly session: BackchannelSession;
  format?: CameraTalkFormat;
  rtp?: BackchannelRtp;
}

const rooms = new WeakMap<Camera, CameraTalk>();

export class CameraTalk {
  readonly camera: Camera;
  readonly #log: Logger;
  readonly #timings: TalkTimings;
  readonly #now: () => number;
  readonly #members = new Set<TalkMember>();
  #holder: TalkMember | undefined;
  #holderCodec: BrowserTalkCodec = 'OPUS';
  #grantedAt = 0;
  #lastAudioAt = 0;
  #lastLoudAt = 0;
  #link: Link | undefined;
  /**
   * Kept from talk to talk while the backchannel is open (its codec pair permitting): an ffmpeg that
   * is running saves the next talk its start, and pressing in a loop cannot spawn one per press.
   */
  #encoder: TalkEncoder | undefined;
  #encoderCodec: BrowserTalkCodec | undefined;
  #encoderFormat: CameraTalkFormat | undefined;
  #watch: NodeJS.Timeout | undefined;
  #linger: NodeJS.Timeout | undefined;
  #closed = false;
  #windowStart = 0;
  #windowPackets = 0;

  constructor(camera: Camera, logger: Logger, timings: Partial<TalkTimings> = {}, now: () => number = () => performance.now()) {
    this.camera = camera;
    this.#log = logger.child({ module: 'talk' });
    this.#timings = { ...DEFAULT_TALK_TIMINGS, ...timings };
    this.#now = now;
  }

  /** The camera's room (made on first use, closed with the camera); undefined when it cannot have one. */
  static of(camera: Camera, logger: Logger, timings?: Partial<TalkTimings>): CameraTalk | undefined {
    if (!camera.openBackchannel) return undefined;
    let room = rooms.get(camera);
    if (!room || room.closed) {
      const made = new CameraTalk(camera, logger, timings);
      room = made;
      rooms.set(camera, made);
      camera.on('closed', () => made.close());
    }
    return room;
  }

  get closed(): boolean {
    return this.#closed;
  }
  get holder(): TalkMember | undefined {
    return this.#holder;
  }
  /** Whether the backchannel is open and sending (for tests and stats). */
  get open(): boolean {
    return this.#link?.rtp !== undefined;
  }

  join(member: TalkMember): void {
    if (!this.#closed) this.#members.add(member);
  }

  /** The member leaves (its viewer session ended): the floor is freed if it held it. */
  leave(member: TalkMember): void {
    this.#members.delete(member);
    if (this.#holder === member) this.release(member);
  }

  /**
   * Asks for the floor with audio in `codec`: undefined when granted (or already held), else the
   * member who holds it.
   */
  request(member: TalkMember, codec: BrowserTalkCodec): TalkMember | undefined {
    if (this.#closed) return undefined;
    if (this.#holder && this.#holder !== member) return this.#holder;
    if (this.#holder === member) return undefined;
    this.#holder = member;
    this.#holderCodec = codec;
    const now = this.#now();
    this.#grantedAt = this.#lastAudioAt = this.#lastLoudAt = now;
    clearTimeout(this.#linger);
    this.#linger = undefined;
    this.#watch = setInterval(() => this.#check(), WATCH_INTERVAL_MS);
    this.#watch.unref();
    this.#log.info({ talker: member.label }, 'talking to the camera');
    this.#openLink();
    this.#makeEncoder();
    this.#tell();
    return undefined;
  }

  /** Frees the floor if `member` holds it; `error` tells it why (a timeout, a failed backchannel). */
  release(member: TalkMember, error?: CamrtcError): void {
    if (this.#holder !== member) return;
    this.#holder = undefined;
    clearInterval(this.#watch);
    this.#watch = undefined;
    this.#log.info({ talker: member.label, ...(error ? { code: error.code } : {}) }, error ? `talk ended: ${redactText(error.message)}` : 'talk ended');
    if (this.#link && !this.#closed) {
      this.#linger = setTimeout(() => this.#closeLink(), this.#timings.lingerMs);
      this.#linger.unref();
    }
    this.#tell(member, error);
  }

  /** One RTP payload of `member`'s talk audio; dropped unless it holds the floor and the link is open. */
  audio(member: TalkMember, payload: Buffer): void {
    if (this.#holder !== member) return;
    const now = this.#now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowPackets = 0;
    }
    if (++this.#windowPackets > MAX_TALK_PACKETS_PER_SECOND) return;
    if (this.#lastAudioAt === this.#grantedAt) this.#log.debug({ talker: member.label, afterMs: Math.round(now - this.#grantedAt), sending: this.#encoder !== undefined }, 'first talk audio from the browser');
    this.#lastAudioAt = now;
    this.#encoder?.push(payload);
  }

  /** Frees the floor and closes the backchannel (TEARDOWN). Idempotent. */
  close(): void {
    if (this.#closed) return;
    const holder = this.#holder;
    if (holder) this.release(holder, new CamrtcError('ERR_CLOSED', `camera '${this.camera.name}' is closed`));
    this.#closed = true;
    clearTimeout(this.#linger);
    this.#closeLink();
    this.#members.clear();
    if (rooms.get(this.camera) === this) rooms.delete(this.camera);
  }

  #tell(lost?: TalkMember, error?: CamrtcError): void {
    for (const m of [...this.#members]) {
      try {
        m.floorChanged(this.#holder, m === lost ? error : undefined);
      } catch (err) {
        this.#log.error({ err }, 'a talk member failed');
      }
    }
  }

  #openLink(): void {
    if (this.#link) return;
    const session = this.camera.openBackchannel!(this.#log);
    const link: Link = { session };
    this.#link = link;
    session.on('close', (error) => {
      if (this.#link !== link) return;
      this.#link = undefined;
      this.#closeEncoder();
      const holder = this.#holder;
      if (holder) this.release(holder, error ?? new CamrtcError('ERR_RTSP_CONNECTION_LOST', `the camera closed its backchannel`));
    });
    session.start().then(
      (track) => {
        if (this.#link !== link) return;
        const format = chooseTalkFormat(track);
        if (typeof format === 'string') {
          this.#fail(link, new CamrtcError('ERR_TALK_UNAVAILABLE', format));
          return;
        }
        link.format = format;
        link.rtp = new BackchannelRtp(format.payloadType, format.clockRate, undefined, format.codec === 'AAC');
        // The encoder made for the format the camera's DESCRIBE showed is kept when this is the same.
        if (this.#encoderFormat && !sameFormat(this.#encoderFormat, format)) this.#closeEncoder();
        this.#makeEncoder();
      },
      (err: unknown) => {
        if (this.#link === link) this.#fail(link, toCamrtcError(err, 'ERR_RTSP_CONNECTION_LOST'));
      },
    );
  }

  #fail(link: Link, error: CamrtcError): void {
    this.#link = undefined;
    this.#closeEncoder();
    void link.session.close();
    const holder = this.#holder;
    if (holder) this.release(holder, error);
  }

  /**
   * The encoder for the holder's codec. Made at the grant already, for the format the camera's last
   * DESCRIBE showed, so an ffmpeg starts while the backchannel opens rather than after; its output
   * goes out once the backchannel is open.
   */
  #makeEncoder(): void {
    const link = this.#link;
    const format = link?.format ?? talkFormatOf(this.camera);
    if (!this.#holder || !link || !format) return;
    if (this.#encoder && this.#encoderCodec === this.#holderCodec) return;
    this.#closeEncoder();
    const encoder = createTalkEncoder(this.#holderCodec, format, {
      packet: (payload, samples, level) => {
        // What ffmpeg still held when the talker stopped is not sent, nor anything before the backchannel is open.
        const rtp = this.#link?.rtp;
        if (!this.#holder || !rtp) return;
        const now = this.#now();
        if (level === undefined || level >= this.#timings.silenceLevel) this.#lastLoudAt = now;
        this.#link!.session.send(rtp.packet(payload, samples, now));
      },
      error: (error) => {
        if (error.code !== 'ERR_TRANSCODER' || /resynchronised/.test(error.message)) {
          this.#log.debug({ code: error.code }, error.message);
          return;
        }
        // ffmpeg died: the next talk starts a new one.
        if (this.#encoder === encoder) this.#closeEncoder();
        if (this.#holder) this.release(this.#holder, error);
      },
    });
    if (encoder instanceof CamrtcError) {
      this.release(this.#holder, encoder);
      return;
    }
    this.#encoder = encoder;
    this.#encoderCodec = this.#holderCodec;
    this.#encoderFormat = format;
  }

  #closeEncoder(): void {
    this.#encoder?.close();
    this.#encoder = undefined;
    this.#encoderCodec = undefined;
    this.#encoderFormat = undefined;
  }

  #closeLink(): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    this.#closeEncoder();
    const link = this.#link;
    this.#link = undefined;
    if (link) void link.session.close();
  }

  #check(): void {
    const holder = this.#holder;
    if (!holder) return;
    const now = this.#now();
    const t = this.#timings;
    if (now - this.#grantedAt > t.maxMs) {
      this.release(holder, new CamrtcError('ERR_TIMEOUT', `talk time is up (${Math.round(t.maxMs / 1000)} s at most)`));
    } else if (now - this.#lastAudioAt > t.noAudioMs) {
      this.release(holder, new CamrtcError('ERR_TIMEOUT', `no audio from the talker for ${Math.round(t.noAudioMs / 1000)} s`));
    } else if (now - this.#lastLoudAt > t.silenceMs) {
      this.release(holder, new CamrtcError('ERR_TIMEOUT', `talk ended after ${Math.round(t.silenceMs / 1000)} s of silence`));
    }
  }
}
