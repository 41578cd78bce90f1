/**
 * The camera page's early signaling and its hand-over to the player, with a scripted WebSocket and
 * peer connection in place of the browser's (Chromium runs the real thing in
 * test/e2e/player-camera-page.test.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { urlWatch } from '../../../shared/watchUrl.js';
import { adoptEarlySignal, EARLY_ADOPT_TIMEOUT_MS, EARLY_MAX_MESSAGES, parsePageOffer, startEarlySignaling, takeEarlySignal } from '../../../web/src/earlySignaling.js';

class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static instances: FakeWebSocket[] = [];
  readyState = FakeWebSocket.CONNECTING;
  readonly sent: Array<Record<string, unknown>> = [];
  closeCode: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  readonly listeners: Record<string, Array<() => void>> = {};
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  addEventListener(type: string, listener: () => void): void {
    (this.listeners[type] ??= []).push(listener);
  }
  send(data: string): void {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number): void {
    this.closeCode = code;
    this.readyState = FakeWebSocket.CLOSED;
  }
  // What the server does:
  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
    for (const listener of this.listeners.open ?? []) listener();
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  drop(): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code: 1006, reason: '' });
    for (const listener of this.listeners.close ?? []) listener();
  }
}

class FakePeerConnection {
  signalingState = 'stable';
  remote: string | undefined;
  local: string | undefined;
  onicecandidate: ((event: { candidate: unknown }) => void) | null = null;
  constructor(readonly config: unknown) {}
  async setRemoteDescription(description: { sdp: string }): Promise<void> {
    this.remote = description.sdp;
    this.signalingState = 'have-remote-offer';
  }
  async createAnswer(): Promise<{ type: string; sdp: string }> {
    return { type: 'answer', sdp: `answer to ${this.remote}` };
  }
  async setLocalDescription(description: { sdp: string }): Promise<void> {
    this.local = description.sdp;
    this.signalingState = 'stable';
  }
  close(): void {
    this.signalingState = 'closed';
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const browserGlobals = ['location', 'WebSocket', 'RTCPeerConnection'] as const;
const saved = new Map<string, PropertyDescriptor | undefined>();
const PAGE_WS = 'ws://cams.example:8080/ws';

describe('early signaling', () => {
  beforeEach(() => {
    for (const name of browserGlobals) saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    const define = (name: string, value: unknown): void => {
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    };
    define('location', { origin: 'http://cams.example:8080', href: 'http://cams.example:8080/camera/front' });
    define('WebSocket', FakeWebSocket);
    define('RTCPeerConnection', FakePeerConnection);
    FakeWebSocket.instances = [];
  });

  afterEach(() => {
    // Whatever a test left behind is not adoptable by the next one.
    (takeEarlySignal('front', PAGE_WS) ?? takeEarlySignal('yard', PAGE_WS))?.ws.close();
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete (globalThis as Record<string, unknown>)[name];
    }
    mock.timers.reset();
  });

  it('opens the page server socket at once with the watch in its URL, sending nothing itself', () => {
    const early = startEarlySignaling('front');
    assert.ok(early);
    const ws = FakeWebSocket.instances[0]!;
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.equal(ws.url, `${PAGE_WS}?watch=front&id=${early.id}`);
    assert.deepEqual(urlWatch(new URL(ws.url).pathname + new URL(ws.url).search), { camera: 'front', id: early.id, h265: false, paused: false });
    assert.equal(early.url, PAGE_WS, 'the player compares the URL without the watch');
    ws.open();
    assert.equal(ws.sent.length, 0, 'the server starts from the URL: no hello/watch round trip behind the page');
    assert.ok(early.pc instanceof FakePeerConnection, 'a peer connection is made while waiting for the offer');
  });

  it('the player adopts the socket with the messages that already arrived, in order', () => {
    startEarlySignaling('front');
    const ws = FakeWebSocket.instances[0]!;
    ws.open();
    ws.receive({ type: 'welcome', version: 1, server: 'camrtc' });
    ws.receive({ type: 'offer', id: 'x', sdp: 'v=0' });
    ws.onmessage?.({ data: new Uint8Array([1]) });
    const adopted = takeEarlySignal('front', PAGE_WS);
    assert.ok(adopted);
    assert.equal(adopted.ws, ws as unknown as WebSocket);
    assert.deepEqual(adopted.messages.map((m) => (JSON.parse(m) as { type: string }).type), ['welcome', 'offer']);
    // From now on the player's handlers run: the early ones are detached.
    assert.equal(ws.onmessage, null);
    assert.equal(ws.onclose, null);
    assert.equal(takeEarlySignal('front', PAGE_WS), undefined, 'handed over once');
    assert.equal(ws.closeCode, undefined);
  });

  it('a socket still connecting is handed over too: it watches from its URL', () => {
    const early = startEarlySignaling('front');
    const adopted = takeEarlySignal('front', PAGE_WS);
    assert.ok(adopted);
    assert.equal(adopted.id, early!.id);
    assert.equal(adopted.ws.readyState, FakeWebSocket.CONNECTING);
    assert.equal(adopted.ws.onopen, null, 'nothing to send on open');
  });

  it('another camera or another server does not adopt it, and it stays for the right player', () => {
    startEarlySignaling('front');
    assert.equal(takeEarlySignal('yard', PAGE_WS), undefined);
    assert.equal(takeEarlySignal('front', 'ws://other.example/ws'), undefined);
    assert.ok(takeEarlySignal('front', PAGE_WS));
  });

  it('a second start on the same page does nothing', () => {
    assert.ok(startEarlySignaling('front'));
    assert.equal(startEarlySignaling('front'), undefined);
    assert.equal(FakeWebSocket.instances.length, 1);
  });

  it('a socket the server closed before adoption is not handed over (the player opens its own)', () => {
    const early = startEarlySignaling('front');
    FakeWebSocket.instances[0]!.open();
    FakeWebSocket.instances[0]!.drop();
    assert.equal(takeEarlySignal('front', PAGE_WS), undefined);
    assert.equal((early!.pc as unknown as FakePeerConnection).signalingState, 'closed');
  });

  it('no player within the adoption time: the session is stopped and the socket closed', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const early = startEarlySignaling('front');
    const ws = FakeWebSocket.instances[0]!;
    ws.open();
    mock.timers.tick(EARLY_ADOPT_TIMEOUT_MS - 1);
    assert.equal(ws.closeCode, undefined);
    mock.timers.tick(1);
    assert.deepEqual(ws.sent.map((m) => m.type), ['stop']);
    assert.equal(ws.sent[0]!.id, early!.id);
    assert.equal(ws.closeCode, 1000);
    assert.equal(takeEarlySignal('front', PAGE_WS), undefined);
  });

  it('a flood of messages before adoption gives the early socket up instead of growing without bound', () => {
    startEarlySignaling('front');
    const ws = FakeWebSocket.instances[0]!;
    ws.open();
    for (let i = 0; i < EARLY_MAX_MESSAGES; i++) ws.receive({ type: 'status', id: 'x', camera: 'front', state: 'live' });
    assert.equal(ws.closeCode, undefined);
    ws.receive({ type: 'status', id: 'x', camera: 'front', state: 'live' });
    assert.equal(ws.closeCode, 1000);
    assert.equal(takeEarlySignal('front', PAGE_WS), undefined);
  });

  it("with the page's offer: the ticket goes in the URL, the offer is answered at once, the answer leaves with the ticket when the socket opens", async () => {
    const offer = { ticket: 'T0-ticket_1', sdp: 'v=0\r\npage offer\r\n' };
    const early = startEarlySignaling('front', offer);
    assert.ok(early?.answering);
    const ws = FakeWebSocket.instances[0]!;
    assert.equal(urlWatch(new URL(ws.url).pathname + new URL(ws.url).search)?.ticket, offer.ticket);
    const pc = early.pc as unknown as FakePeerConnection;
    await flush();
    assert.equal(pc.remote, offer.sdp, 'answered while the socket is still connecting');
    assert.deepEqual(ws.sent, []);
    ws.open();
    await early.answering;
    assert.deepEqual(ws.sent, [{ type: 'answer', id: early.id, sdp: `answer to ${offer.sdp}`, ticket: offer.ticket }]);
    assert.equal(pc.local, `answer to ${offer.sdp}`);
    pc.onicecandidate?.({ candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'u' } });
    pc.onicecandidate?.({ candidate: null });
    assert.deepEqual(ws.sent.slice(1), [
      { type: 'candidate', id: early.id, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'u' } },
      { type: 'candidate', id: early.id, candidate: null },
    ]);
    const adopted = takeEarlySignal('front', PAGE_WS);
    assert.equal(adopted?.offer, offer, 'the player learns which offer is answered on the adopted connection');
  });

  it("the page's answer fails, for the player to retry, when the socket closes before it opened", async () => {
    const early = startEarlySignaling('front', { ticket: 'T1', sdp: 'v=0\r\n' });
    FakeWebSocket.instances[0]!.drop();
    await assert.rejects(early!.answering!, /closed before it opened/);
    assert.deepEqual(FakeWebSocket.instances[0]!.sent, []);
  });

  it('a player without ICE servers of its own adopts the warm peer connection for the first offer', () => {
    const early = startEarlySignaling('front');
    const adopted = adoptEarlySignal('front', PAGE_WS, false);
    assert.equal(adopted?.early.id, early!.id);
    assert.equal(adopted?.warmPc, early!.pc);
    assert.equal((early!.pc as unknown as FakePeerConnection).signalingState, 'stable');
  });

  it('a player with ICE settings of its own adopts the warm connection too: it has not gathered, the player configures it', () => {
    const early = startEarlySignaling('front');
    const adopted = adoptEarlySignal('front', PAGE_WS, true);
    assert.equal(adopted?.early.ws, FakeWebSocket.instances[0] as unknown as WebSocket);
    assert.equal(adopted?.warmPc, early!.pc);
    assert.equal((early!.pc as unknown as FakePeerConnection).signalingState, 'stable');
  });

  it("the page's offer is answered with the ICE servers and policy it carries (the viewer's TURN credential)", async () => {
    const turn = { urls: ['turn:turn.example:3478?transport=udp'], username: '1767225600:user:alice', credential: 'c2VjcmV0Cg==' };
    const early = startEarlySignaling('front', { ticket: 'T3', sdp: 'v=0\r\n', iceServers: [turn], iceTransportPolicy: 'relay' });
    assert.deepEqual((early!.pc as unknown as FakePeerConnection).config, { iceServers: [turn], iceTransportPolicy: 'relay' });
    const plain = startEarlySignaling('yard');
    assert.equal(plain, undefined, 'one early session per page');
  });

  it("the page's data-offer is read with its ICE configuration; malformed servers and unknown policies are left out", () => {
    const good = { urls: 'turn:t.example', username: '1:anonymous', credential: 'x' };
    const text = JSON.stringify({ ticket: 'T', sdp: 'v=0', iceServers: [good, { urls: 42 }, null, { urls: [] }], iceTransportPolicy: 'relay' });
    assert.deepEqual(parsePageOffer(text), { ticket: 'T', sdp: 'v=0', iceServers: [good], iceTransportPolicy: 'relay' });
    assert.deepEqual(parsePageOffer(JSON.stringify({ ticket: 'T', sdp: 'v=0', iceTransportPolicy: 'nohost' })), { ticket: 'T', sdp: 'v=0' });
    assert.deepEqual(parsePageOffer(JSON.stringify({ ticket: 'T', sdp: 'v=0', iceServers: 'turn:x' })), { ticket: 'T', sdp: 'v=0' });
  });

  it("the page's answered offer: adopted with its connection without own ICE servers, else the early session is stopped", () => {
    const offer = { ticket: 'T2', sdp: 'v=0\r\n' };
    const early = startEarlySignaling('front', offer);
    const adopted = adoptEarlySignal('front', PAGE_WS, false);
    assert.equal(adopted?.early.answering, early!.answering);
    assert.equal(adopted?.warmPc, undefined, 'the connection answers the page offer: not a spare');
    assert.notEqual((early!.pc as unknown as FakePeerConnection).signalingState, 'closed');
    adopted!.early.ws.close();

    const second = startEarlySignaling('yard', offer);
    const ws = FakeWebSocket.instances[1]!;
    ws.open();
    assert.equal(adoptEarlySignal('yard', PAGE_WS, true), undefined);
    assert.equal((second!.pc as unknown as FakePeerConnection).signalingState, 'closed');
    assert.deepEqual(ws.sent.filter((m) => m.type === 'stop'), [{ type: 'stop', id: second!.id }]);
    assert.equal(ws.closeCode, 1000);
  });

  it('reads only the data-offer the server writes', () => {
    assert.deepEqual(parsePageOffer('{"ticket":"T","sdp":"v=0\\r\\n"}'), { ticket: 'T', sdp: 'v=0\r\n' });
    for (const text of [undefined, '', 'v=0', '{"ticket":1,"sdp":"v=0"}', '{"ticket":"T"}', 'null', '[]']) {
      assert.equal(parsePageOffer(text), undefined, String(text));
    }
  });
});
