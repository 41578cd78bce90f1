/**
 * Whether the TURN server gives camrtc's own peer connections a relay. werift gathers a server offer
 * in full before it is sent, TURN allocation included: a TURN server that refuses camrtc's credential
 * (its static-auth-secret differs from camrtc's) held every offer back 12.7 s on loopback, one that
 * does not answer 6.4 s. So one peer connection gathers against the TURN server at start: when it
 * gets no relay candidate, the log says so in words, and the server's peers gather without TURN until
 * a later probe (every `retryMs`) gets one. Browsers are unaffected: they still get their credentials.
 *
 * Uses werift's public API only (a data channel is enough to gather), with the defaultStun reach so
 * the probe asks no public STUN server either.
 */
import { RTCPeerConnection } from 'werift';
import type { Logger } from '../log/logger.js';
import { settleWithin } from '../util/settleWithin.js';
import { peerConfig, type ViewerNetworkOptions } from './peerConfig.js';
import type { TurnRest } from './TurnRest.js';
import { withoutDefaultStun } from './werift/index.js';

/** A probe that has not finished gathering by then counts as failed. */
export const TURN_PROBE_TIMEOUT_MS = 20_000;
/** While the TURN server gives no relay, it is asked again this often. */
export const TURN_PROBE_RETRY_MS = 60_000;

export interface TurnProbeOptions {
  turn: TurnRest;
  /** The credential's label (the server's own, PeerSettings.SERVER_TURN_LABEL). */
  label: string;
  network: ViewerNetworkOptions;
  logger: Logger;
  timeoutMs?: number;
  retryMs?: number;
}

export class TurnProbe {
  readonly #options: TurnProbeOptions;
  readonly #logger: Logger;
  /** Until a probe fails, TURN is assumed to work (the first viewers need not wait for the probe). */
  #usable = true;
  #timer: NodeJS.Timeout | undefined;
  #pc: RTCPeerConnection | undefined;
  #closed = false;
  /** The current probe's result: whether a relay candidate was gathered. */
  #running: Promise<boolean> | undefined;

  constructor(options: TurnProbeOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  /** Starts probing (now, then every retryMs while it fails). Returns the first probe's result. */
  static start(options: TurnProbeOptions): { probe: TurnProbe; first: Promise<boolean> } {
    const probe = new TurnProbe(options);
    return { probe, first: probe.check() };
  }

  /** Whether the server's peers should use the TURN server (false after a failed probe, until one succeeds). */
  get usable(): boolean {
    return this.#usable;
  }

  /** Probes once now (joins a probe in progress). Never rejects. */
  check(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(this.#usable);
    this.#running ??= this.#probe().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Stops probing and closes a probe's peer connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#pc?.close().catch(() => undefined);
  }

  async #probe(): Promise<boolean> {
    const { turn, label, network } = this.#options;
    const urls = turn.urls.join(', ');
    const started = performance.now();
    const relay = await settleWithin(this.#gatherRelay(turn, label, network).catch(() => false), this.#options.timeoutMs ?? TURN_PROBE_TIMEOUT_MS, { unref: true });
    const pc = this.#pc;
    this.#pc = undefined;
    await pc?.close().catch(() => undefined);
    if (this.#closed) return this.#usable;
    const ms = Math.round(performance.now() - started);
    const was = this.#usable;
    this.#usable = relay === true;
    if (this.#usable) {
      if (!was) this.#logger.info({ turn: urls, ms }, 'the TURN server gives camrtc a relay again: the server\'s peer connections use it');
      else this.#logger.debug({ turn: urls, ms }, 'the TURN server gives camrtc a relay');
      return true;
    }
    if (was) {
      this.#logger.error(
        { turn: urls, ms },
        `webrtc.turn: the TURN server (${urls}) gave camrtc no relay: it refused the credential (camrtc's secret differs from its static-auth-secret) or did not answer. ` +
          `The server's own peer connections gather without TURN until it does (asked again every ${Math.round((this.#options.retryMs ?? TURN_PROBE_RETRY_MS) / 1000)} s); browsers still get their credentials`,
      );
    }
    this.#timer = setTimeout(() => void this.check(), this.#options.retryMs ?? TURN_PROBE_RETRY_MS);
    this.#timer.unref();
    return false;
  }

  async #gatherRelay(turn: TurnRest, label: string, network: ViewerNetworkOptions): Promise<boolean> {
    const pc = new RTCPeerConnection(peerConfig([], [turn.iceServer(label)], network));
    this.#pc = pc;
    pc.createDataChannel('turn-probe');
    const gathered = new Promise<void>((resolve) => {
      const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== 'complete') return;
        unSubscribe();
        resolve();
      });
    });
    const offer = await pc.createOffer();
    withoutDefaultStun(pc, this.#logger);
    // werift's setLocalDescription gathers (TURN allocation included) before it resolves.
    await pc.setLocalDescription(offer);
    if (pc.iceGatheringState !== 'complete') await gathered;
    return / typ relay/.test(pc.localDescription?.sdp ?? '');
  }
}
