import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { RtspFramer, type FramerItem } from '../../../server/src/rtsp/framer.js';
import { MAX_BODY_BYTES, MAX_HEAD_BYTES, parseHead, parseMessage, RtspHeaders, serializeInterleaved, serializeResponse } from '../../../server/src/rtsp/message.js';

function drain(framer: RtspFramer): FramerItem[] {
  const out: FramerItem[] = [];
  for (let item = framer.next(); item !== null; item = framer.next()) out.push(item);
  return out;
}

/** Garbage is reported per chunk, so a split run of stray bytes counts as one. */
function describeItems(items: FramerItem[]): unknown[] {
  const merged: FramerItem[] = [];
  for (const i of items) {
    const last = merged[merged.length - 1];
    if (i.type === 'garbage' && last?.type === 'garbage') merged[merged.length - 1] = { type: 'garbage', bytes: last.bytes + i.bytes };
    else merged.push(i);
  }
  return merged.map((i) =>
    i.type === 'message'
      ? { type: 'message', kind: i.message.kind, headers: [...i.message.headers], body: i.message.body.toString('latin1') }
      : i.type === 'interleaved'
        ? { type: 'interleaved', channel: i.channel, data: i.data.toString('hex') }
        : i.type === 'error'
          ? { type: 'error', code: i.error.code }
          : { type: i.type, bytes: i.bytes },
  );
}

const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';
const stream = Buffer.concat([
  serializeResponse({ status: 200, reason: 'OK', headers: new RtspHeaders({ CSeq: '2', 'Content-Type': 'application/sdp' }), body: Buffer.from(sdp) }),
  serializeInterleaved(0, Buffer.from('80600001000000010000abcd0102', 'hex')),
  Buffer.from('\r\n'),
  serializeInterleaved(1, Buffer.alloc(0)),
  Buffer.from('RTSP/1.0 200 OK\nCSeq: 3\nSession: 1234\n\n'),
]);

test('framer: byte-by-byte feeding gives the same items as one chunk', () => {
  const whole = new RtspFramer();
  whole.push(stream);
  const expected = describeItems(drain(whole));
  assert.deepEqual(expected.map((i) => (i as { type: string }).type), ['message', 'interleaved', 'garbage', 'interleaved', 'message']);

  const bytewise = new RtspFramer();
  const got: FramerItem[] = [];
  for (const b of stream) {
    bytewise.push(Buffer.from([b]));
    got.push(...drain(bytewise));
  }
  assert.deepEqual(describeItems(got), expected);
});

test('framer: any split of a stream gives the same items', () => {
  const whole = new RtspFramer();
  whole.push(stream);
  const expected = describeItems(drain(whole));
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }), (cuts) => {
      const framer = new RtspFramer();
      const got: FramerItem[] = [];
      let prev = 0;
      for (const cut of [...cuts].sort((a, b) => a - b).concat(stream.length)) {
        framer.push(stream.subarray(prev, cut));
        got.push(...drain(framer));
        prev = cut;
      }
      assert.deepEqual(describeItems(got), expected);
    }),
    { numRuns: 500 },
  );
});

test('framer: an HTTP answer is an error, not a message', () => {
  const framer = new RtspFramer();
  framer.push(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  const items = drain(framer);
  assert.equal(items.length, 1);
  assert.equal(items[0].type, 'error');
});

test('framer: random bytes never throw and never buffer past the limits', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 4096 }), { maxLength: 40 }), (chunks) => {
      const framer = new RtspFramer();
      for (const c of chunks) {
        framer.push(Buffer.from(c));
        for (const item of drain(framer)) {
          if (item.type === 'error') assert.ok(item.error instanceof CamrtcError);
        }
        // A head waits for at most MAX_HEAD_BYTES, a body for MAX_BODY_BYTES, a frame for 64 KiB.
        assert.ok(framer.buffered <= MAX_HEAD_BYTES + MAX_BODY_BYTES + 4096 + 4, `buffered ${framer.buffered}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('framer: a head that never ends is an ERR_LIMIT error', () => {
  const framer = new RtspFramer();
  framer.push(Buffer.from('RTSP/1.0 200 OK\r\n'));
  const filler = Buffer.from('X-Pad: ' + 'a'.repeat(1000) + '\r\n');
  let items: FramerItem[] = [];
  for (let i = 0; i < 80 && items.length === 0; i++) {
    framer.push(filler);
    items = drain(framer);
  }
  assert.equal(items[0]?.type, 'error');
  assert.equal(items[0].type === 'error' && items[0].error.code, 'ERR_LIMIT');
});

test('parseHead: any text gives a head or a CamrtcError', () => {
  const lines = fc.constantFrom('RTSP/1.0 200 OK', 'DESCRIBE rtsp://x/ RTSP/1.0', 'CSeq: 1', 'Content-Length: 5', 'Content-Length: -1', ' folded', 'X:', ':', '\r\n', '\n', 'HTTP/1.1 200 OK');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(lines, { maxLength: 20 }).map((a) => a.join('\r\n'))), (s) => {
      const r = parseHead(s);
      if (r instanceof CamrtcError) assert.match(r.code, /^ERR_(PARSE_MESSAGE|PARSE_HEADER|LIMIT)$/);
      else assert.ok(r.contentLength >= 0 && r.contentLength <= MAX_BODY_BYTES);
    }),
    { numRuns: 3000 },
  );
});

test('parseMessage: a response survives serialize then parse', () => {
  fc.assert(
    fc.property(fc.integer({ min: 100, max: 599 }), fc.stringMatching(/^[A-Za-z ]{0,20}$/), fc.uint8Array({ maxLength: 300 }), (status, reason, body) => {
      const headers = new RtspHeaders({ CSeq: '7', 'WWW-Authenticate': 'Basic realm="a"' });
      headers.append('WWW-Authenticate', 'Digest realm="a", nonce="b"');
      const msg = parseMessage(serializeResponse({ status, reason, headers, body: Buffer.from(body) }));
      assert.ok(!(msg instanceof CamrtcError) && msg.kind === 'response');
      assert.equal(msg.status, status);
      assert.equal(msg.reason, reason.trim());
      assert.deepEqual(msg.headers.getAll('WWW-Authenticate'), ['Basic realm="a"', 'Digest realm="a", nonce="b"']);
      assert.deepEqual([...msg.body], [...body]);
    }),
    { numRuns: 500 },
  );
});
