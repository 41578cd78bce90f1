// Property tests for what a client sends over /ws: the message parser (shared/protocol.ts) and the
// watch a socket's URL carries (shared/watchUrl.ts, read by the server's SignalingServer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClientMessageSchema, MAX_MESSAGE_BYTES, parseClientMessage, type ClientMessage } from '../../../shared/protocol.js';
import { urlWatch, withUrlWatch, type UrlWatch } from '../../../shared/watchUrl.js';
import { assertFast, runs } from '../../helpers/property.js';

/** The parser's contract: a validated message, or a refusal with one of two stable codes. */
function checkParse(raw: string): void {
  const r = parseClientMessage(raw);
  if (!r.ok) {
    assert.ok(r.code === 'ERR_SIGNALING_INVALID' || r.code === 'ERR_LIMIT', r.code);
    assert.equal(typeof r.message, 'string');
    assert.ok(r.message.length < 500, 'an error message does not echo the input');
    return;
  }
  // What it accepts is exactly what the schema accepts, and survives a JSON round trip unchanged.
  assert.ok(ClientMessageSchema.safeParse(r.message).success);
  const again = parseClientMessage(JSON.stringify(r.message));
  assert.ok(again.ok);
  assert.deepEqual(again.message, r.message);
}

const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/);
const camera = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);
const ticket = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const candidate = fc.record({
  candidate: fc.string({ maxLength: 100 }),
  sdpMid: fc.option(fc.string({ maxLength: 64 })),
  sdpMLineIndex: fc.option(fc.integer({ min: 0, max: 64 })),
}, { requiredKeys: ['candidate'] });

/** Every valid message type, with valid fields. */
const validMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), version: fc.integer(), capabilities: fc.record({ h265: fc.boolean() }, { requiredKeys: [] }) }, { requiredKeys: ['type', 'version'] }),
  fc.constant({ type: 'list' as const }),
  fc.record({ type: fc.constant('watch' as const), id, camera, offer: fc.string({ minLength: 1, maxLength: 200 }), trickle: fc.boolean(), ticket }, { requiredKeys: ['type', 'id', 'camera'] }),
  fc.record({ type: fc.constant('answer' as const), id, sdp: fc.string({ minLength: 1, maxLength: 200 }), ticket }, { requiredKeys: ['type', 'id', 'sdp'] }),
  fc.record({ type: fc.constant('candidate' as const), id, candidate: fc.option(candidate) }),
  fc.record({ type: fc.constantFrom('play' as const, 'pause' as const, 'stats' as const, 'stop' as const), id }),
  fc.record({ type: fc.constant('seek' as const), id, seconds: fc.double({ min: 0, max: 10_000_000, noNaN: true }) }),
);

test('every valid message is accepted as it was sent', () => {
  fc.assert(fc.property(validMessage, (m) => {
    const r = parseClientMessage(JSON.stringify(m));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.message, JSON.parse(JSON.stringify(m)));
  }), { numRuns: runs(2000) });
});

test('arbitrary strings never make the parser throw', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkParse), { numRuns: runs(3000) });
});

test('arbitrary JSON values, and valid messages with a field replaced by anything, never make the parser throw', () => {
  const mutated = fc.tuple(validMessage, fc.constantFrom('type', 'id', 'camera', 'offer', 'sdp', 'candidate', 'seconds', 'version', 'ticket', '__proto__', 'constructor', 'extra'), fc.jsonValue())
    .map(([m, key, value]) => JSON.stringify({ ...m, [key]: value }));
  fc.assert(fc.property(fc.oneof(fc.json(), mutated, fc.jsonValue().map((v) => JSON.stringify({ type: 'watch', id: 'a', camera: v }))), checkParse),
    { numRuns: runs(3000) });
});

test('a message over the byte limit is refused with ERR_LIMIT, whatever its characters, and cheaply', () => {
  fc.assert(fc.property(fc.constantFrom('a', 'é', '€', '😀'), fc.integer({ min: 1, max: 3 }), (ch, extra) => {
    // Exactly over the limit in UTF-8 bytes, though maybe far under it in UTF-16 units.
    const bytesPer = Buffer.byteLength(ch);
    const body = ch.repeat(Math.floor(MAX_MESSAGE_BYTES / bytesPer) + extra);
    const raw = JSON.stringify({ type: 'answer', id: 'x', sdp: body });
    const r = assertFast('parse of an oversized message', 200, () => parseClientMessage(raw));
    assert.ok(!r.ok);
    assert.equal(r.code, 'ERR_LIMIT');
  }), { numRuns: runs(40) });
  // Just under the limit: parsed (here valid).
  const raw = JSON.stringify({ type: 'answer', id: 'x', sdp: '' });
  const fits = JSON.stringify({ type: 'answer', id: 'x', sdp: 'a'.repeat(MAX_MESSAGE_BYTES - raw.length) });
  assert.ok(parseClientMessage(fits).ok);
});

test('messages made to be slow to parse stay bounded', () => {
  const limit = MAX_MESSAGE_BYTES - 16;
  const inputs = [
    '['.repeat(limit),
    '{"a":'.repeat(limit / 5),
    JSON.stringify({ type: 'watch', id: 'a', camera: 'b', extra: Array.from({ length: limit / 4 }, () => 0) }).slice(0, limit),
    JSON.stringify({ type: 'candidate', id: 'a', candidate: { candidate: 'x'.repeat(limit - 80) } }),
    JSON.stringify({ type: 'watch', id: '-'.repeat(limit - 40), camera: 'b' }),
    `{"type":"${'\\u0000'.repeat(limit / 7)}"}`,
  ];
  for (const raw of inputs) assertFast(`parse of ${raw.slice(0, 16)}... (${raw.length} chars)`, 200, () => checkParse(raw));
});

// ---- the watch in the socket's URL --------------------------------------------------------------

const anyText = fc.string({ unit: 'grapheme', maxLength: 40 });
const urlWatchValue: fc.Arbitrary<UrlWatch> = fc.record({ camera: anyText, id: anyText, h265: fc.boolean(), paused: fc.boolean(), ticket: anyText }, { requiredKeys: ['camera', 'id', 'h265', 'paused'] });
const signalingBase = fc.constantFrom('ws://127.0.0.1:8080/ws', 'wss://cams.example/prefix/ws', 'ws://[::1]:1/ws?x=1', 'wss://h/ws#frag');

test('the watch a client puts in the URL is the watch the server reads, whatever the names hold', () => {
  fc.assert(fc.property(signalingBase, urlWatchValue, (base, watch) => {
    const url = new URL(withUrlWatch(base, watch));
    // The server sees the request line's path and query.
    assert.deepEqual(urlWatch(url.pathname + url.search), { ...watch });
  }), { numRuns: runs(2000) });
});

test('arbitrary request URLs never make the server side throw, and what it reads is validated like a message', () => {
  const requestUrl = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ maxLength: 200 }).map((q) => `/ws?${q}`),
    fc.tuple(anyText, anyText, fc.string({ maxLength: 10 })).map(([c, i, rest]) => `/ws?watch=${c}&id=${i}&${rest}`),
  );
  fc.assert(fc.property(requestUrl, (url) => {
    const watch = urlWatch(url);
    if (!watch) return;
    assert.equal(typeof watch.camera, 'string');
    assert.equal(typeof watch.id, 'string');
    // ClientConnection.watchFromUrl turns it into a watch message and parses it like any other.
    checkParse(JSON.stringify({ type: 'watch', id: watch.id, camera: watch.camera, capabilities: { h265: watch.h265 }, ...(watch.ticket !== undefined ? { ticket: watch.ticket } : {}) }));
  }), { numRuns: runs(3000) });
});

test('a request URL made to be slow to read stays bounded', () => {
  for (const url of ['/ws?' + '&'.repeat(200_000), '/ws?' + 'watch=a&'.repeat(25_000), '/ws?' + '%'.repeat(200_000), '/ws?watch=' + '%25'.repeat(70_000)]) {
    assertFast(`urlWatch of ${url.slice(0, 14)}... (${url.length} chars)`, 300, () => urlWatch(url));
  }
});
