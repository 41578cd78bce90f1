/**
 * The camera page as the server sends it: one document whose first script starts signaling, with no
 * external script or stylesheet in front of it, a CSP that allows exactly its inline scripts, and a
 * camera name that cannot break out of the markup. Runs against the built bundles (dist/public).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { escapeHtml, inlineScriptText, loadCameraPageAssets, renderCameraPage, type CameraPageAssets } from '../../../server/src/http/cameraPage.js';
import { startHttpApp, type TestHttpApp } from '../../helpers/httpApp.js';
import { distPath } from '../../helpers/paths.js';
import { FakeCamera, FakeDirectory, h264Track } from '../webrtc/helpers/FakeCamera.js';

/** Every <script ...>body</script> and <link ...> / <style> of a page, in document order. */
function resources(html: string): Array<{ tag: string; attrs: string; body: string; at: number }> {
  const found: Array<{ tag: string; attrs: string; body: string; at: number }> = [];
  const re = /<(script|style)([^>]*)>([\s\S]*?)<\/\1>|<link([^>]*)>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    found.push(m[1] ? { tag: m[1].toLowerCase(), attrs: m[2] ?? '', body: m[3] ?? '', at: m.index } : { tag: 'link', attrs: m[4] ?? '', body: '', at: m.index });
  }
  return found;
}

/** Status of a revalidation (fetch() would add Cache-Control: no-cache to a conditional request). */
function conditionalGet(url: string, etag: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'If-None-Match': etag } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('camera page', () => {
  const front = new FakeCamera('front.cam-1', [h264Track(0)]);
  let app: TestHttpApp;
  let base: string;

  before(async () => {
    app = await startHttpApp(new FakeDirectory([front]));
    base = app.base;
  });

  after(async () => {
    await app.close();
  });

  it('is one document: the signaling script comes first and nothing external is loaded', async () => {
    const res = await fetch(`${base}/camera/front.cam-1`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const html = await res.text();
    const found = resources(html);
    const scripts = found.filter((r) => r.tag === 'script');
    assert.equal(scripts.length, 2, 'the early signaling script and the player');
    assert.match(scripts[0]!.attrs, /data-camera="front\.cam-1"/);
    assert.match(scripts[0]!.body, /new WebSocket/, 'the first script opens the signaling socket');
    assert.match(scripts[0]!.body, /"watch"/, 'and watches the camera');
    assert.ok(html.indexOf('<script') < html.indexOf('<style'), 'signaling starts before the stylesheet is even parsed');
    for (const r of found) {
      assert.doesNotMatch(r.attrs, /\bsrc=/, `external script: ${r.attrs}`);
      if (r.tag === 'link') assert.doesNotMatch(r.attrs, /stylesheet|preload|modulepreload/, `external resource: ${r.attrs}`);
    }
    assert.match(scripts[1]!.attrs, /type="module"/);
    assert.match(scripts[1]!.body, /customElements\.define\("camrtc-player"/);
    assert.ok(found.some((r) => r.tag === 'style' && /camrtc-player\.full/.test(r.body)), 'the page stylesheet is inlined');
    assert.match(html, /<camrtc-player class="full" camera="front\.cam-1" controls><\/camrtc-player>/);
    assert.match(html, /<title>front\.cam-1 · camrtc<\/title>/);
  });

  it('its CSP allows exactly its two inline scripts, by hash', async () => {
    const res = await fetch(`${base}/camera/front.cam-1`);
    const csp = res.headers.get('content-security-policy') ?? '';
    const scripts = resources(await res.text()).filter((r) => r.tag === 'script');
    const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src')) ?? '';
    assert.deepEqual(scriptSrc.split(' ').slice(1).sort(), ["'self'", ...scripts.map((s) => sha256(s.body))].sort());
    assert.doesNotMatch(csp, /unsafe-inline'[^;]*;[^;]*$|script-src[^;]*unsafe-inline/, 'no unsafe-inline for scripts');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'self'/);
  });

  it('sends no Cross-Origin-Opener-Policy (opened in a new tab, it costs Chromium a process swap on the first-frame path)', async () => {
    for (const path of ['/camera/front.cam-1', '/']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cross-origin-opener-policy'), null, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });

  it('unknown or malformed camera names get the 404 page', async () => {
    for (const path of ['/camera/garage', '/camera/%3Cscript%3E', '/camera/..%2f..%2fetc%2fpasswd']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /<script/i, path);
    }
  });

  it('/ and /embed still load the app bundle, and the bundles keep their validators', async () => {
    for (const path of ['/', '/embed']) {
      const html = await (await fetch(`${base}${path}`)).text();
      assert.match(html, /src="\/app\.js"/, path);
      assert.match(html, /href="\/style\.css"/, path);
    }
    for (const file of ['/app.js', '/camrtc-player.js', '/style.css', '/early.js']) {
      const res = await fetch(`${base}${file}`);
      assert.equal(res.status, 200, file);
      assert.ok(res.headers.get('etag'), `${file} has an ETag`);
      assert.equal(await conditionalGet(`${base}${file}`, res.headers.get('etag')!), 304, `${file} revalidates`);
    }
  });
});

describe('camera page rendering', () => {
  const assets: CameraPageAssets = loadCameraPageAssets(distPath('public'));

  it('escapes a hostile camera name everywhere it appears', () => {
    const hostile = `x"><script>alert(1)</script><img src=x onerror='alert(2)'>&amp;`;
    const html = renderCameraPage(hostile, assets);
    assert.ok(!html.includes('<script>alert'), 'no injected script element');
    assert.ok(!html.includes('<img'), 'no injected element');
    assert.ok(!html.includes(`x">`), 'no attribute break-out');
    const escaped = escapeHtml(hostile);
    assert.equal(escaped, 'x&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=&#39;alert(2)&#39;&#62;&#38;amp;');
    assert.ok(html.includes(`<script data-camera="${escaped}">`));
    assert.ok(html.includes(`<camrtc-player class="full" camera="${escaped}" controls>`));
    assert.ok(html.includes(`<span data-camera-name>${escaped}</span>`));
    assert.ok(html.includes(`<title>${escaped} · camrtc</title>`));
    // The name never reaches the scripts' text: they read it from the markup.
    const scripts = resources(html).filter((r) => r.tag === 'script');
    assert.deepEqual(scripts.map((s) => s.body), [assets.earlyScript, assets.playerScript]);
  });

  it("carries the page's offer as JSON in the first script's data-offer, SDP line ends and all", () => {
    const offer = { ticket: 'AbC-_0123456789xyzXYZ_', sdp: 'v=0\r\ns=" onload=\'x\' <b>&amp;\r\na=setup:active\r\n' };
    const html = renderCameraPage('front', assets, offer);
    const first = resources(html).find((r) => r.tag === 'script');
    const attribute = /^ data-camera="front" data-offer="([^"<>]*)"$/.exec(first?.attrs ?? '');
    assert.ok(attribute, `the first script's attributes: ${first?.attrs}`);
    assert.doesNotMatch(attribute[1]!, /[\r\n'&](?!#\d+;)/, 'no raw line end, quote or bare ampersand in the attribute');
    const decoded = attribute[1]!.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
    assert.deepEqual(JSON.parse(decoded), offer);
    assert.equal(first?.body, assets.earlyScript, 'the script text, hence its CSP hash, does not change');
  });

  it('inlined scripts cannot end their element early and mean the same', () => {
    const js = 'const a = "</script><b>"; const r = /<\\/SCRIPT>/i; globalThis.__out = [a, r.test("</SCRIPT>")];\n//# sourceMappingURL=camrtc-player.js.map\n';
    const inlined = inlineScriptText(js);
    assert.doesNotMatch(inlined, /<\/script/i);
    assert.match(inlined, /\/\/# sourceMappingURL=\/camrtc-player\.js\.map/);
    new Function(inlined)();
    assert.deepEqual((globalThis as { __out?: unknown }).__out, ['</script><b>', true]);
    delete (globalThis as { __out?: unknown }).__out;
    assert.throws(() => inlineScriptText('x = 1 <!-- 2'), /cannot be inlined/);
  });

  it('the built bundles inline as they are', () => {
    // A budget, not a format limit: the early script is parsed before anything else on the page, so
    // it stays a few KB (4.2 KB minified with the ICE servers, talk's answer and the stream choice).
    assert.ok(assets.earlyScript.length > 0 && assets.earlyScript.length < 4608, `early script is ${assets.earlyScript.length} bytes`);
    assert.ok(assets.playerScript.includes('camrtc-player'));
  });
});
