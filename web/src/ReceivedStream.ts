/**
 * The camera's picture and sound as the client hands them out: one MediaStream for the client's whole
 * life, whose tracks are swapped for those of each new peer connection, so a <video> bound to it
 * keeps playing once a reconnect is done; and the signal that the <video> showed a frame.
 */
export class ReceivedStream {
  readonly stream = new MediaStream();
  readonly #video: HTMLVideoElement | undefined;

  constructor(video: HTMLVideoElement | undefined) {
    this.#video = video;
  }

  /**
   * Puts the receiver's track in the stream in place of the one of its kind. Returns the track, or
   * undefined when it is in the stream already.
   */
  add(rtpReceiver: RTCRtpReceiver): MediaStreamTrack | undefined {
    const track = rtpReceiver.track;
    if (this.stream.getTracks().includes(track)) return undefined;
    // Live view: play as soon as possible rather than smoothing jitter (Chrome, Safari 17+).
    const receiver = rtpReceiver as RTCRtpReceiver & { jitterBufferTarget?: number | null };
    if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0;
    for (const old of this.stream.getTracks().filter((t) => t.kind === track.kind)) {
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    // Bound only once a track exists: a <video> holding an empty MediaStream delays the page's
    // load event for as long as the camera is offline (the tab spinner never stops).
    const video = this.#video;
    if (video && video.srcObject !== this.stream) video.srcObject = this.stream;
    return track;
  }

  /** Calls `onFrame` when the <video> shows its next frame (at once when there is no <video>). */
  whenFrameShown(onFrame: () => void): void {
    const video = this.#video;
    if (!video) return onFrame();
    // Firefox before 132 has no requestVideoFrameCallback; 'playing' is the closest signal there.
    if (typeof video.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(() => onFrame());
    else (video as HTMLVideoElement).addEventListener('playing', onFrame, { once: true });
  }

  /** Ends every track (the client is closed). */
  stop(): void {
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
  }
}
