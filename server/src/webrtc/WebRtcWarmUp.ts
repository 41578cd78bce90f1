/**
 * One WebRTC handshake over loopback, between two werift peer connections inside the server, right
 * after it starts. werift's DTLS is JavaScript (X25519, the record layer, the PRF): its first run
 * compiles and optimizes all of it, which took the first viewer's handshake from ~50 ms to several
 * hundred (X25519 itself is native: werift/nativeX25519.ts). Paying that once, in the background, while
 * nobody watches, keeps it out of every user's first frame.
 */
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, type PeerConfig } from 'werift';
import type { Logger } from '../log/logger.js';
import { peerConfig } from './peerConfig.js';

import { actAsDtlsClient, parseCertificateOnce, useNativeX25519, withoutDefaultStun } from './werift/index.js';
import { settleWithin } from '../util/settleWithin.js';

const WARM_UP_TIMEOUT_MS = 10_000;
/**
 * werift's DTLS flights check 0.5 s after sending whether the peer answered; a flight closed before
 * that keeps retrying into the closed socket for 33 s, holding both peer connections in memory and
 * the process alive. So the peers live this long past the handshake (close() still ends them at once).
 */
const DTLS_FLIGHT_SETTLE_MS = 600;
/**
 * How long close() lets a handshake under way finish (it takes ~50-300 ms on loopback, plus the
 * settle above): cut mid-flight, werift's retries would hold the process 33 s after close() (an app
 * that starts and stops camrtc at once, a test).
 */
const CLOSE_GRACE_MS = 2_000;

const H264 = new RTCRtpCodecParameters({
  mimeType: 'video/H264',
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  parameters: 'packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1',
});

/** A viewer's own configuration (peerConfig), on loopback only. */
const LOOPBACK: Partial<PeerConfig> = {
  ...peerConfig([], [], { hostAddresses: ['127.0.0.1'] }),
  codecs: { video: [H264], audio: [] },
};

export class WebRtcWarmUp {
  /** Milliseconds the handshake took, or undefined when it did not complete (logged, harmless). */
  readonly done: Promise<number | undefined>;
  readonly #peers: RTCPeerConnection[] = [];
  readonly #logger: Logger;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #stop: ((connected: boolean) => void) | undefined;

  private constructor(logger: Logger) {
    this.#logger = logger;
    // Bounded as a whole: a werift call that never settles must not keep close() (and the process) waiting.
    this.done = settleWithin(this.#run(), WARM_UP_TIMEOUT_MS + DTLS_FLIGHT_SETTLE_MS, { unref: true }).finally(() => this.#release());
  }

  static start(logger: Logger): WebRtcWarmUp {
    return new WebRtcWarmUp(logger);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #run(): Promise<number | undefined> {
    const started = performance.now();
    try {
      useNativeX25519(this.#logger);
      parseCertificateOnce(this.#logger);
      const sender = new RTCPeerConnection(LOOPBACK);
      const receiver = new RTCPeerConnection(LOOPBACK);
      this.#peers.push(sender, receiver);
      sender.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
      actAsDtlsClient(sender, this.#logger);
      withoutDefaultStun(sender, this.#logger);
      const connected = new Promise<boolean>((resolve) => {
        this.#stop = resolve;
        this.#timer = setTimeout(() => resolve(false), WARM_UP_TIMEOUT_MS);
        sender.connectionStateChange.subscribe((state) => {
          if (state === 'connected') resolve(true);
          if (state === 'failed' || state === 'closed') resolve(false);
        });
      });
      await sender.setLocalDescription(await sender.createOffer());
      if (this.#closed) return undefined;
      await receiver.setRemoteDescription(sender.localDescription!);
      withoutDefaultStun(receiver, this.#logger);
      await receiver.setLocalDescription(await receiver.createAnswer());
      if (this.#closed) return undefined;
      await sender.setRemoteDescription(receiver.localDescription!);
      if (!(await connected)) {
        if (!this.#closed) this.#logger.debug('WebRTC warm-up handshake did not complete');
        return undefined;
      }
      const ms = performance.now() - started;
      this.#logger.debug({ ms: Math.round(ms) }, 'WebRTC warm-up handshake done');
      clearTimeout(this.#timer);
      await new Promise<void>((resolve) => {
        this.#stop = () => resolve();
        this.#timer = setTimeout(resolve, DTLS_FLIGHT_SETTLE_MS);
      });
      return ms;
    } catch (err) {
      this.#logger.debug({ err }, 'WebRTC warm-up failed');
      return undefined;
    }
  }

  async #release(): Promise<void> {
    clearTimeout(this.#timer);
    const peers = this.#peers.splice(0);
    await Promise.all(peers.map((pc) => pc.close().catch(() => undefined)));
  }

  /**
   * Stops the warm-up: a handshake not begun yet never starts, one under way gets up to
   * CLOSE_GRACE_MS to finish. Resolves when its sockets are closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await settleWithin(this.done, CLOSE_GRACE_MS, { unref: true });
    clearTimeout(this.#timer);
    this.#stop?.(false);
    await this.#release();
    await this.done;
  }
}
