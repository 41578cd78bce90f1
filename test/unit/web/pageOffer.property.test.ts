// Property tests for the camera page's offer (server/src/http/cameraPage.ts writes it into
// data-offer, web/src/earlySignaling.ts reads it back) and for the signaling URL the page and the
// player compute (web/src/signalingUrl.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderCameraPage, type CameraPageAssets } from '../../../server/src/http/cameraPage.js';
import { parsePageOffer } from '../../../web/src/earlySignaling.js';
import { signalingUrl } from '../../../web/src/signalingUrl.js';
import { CAMERA_SDP_MISSING } from '../../helpers/paths.js';
import { assertFast, cameraSdps, runs } from '../../helpers/property.js';

const ASSETS: CameraPageAssets = { earlyScript: 'void 0', playerScript: 'void 0', css: 'body{}' };
const REAL = cameraSdps();

/** Decodes an attribute value the way the HTML parser does for what escapeHtml writes. */
function attributeText(raw: string): string {
  return raw.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

/** The data-offer attribute of the page's first script, as the browser would hand it to the script. */
function dataOffer(html: string): string | undefined {
  const tag = /<script data-camera="[^"]*"(?: data-offer="([^"]*)")?>/.exec(html);
  assert.ok(tag, 'the page starts with its early script');
  return tag[1] === undefined ? undefined : attributeText(tag[1]);
}

const sdpText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }).map((lines) => lines.join('\r\n') + '\r\n'),
  fc.constantFrom('</script><script>alert(1)</script>', '" onload="alert(1)', "'&amp;&#34;", '<!--', ']]>'),
);

test('the offer the page carries is the offer the early script reads, whatever the SDP holds', () => {
  const offer = fc.record({ ticket: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), sdp: sdpText });
  fc.assert(fc.property(offer, fc.string({ maxLength: 20 }), (o, camera) => {
    const html = renderCameraPage(camera, ASSETS, o);
    assert.deepEqual(parsePageOffer(dataOffer(html)), { ...o });
    // The SDP cannot end the attribute or the element: one early script, one player script.
    assert.equal(html.split('<script').length - 1, 2);
  }), { numRuns: runs(2000) });
});

test('real camera SDPs survive the trip through the page byte for byte (CRLF kept)', { skip: REAL.length ? false : CAMERA_SDP_MISSING }, () => {
  for (const { file, text } of REAL) {
    const o = { ticket: 'T-1_x', sdp: text };
    assert.deepEqual(parsePageOffer(dataOffer(renderCameraPage('cam', ASSETS, o))), o, file);
  }
});

test('a page without an offer has no data-offer, and the early script reads none', () => {
  fc.assert(fc.property(fc.string({ maxLength: 30 }), (camera) => {
    const text = dataOffer(renderCameraPage(camera, ASSETS));
    assert.equal(text, undefined);
    assert.equal(parsePageOffer(text), undefined);
  }), { numRuns: runs(500) });
});

test('arbitrary data-offer text never makes the early script throw: an offer with string fields, or none', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ ticket: v, sdp: v })),
    fc.constantFrom('null', '{"ticket":"a"}', '{"ticket":"a","sdp":1}', '{"__proto__":{"ticket":"a","sdp":"b"}}', '[]', '""'));
  fc.assert(fc.property(fc.option(text, { nil: undefined }), (t) => {
    const offer = parsePageOffer(t);
    if (offer === undefined) return;
    assert.deepEqual(Object.keys(offer), ['ticket', 'sdp']);
    assert.equal(typeof offer.ticket, 'string');
    assert.equal(typeof offer.sdp, 'string');
  }), { numRuns: runs(3000) });
  assertFast('parsePageOffer of deep nesting', 200, () => parsePageOffer('['.repeat(100_000)));
});

// ---- the signaling URL ---------------------------------------------------------------------------

// Dot segments are the URL parser's business (normalised away), not this function's.
const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{0,10}$/).filter((s) => !/^\.+$/.test(s));
const httpBase = fc.tuple(fc.constantFrom('http', 'https', 'HTTP'), fc.constantFrom('127.0.0.1:8080', 'cams.example', '[::1]:9', 'h'), fc.array(segment, { maxLength: 3 }),
  fc.constantFrom('', '/', '//'), fc.constantFrom('', '?a=1', '#x', '?watch=front&id=1'))
  .map(([s, h, path, slash, tail]) => ({ s, h, path: path.join('/'), url: `${s}://${h}/${path.join('/')}${slash}${tail}` }));

test('an http(s) server URL gives the ws(s) URL of /ws under its path, without query or fragment', () => {
  fc.assert(fc.property(httpBase, ({ s, url }) => {
    const out = new URL(signalingUrl(url));
    const given = new URL(url);
    assert.equal(out.protocol, s.toLowerCase() === 'https' ? 'wss:' : 'ws:');
    assert.equal(out.host, given.host);
    assert.equal(out.pathname, `${given.pathname.replace(/\/+$/, '')}/ws`);
    assert.equal(out.search + out.hash, '');
    // Both sides compute the same string: applying it again changes nothing.
    assert.equal(signalingUrl(out.href), out.href);
  }), { numRuns: runs(2000) });
});

test('arbitrary server values give a ws(s) URL or a TypeError, never anything else', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom(undefined, 'http://h/', 'https://h/app/'), (server, base) => {
    let out: string;
    try {
      out = signalingUrl(server, base);
    } catch (err) {
      assert.ok(err instanceof TypeError, String(err));
      return;
    }
    assert.match(out, /^wss?:\/\//);
  }), { numRuns: runs(3000) });
});
