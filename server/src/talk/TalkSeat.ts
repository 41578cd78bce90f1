/**
 * One viewer session's place in its camera's talk room: asks for the floor and gives it back for the
 * session, routes the audio its browser sends (the Viewer's talk sink) to the room, and turns the
 * room's changes of holder into this viewer's TalkStatus (idle, talking, busy with the holder's
 * label). Transport-neutral: the WebSocket adapter sends each status as a `talk` message.
 */
import { CamrtcError } from '../errors.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { TalkStatus } from '../../../shared/protocol.js';
import type { CameraTalk, TalkMember } from './CameraTalk.js';
import type { BrowserTalkCodec } from './talkPlan.js';

/** The viewer side a seat needs: its browser's talk codec and where its talk audio goes. */
export interface TalkSource {
  readonly talkCodec: BrowserTalkCodec | undefined;
  setTalkSink(sink: ((payload: Buffer) => void) | undefined): void;
}

export type TalkSeatEvents = {
  status: [TalkStatus];
};

export class TalkSeat extends TypedEmitter<TalkSeatEvents> implements TalkMember {
  readonly label: string;
  readonly #room: CameraTalk;
  readonly #source: TalkSource;
  #status: TalkStatus = { state: 'idle' };
  #closed = false;

  constructor(room: CameraTalk, source: TalkSource, label: string) {
    super();
    this.label = label;
    this.#room = room;
    this.#source = source;
    room.join(this);
    source.setTalkSink((payload) => room.audio(this, payload));
    this.#status = this.#statusFor(room.holder);
  }

  get status(): TalkStatus {
    return this.#status;
  }

  /** Asks for the floor; the new status follows as an event (talking, or busy with the holder named). */
  start(): void {
    if (this.#closed) return;
    const codec = this.#source.talkCodec;
    if (!codec) {
      this.#set({ state: 'idle', error: { code: 'ERR_TALK_UNAVAILABLE', message: 'this session cannot talk to the camera' } });
      return;
    }
    const holder = this.#room.request(this, codec);
    if (holder) {
      // Said again on every refused press: the browser took its microphone off on this answer.
      this.#set({ state: 'busy', holder: holder.label, error: { code: 'ERR_TALK_BUSY', message: `${holder.label} is talking to the camera: one talker at a time` } }, true);
    }
  }

  stop(): void {
    this.#room.release(this);
  }

  floorChanged(holder: TalkMember | undefined, error?: CamrtcError): void {
    const status = this.#statusFor(holder);
    this.#set(error ? { ...status, error: { code: error.code, message: error.message } } : status);
  }

  /** Leaves the room (the session ended): frees the floor if held. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.setTalkSink(undefined);
    this.#room.leave(this);
    this.removeAllListeners();
  }

  #statusFor(holder: TalkMember | undefined): TalkStatus {
    if (!holder) return { state: 'idle' };
    return holder === this ? { state: 'talking' } : { state: 'busy', holder: holder.label };
  }

  #set(status: TalkStatus, always = false): void {
    if (this.#closed) return;
    const same = JSON.stringify(status) === JSON.stringify(this.#status);
    this.#status = status;
    if (!same || always) this.safeEmit('status', status);
  }
}
