/**
 * Keeps the DTLS datagrams a browser sends before werift's DTLS server exists, and hands them to it
 * once it does.
 *
 * Why: werift starts its DTLS server only after its own ICE agent reports "connected", a few event
 * loop turns after the nominating STUN response. The browser (DTLS client for our `actpass` offer)
 * sends its ClientHello the moment it sees the same response, so the ClientHello usually arrives
 * first, and werift drops it. The browser resends it only when its retransmission timer fires:
 * the benchmark measured 300-700 ms of the first-frame time lost there (issue 6).
 */
import type { RTCDtlsTransport } from 'werift';

/** Datagrams kept per transport: a ClientHello is one or two (post-quantum key shares fragment it). */
export const EARLY_DTLS_MAX_DATAGRAMS = 8;
/** Bytes kept per transport, so a peer cannot make us hold more before the handshake starts. */
export const EARLY_DTLS_MAX_BYTES = 16 * 1024;

/** DTLS record content types (RFC 9147 4.1 demultiplexing: first byte 20-63). */
function isDtls(datagram: Buffer): boolean {
  return datagram.length > 0 && datagram[0]! >= 20 && datagram[0]! <= 63;
}

export class EarlyDtlsBuffer {
  readonly #transport: RTCDtlsTransport;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #closed = false;
  readonly #unsubscribe: Array<() => void> = [];
  #replayTimer: NodeJS.Immediate | undefined;

  constructor(transport: RTCDtlsTransport) {
    this.#transport = transport;
    const data = transport.iceTransport.connection.onData.subscribe((datagram) => this.#onDatagram(datagram));
    const state = transport.onStateChange.subscribe((s) => this.#onState(s));
    this.#unsubscribe.push(data.unSubscribe, state.unSubscribe);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Datagrams waiting for the DTLS server (for tests). */
  get held(): number {
    return this.#held.length;
  }

  /** Idempotent: forgets what it holds and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearImmediate(this.#replayTimer);
    this.#replayTimer = undefined;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#held = [];
    this.#heldBytes = 0;
  }

  #onDatagram(datagram: Buffer): void {
    if (this.#closed || this.#transport.state !== 'new' || !isDtls(datagram)) return;
    if (this.#held.length >= EARLY_DTLS_MAX_DATAGRAMS || this.#heldBytes + datagram.length > EARLY_DTLS_MAX_BYTES) return;
    this.#held.push(datagram);
    this.#heldBytes += datagram.length;
  }

  #onState(state: string): void {
    if (this.#closed) return;
    if (state === 'connecting') {
      // werift calls this from start() just before it creates the DTLS server in the same turn:
      // hand the datagrams over on the next turn, when the server listens.
      this.#replayTimer = setImmediate(() => this.#replay());
    } else if (state !== 'new') {
      this.close();
    }
  }

  #replay(): void {
    this.#replayTimer = undefined;
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    const connection = this.#transport.iceTransport.connection;
    // In arrival order: a fragmented ClientHello must be reassembled in sequence. A duplicate of a
    // datagram the server already got is harmless: DTLS peers expect retransmissions.
    for (const datagram of held) {
      if (this.#closed || this.#transport.state !== 'connecting') break;
      connection.onData.execute(datagram);
    }
    this.close();
  }
}
