import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Event, type RTCDtlsTransport } from 'werift';
import { EARLY_DTLS_MAX_DATAGRAMS, EarlyDtlsBuffer } from '../../../server/src/webrtc/EarlyDtlsBuffer.js';

type DtlsState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

/**
 * The part of werift's RTCDtlsTransport the buffer uses. Like werift, start() changes the state to
 * 'connecting' and creates its DTLS server (here: `server`, subscribing to the ICE data) in the same turn.
 */
class FakeDtlsTransport {
  state: DtlsState = 'new';
  readonly onStateChange = new Event<[DtlsState]>();
  readonly iceTransport = { connection: { onData: new Event<[Buffer]>() } };
  /** What the DTLS server got, once it exists. */
  readonly server: Buffer[] = [];

  start(): void {
    this.setState('connecting');
    this.iceTransport.connection.onData.subscribe((b) => {
      if (b[0]! >= 20 && b[0]! <= 63) this.server.push(b);
    });
  }
  setState(state: DtlsState): void {
    this.state = state;
    this.onStateChange.execute(state);
  }
  receive(datagram: Buffer): void {
    this.iceTransport.connection.onData.execute(datagram);
  }
  asWerift(): RTCDtlsTransport {
    return this as unknown as RTCDtlsTransport;
  }
}

const clientHello = (n: number): Buffer => Buffer.from([22, 0xfe, 0xfd, n]);
const stun = Buffer.from([0x00, 0x01, 0x00, 0x00]);
const rtp = Buffer.from([0x80, 96, 0, 1]);

describe('EarlyDtlsBuffer', () => {
  it('hands the DTLS datagrams that came before the DTLS server to it, in order', async () => {
    const transport = new FakeDtlsTransport();
    const buffer = new EarlyDtlsBuffer(transport.asWerift());
    transport.receive(clientHello(1));
    transport.receive(stun);
    transport.receive(clientHello(2));
    transport.receive(rtp);
    assert.equal(buffer.held, 2, 'only DTLS records are kept');
    transport.start();
    assert.deepEqual(transport.server, [], 'nothing before the server listens');
    await nextTurn();
    assert.deepEqual(transport.server, [clientHello(1), clientHello(2)]);
    assert.equal(buffer.closed, true, 'its job is done after the handover');
  });

  it('does not repeat what the server received itself', async () => {
    const transport = new FakeDtlsTransport();
    const buffer = new EarlyDtlsBuffer(transport.asWerift());
    transport.start();
    transport.receive(clientHello(1));
    await nextTurn();
    assert.deepEqual(transport.server, [clientHello(1)]);
    assert.equal(buffer.held, 0);
  });

  it('keeps at most EARLY_DTLS_MAX_DATAGRAMS datagrams', async () => {
    const transport = new FakeDtlsTransport();
    const buffer = new EarlyDtlsBuffer(transport.asWerift());
    for (let i = 0; i < EARLY_DTLS_MAX_DATAGRAMS + 5; i++) transport.receive(clientHello(i));
    assert.equal(buffer.held, EARLY_DTLS_MAX_DATAGRAMS);
    transport.start();
    await nextTurn();
    assert.equal(transport.server.length, EARLY_DTLS_MAX_DATAGRAMS);
  });

  it('close() is idempotent, drops what it holds and hands nothing over afterwards', async () => {
    const transport = new FakeDtlsTransport();
    const buffer = new EarlyDtlsBuffer(transport.asWerift());
    transport.receive(clientHello(1));
    transport.start();
    buffer.close();
    buffer.close();
    await nextTurn();
    assert.equal(buffer.closed, true);
    assert.equal(buffer.held, 0);
    assert.deepEqual(transport.server, []);
    transport.receive(clientHello(2));
    assert.deepEqual(transport.server, [clientHello(2)], 'the server still gets live datagrams');
  });

  it('stops holding when the transport fails or closes before starting', () => {
    const transport = new FakeDtlsTransport();
    const buffer = new EarlyDtlsBuffer(transport.asWerift());
    transport.receive(clientHello(1));
    transport.setState('closed');
    assert.equal(buffer.closed, true);
    assert.equal(buffer.held, 0);
  });
});
