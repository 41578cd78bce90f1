/**
 * The `/camera/NAME` page, rendered per camera as ONE document: the stylesheet, the early signaling
 * script and the player bundle are inlined, and the camera name is in the markup. An external file
 * costs a browser 50-200 ms before the page's script can even start signaling; here the first script
 * opens the WebSocket and sends `watch` while the rest of the page is still being parsed, and the
 * player adopts that socket (web/src/earlySignaling.ts).
 *
 * When the camera is live the page also carries an offer made for it (OfferBroker.pageOffer): the first
 * script answers it at once, while the socket is still opening, instead of waiting for the offer to
 * come over the socket behind the page's busy main thread.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PageOffer } from '../../../shared/protocol.js';
import { LOGOUT_PATH } from './loginPage.js';

/** The built files the page inlines (scripts/build.mjs writes them to dist/public). */
export interface CameraPageAssets {
  /** early.js: classic script, runs as soon as it is parsed. */
  earlyScript: string;
  /** camrtc-player.js: the <camrtc-player> element, an ES module. */
  playerScript: string;
  css: string;
}

export function loadCameraPageAssets(webRoot: string): CameraPageAssets {
  const read = (file: string): string => readFileSync(join(webRoot, file), 'utf8');
  return {
    earlyScript: inlineScriptText(read('early.js')),
    playerScript: inlineScriptText(read('camrtc-player.js')),
    css: inlineStyleText(read('style.css')),
  };
}

/**
 * Script text that is safe between <script> and </script>. `</script` inside a string or comment would
 * end the element: `<\/` means the same in any JavaScript string, template, regular expression or
 * comment. `<!--` would switch the HTML parser into a mode where the real end tag may not count; no
 * rewrite of it is valid everywhere (`\!` is a syntax error in a /u regular expression), and esbuild
 * never emits it, so it is refused. The source map comment is made absolute: relative to /camera/NAME
 * it would point at a missing file.
 */
export function inlineScriptText(js: string): string {
  if (js.includes('<!--')) throw new Error('a script containing "<!--" cannot be inlined in HTML');
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/^\/\/# sourceMappingURL=(?!\/|[a-z]+:)(.*)$/m, '//# sourceMappingURL=/$1');
}

/** Style text that cannot end its <style> element early. */
export function inlineStyleText(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** CSP source expressions allowing exactly the page's inline scripts. */
export function inlineScriptSources(assets: CameraPageAssets): string[] {
  return [assets.earlyScript, assets.playerScript].map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
}

/** Who the page is shown to. */
export interface CameraPageViewer {
  /** A logged-in user: the header shows their name and a logout button. */
  user?: string;
}

/**
 * The logout button of a logged-in user's page: a form POST with no script (a GET link would let any
 * other page log the user out), so the page's CSP and its inline-script hashes stay as they are.
 */
export function logoutForm(user: string): string {
  return `<form class="logout" method="post" action="${LOGOUT_PATH}"><span class="user">${escapeHtml(user)}</span> <button type="submit">Log out</button></form>`;
}

/** The fields of the page's offer, ICE configuration included (a page with an offer is never cached). */
function pageOfferJson(offer: PageOffer): PageOffer {
  return {
    ticket: offer.ticket,
    sdp: offer.sdp,
    ...(offer.iceServers ? { iceServers: offer.iceServers } : {}),
    ...(offer.iceTransportPolicy ? { iceTransportPolicy: offer.iceTransportPolicy } : {}),
  };
}

/**
 * The page for `camera`. The name is untrusted text here (it comes from the configuration): it only
 * appears HTML-escaped, in element text and quoted attributes; the scripts read it from the DOM.
 * `offer` goes in an attribute as JSON (web/src/earlySignaling.ts reads it): JSON keeps the SDP's
 * CRLF line ends, which the HTML parser would turn into LF in raw attribute text.
 */
export function renderCameraPage(camera: string, assets: CameraPageAssets, offer?: PageOffer, viewer: CameraPageViewer = {}): string {
  const name = escapeHtml(camera);
  const logout = viewer.user === undefined ? '' : logoutForm(viewer.user);
  const offerAttribute = offer ? ` data-offer="${escapeHtml(JSON.stringify(pageOfferJson(offer)))}"` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<script data-camera="${name}"${offerAttribute}>${assets.earlyScript}</script>
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · camrtc</title>
<link rel="icon" href="data:,">
<style>${assets.css}</style>
</head>
<body data-page="camera">
<header><h1><a href="/">camrtc</a> <span class="sep">/</span> <span data-camera-name>${name}</span></h1>${logout}</header>
<main class="single"><camrtc-player class="full" camera="${name}" controls></camrtc-player></main>
<script type="module">${assets.playerScript}</script>
</body>
</html>
`;
}
