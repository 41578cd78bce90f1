// Property tests: the SDP reader never throws, whatever a camera (or something pretending to be
// one) sends, and never produces a control URL off the camera's host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSessionDescription } from '../../../server/src/sdp/SessionDescription.js';
import { parseFmtp } from '../../../server/src/sdp/fmtp.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { CAMERA_SDP_DIR, CAMERA_SDP_MISSING, cameraSdpAvailable } from '../../helpers/paths.js';

const BASE = 'rtsp://10.9.8.7:554/cam';

function checkResult(sdp: string): void {
  const res = parseSessionDescription(sdp, BASE);
  if (res instanceof CamrtcError) {
    assert.equal(res.code, 'ERR_PARSE_SDP');
    return;
  }
  for (const t of res.tracks) {
    assert.ok(t.control === BASE || /^rtsp:\/\/10\.9\.8\.7:554([/?]|$)/.test(t.control), t.control);
    assert.ok(!/[\s\x00-\x1f]/.test(t.control), 'no whitespace or control characters in a request URL');
    assert.ok(Number.isInteger(t.payloadType) && t.payloadType >= 0 && t.payloadType <= 127);
  }
}

const OWN_SEEDS = [
  'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=1\r\n',
  'm=application/TP-LINK 0 RTP/AVP smart/1/90000\na=rtpmap:95 TP-LINK/90000\na=control:rtsp://10.9.8.7/cam/t3\n',
  'm=audio 0 RTP/AVP 8 0 97\na=fmtp:96 config=1190\na=rtpmap:97 opus/48000/2\na=sendonly\n',
];
const seeds = [...OWN_SEEDS, ...(cameraSdpAvailable()
  ? readdirSync(CAMERA_SDP_DIR).filter((f) => f.endsWith('.sdp')).map((f) => readFileSync(join(CAMERA_SDP_DIR, f), 'latin1'))
  : [])];

test('arbitrary strings never make the SDP reader throw', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => checkResult(s)), { numRuns: 2000 });
});

test('arbitrary SDP-shaped lines never make the SDP reader throw', () => {
  const line = fc.tuple(fc.constantFrom('v', 'o', 's', 'c', 't', 'm', 'a', 'b', 'x', 'M', 'A'), fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom('video 0 RTP/AVP 96', 'audio 0 RTP/AVP 0 8 97', 'application 0 RTP/AVP', 'rtpmap:96 H264/90000', 'rtpmap:300 x/1',
      'fmtp:96 a=b;c', 'fmtp:', 'control:rtsp://evil/x', 'control:rtsp://10.9.8.7/x', 'control:*', 'control:', 'sendonly', 'rtpmap:97 /'),
  )).map(([k, v]) => `${k}=${v}`);
  fc.assert(fc.property(fc.array(line, { maxLength: 40 }), fc.constantFrom('\r\n', '\n', '\r'), (lines, eol) => checkResult(lines.join(eol))),
    { numRuns: 2000 });
});

test('mutated SDPs (own fixtures and real cameras) never make the SDP reader throw', { skip: seeds.length > OWN_SEEDS.length ? false : CAMERA_SDP_MISSING }, () => {
  const mutation = fc.record({
    seed: fc.nat(seeds.length - 1),
    at: fc.nat(),
    del: fc.nat(40),
    insert: fc.string({ unit: 'binary', maxLength: 20 }),
    truncate: fc.boolean(),
  });
  fc.assert(fc.property(mutation, ({ seed, at, del, insert, truncate }) => {
    const s = seeds[seed];
    const pos = at % (s.length + 1);
    checkResult(truncate ? s.slice(0, pos) : s.slice(0, pos) + insert + s.slice(pos + del));
  }), { numRuns: 3000 });
});

test('parseFmtp never throws and only yields string values', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
    for (const v of Object.values(parseFmtp(s))) assert.equal(typeof v, 'string');
  }), { numRuns: 2000 });
});
