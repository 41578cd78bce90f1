// Property tests for control URL resolution (server/src/sdp/controlUrl.ts): whatever a camera writes
// in a=control, the SETUP goes to the session's own scheme, host and port, in a clean request line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CamrtcError } from '../../../server/src/errors.js';
import { MAX_CONTROL_LENGTH, isOtherHost, normalizeBaseUrl, onSameHost, resolveControl, splitRtspUrl } from '../../../server/src/sdp/controlUrl.js';
import { parseSessionDescription } from '../../../server/src/sdp/SessionDescription.js';
import { CAMERA_SDP_MISSING } from '../../helpers/paths.js';
import { assertFast, cameraSdps, runs } from '../../helpers/property.js';

const base = fc.tuple(fc.constantFrom('rtsp', 'rtsps', 'RTSP'), fc.constantFrom('192.0.2.10', 'Cam.Local', '[2001:db8::1]', 'h'), fc.constantFrom('', ':554', ':8554', ':322'),
  fc.constantFrom('', '/', '/Streaming/Channels/101', '/live/ch1?subtype=0', '/a b/é'))
  .map(([s, h, p, rest]) => `${s}://${h}${p}${rest}`);

const control = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('*', '', 'trackID=1', '?track=2', '/abs/path', 'rtsp://evil.example/x', 'rtsp://evil.example:99', 'rtsps://user:pw@192.0.2.10:554/t', 'RTSP://[::1]/x',
    'http://evil/x', 'rtsp://', 'rtsp:///x', 'rtsp://h:99999/x', 'rtsp://@/x', 'track\r\nInjected: 1', ' trackID=1 ', 'rtsp://a@b@c/x'),
  fc.tuple(fc.constantFrom('rtsp://', 'rtsps://', 'rtsp://u:p@', ''), fc.string({ maxLength: 40 })).map(([a, b]) => a + b),
);

function checkResolved(b: string, c: string): void {
  const r = resolveControl(b, c);
  if (r instanceof CamrtcError) return assert.equal(r.code, 'ERR_PARSE_SDP');
  const got = splitRtspUrl(r);
  const want = splitRtspUrl(b)!;
  assert.ok(got, `resolved to a URL: ${r}`);
  assert.deepEqual([got.scheme, got.hostname, got.port], [want.scheme, want.hostname, want.port], `${c} -> ${r}`);
  assert.doesNotMatch(r, /[\x00-\x20\x7f-\uffff]/, 'nothing that breaks the request line');
  assert.ok(!isOtherHost(b, r));
  assert.ok(r.startsWith(`${want.scheme}://${want.authority}`), 'no userinfo between scheme and host');
}

test('whatever a=control says, the URL to SETUP is on the session host, and safe in a request line', () => {
  fc.assert(fc.property(base, control, checkResolved), { numRuns: runs(5000) });
});

test('a relative control extends the base; "*" and an empty control are the base itself', () => {
  const rel = fc.stringMatching(/^[A-Za-z0-9=_.-]{1,20}$/);
  fc.assert(fc.property(base, rel, (b, c) => {
    const normalized = normalizeBaseUrl(b) as string;
    assert.equal(resolveControl(b, '*'), normalized);
    assert.equal(resolveControl(b, ''), normalized);
    assert.equal(resolveControl(b, undefined), normalized);
    const r = resolveControl(b, c) as string;
    assert.ok(r.startsWith(normalized) && r.endsWith(c), `${b} + ${c} = ${r}`);
  }), { numRuns: runs(2000) });
});

test('the base URL loses its credentials (passwords without "@"), whatever else they hold', () => {
  const password = fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }).filter((p) => !/[@/?#]/.test(p)).map((p) => 'Zq7' + p);
  fc.assert(fc.property(fc.constantFrom('rtsp', 'rtsps'), fc.stringMatching(/^[a-z]{0,6}$/), password, fc.constantFrom('192.0.2.10', 'cam:8554'), (s, user, pw, host) => {
    const out = normalizeBaseUrl(`${s}://${user}:${pw}@${host}/x`);
    assert.equal(out, `${s}://${host}/x`);
  }), { numRuns: runs(2000) });
});

test('onSameHost always lands on the base host (or declines)', () => {
  fc.assert(fc.property(base, control, (b, url) => {
    const moved = onSameHost(b, url);
    if (moved === undefined) return;
    assert.ok(!isOtherHost(b, moved), `${url} -> ${moved}`);
    assert.doesNotMatch(moved, /[\x00-\x20\x7f-\uffff]/);
  }), { numRuns: runs(3000) });
});

test('every control in the real camera SDPs resolves onto the camera host', { skip: cameraSdps().length ? false : CAMERA_SDP_MISSING }, () => {
  const b = 'rtsp://203.0.113.5:8554/stream';
  let controls = 0;
  for (const { file, text } of cameraSdps()) {
    for (const m of text.matchAll(/^a=control:(.*)$/gm)) {
      controls++;
      assert.doesNotThrow(() => checkResolved(b, m[1]), file);
    }
    // And through the whole reader: each track's URL is on that host.
    const sdp = parseSessionDescription(text, b);
    if (!(sdp instanceof CamrtcError)) for (const t of sdp.tracks) assert.ok(!isOtherHost(b, t.control), `${file}: ${t.control}`);
  }
  assert.ok(controls > 10, 'the real SDPs carry controls');
});

test('long and adversarial URLs are resolved or refused in bounded time', () => {
  const n = 100_000;
  const inputs: Array<[string, string]> = [
    ['rtsp://' + ':'.repeat(n), 'x'],
    ['rtsp://' + 'a'.repeat(n) + '@', 'x'],
    ['rtsp://h/' + '%'.repeat(n), 'é'.repeat(MAX_CONTROL_LENGTH)],
    ['rtsp://h/', 'rtsp://' + '@'.repeat(MAX_CONTROL_LENGTH - 7)],
    ['rtsp://[' + ':'.repeat(n), '/x'],
    ['rtsp://h/', 'x'.repeat(n)],
  ];
  for (const [b, c] of inputs) assertFast(`resolveControl(${b.slice(0, 12)}..., ${c.slice(0, 12)}...)`, 300, () => checkResolvedOrRefused(b, c));
});

function checkResolvedOrRefused(b: string, c: string): void {
  if (splitRtspUrl(b) === undefined) assert.ok(resolveControl(b, c) instanceof CamrtcError);
  else checkResolved(b, c);
}
