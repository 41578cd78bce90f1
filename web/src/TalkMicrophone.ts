/**
 * The microphone for push-to-talk: asked for on the first talk(), put on the peer connection's audio
 * sender with replaceTrack (the audio section was answered ready to send: earlySignaling.ts
 * allowTalk), taken off when the talk ends, and kept a few seconds after it, so pressing again soon
 * is instant; then stopped, so the browser's "microphone in use" indicator goes off.
 */

/** The microphone stays open this long after a talk ends. */
export const MIC_RELEASE_MS = 5_000;

const DEFAULT_CONSTRAINTS: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** The sender of the connection's audio section that may send (the talk one), if any. */
export function talkSender(pc: RTCPeerConnection): RTCRtpSender | undefined {
  return pc
    .getTransceivers()
    .find((t) => t.receiver.track.kind === 'audio' && (t.direction === 'sendrecv' || t.direction === 'sendonly') && t.currentDirection !== 'stopped')?.sender;
}

export class TalkMicrophone {
  #constraints: MediaTrackConstraints;
  #track: MediaStreamTrack | undefined;
  #pending: Promise<MediaStreamTrack> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(constraints: MediaTrackConstraints = DEFAULT_CONSTRAINTS) {
    this.#constraints = constraints;
  }

  /** New constraints apply from the next acquire() on: an open microphone is closed. */
  set constraints(constraints: MediaTrackConstraints | undefined) {
    this.#constraints = constraints ?? DEFAULT_CONSTRAINTS;
    if (!this.#timer) return;
    this.close();
  }

  /** The microphone's track (asked for once; the browser may prompt). */
  acquire(): Promise<MediaStreamTrack> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#track && this.#track.readyState === 'live') return Promise.resolve(this.#track);
    if (!navigator.mediaDevices?.getUserMedia) return Promise.reject(new Error('this page cannot use a microphone (it needs HTTPS or localhost)'));
    this.#pending ??= navigator.mediaDevices.getUserMedia({ audio: this.#constraints, video: false }).then(
      (stream) => {
        this.#pending = undefined;
        this.#track = stream.getAudioTracks()[0];
        if (!this.#track) throw new Error('no microphone');
        return this.#track;
      },
      (err: unknown) => {
        this.#pending = undefined;
        throw err;
      },
    );
    return this.#pending;
  }

  async attach(pc: RTCPeerConnection, track: MediaStreamTrack): Promise<void> {
    const sender = talkSender(pc);
    if (!sender) throw new Error('this connection cannot send audio');
    await sender.replaceTrack(track);
  }

  async detach(pc: RTCPeerConnection): Promise<void> {
    const sender = talkSender(pc);
    if (sender?.track) await sender.replaceTrack(null).catch(() => undefined);
  }

  /** Stops the microphone after MIC_RELEASE_MS unless it is acquired again by then. */
  releaseLater(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.close(), MIC_RELEASE_MS);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#track?.stop();
    this.#track = undefined;
  }
}
