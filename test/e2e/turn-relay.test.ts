/// <reference lib="dom" />
/**
 * TURN with real parts: Debian's coturn on loopback with a shared secret (TURN REST), camrtc started
 * as a user starts it (--turn, --turn-secret-file), and headless Chromium forced to relay-only. The
 * demo camera must play through the TURN server: frames decode and advance, and the browser's
 * selected candidate pair has a local candidate of type `relay`. Two ways to force relay: the
 * server's --ice-transport-policy (the camera page, its early script answering the page's offer),
 * and the player's ice-transport-policy attribute (another page, the socket's offer). A server whose
 * secret does not match the TURN server's gets a player that says why it cannot connect.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { Coturn } from './support/Coturn.js';
import { browserMissing, launchChromium, measureVideo, waitForFirstFrame } from './support/browser.js';
import { waitFor } from '../integration/webrtc/helpers/waitFor.js';

const missing = Coturn.missing() ?? browserMissing();
const SECRET = 'e2e-turn-secret-0123456789abcdef';

/** Keeps every RTCPeerConnection the page makes (the early script's and the player's) in window.__pcs. */
const RECORD_PEER_CONNECTIONS = `(() => {
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
})();`;

interface SelectedPath {
  connected: number;
  localType?: string;
  remoteType?: string;
  localTypes: string[];
  relayProtocol?: string;
}

/** The connected peer connection's selected pair, from getStats, and every local candidate type it gathered. */
function selectedPath(page: Page): Promise<SelectedPath> {
  return page.evaluate(async () => {
    const pcs = ((window as unknown as { __pcs: RTCPeerConnection[] }).__pcs ?? []).filter((pc) => pc.connectionState === 'connected');
    const result: SelectedPath = { connected: pcs.length, localTypes: [] };
    const pc = pcs[pcs.length - 1];
    if (!pc) return result;
    const stats = await pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
    for (const s of byId.values()) if (s.type === 'local-candidate') result.localTypes.push(String(s.candidateType));
    const transport = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = transport ? byId.get(transport.selectedCandidatePairId as string) : undefined;
    const local = pair ? byId.get(pair.localCandidateId as string) : undefined;
    const remote = pair ? byId.get(pair.remoteCandidateId as string) : undefined;
    if (local) result.localType = String(local.candidateType);
    if (local?.relayProtocol) result.relayProtocol = String(local.relayProtocol);
    if (remote) result.remoteType = String(remote.candidateType);
    return result;
  });
}

async function assertPlaysThroughRelay(page: Page, what: string): Promise<void> {
  assert.ok(await waitForFirstFrame(page, 20_000), `${what}: no frame decoded within 20 s (${(await measureVideo(page, 100)).status})`);
  const progress = await measureVideo(page, 1500);
  assert.ok(progress.width > 0 && progress.height > 0, `${what}: the video has a size (${progress.width}x${progress.height})`);
  assert.ok(progress.frames >= 5 && progress.mediaTimeAdvanced, `${what}: frames keep coming (${progress.frames} in 1.5 s)`);
  const path = await selectedPath(page);
  assert.ok(path.connected >= 1, `${what}: a connected peer connection`);
  assert.equal(path.localType, 'relay', `${what}: the selected pair's local candidate is the TURN relay (${JSON.stringify(path)})`);
  assert.ok(path.localTypes.length > 0 && path.localTypes.every((t) => t === 'relay'), `${what}: relay-only gathered relay candidates only (${path.localTypes.join(', ')})`);
}

/** camrtc with the TURN server's URL and the secret in a file, as the README shows. */
async function startCamrtc(dir: string, turn: Coturn, secret: string, extra: string[] = []): Promise<CamrtcProcess> {
  const file = join(dir, `turn-secret-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return CamrtcProcess.start(['--demo', '--turn', turn.url, '--turn-secret-file', file, ...extra]);
}

function assertSecretNotLogged(camrtc: CamrtcProcess, secret: string): void {
  const leaked = camrtc.rawOutput.filter((line) => line.includes(secret));
  assert.deepEqual(leaked, [], 'the TURN secret appears in no log line');
}

describe('TURN: Chromium forced to relay-only plays the demo camera through coturn', { skip: missing }, () => {
  let browser: Browser;
  let turn: Coturn;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrtc-turn-e2e-'));
    turn = await Coturn.start({ secret: SECRET });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await turn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the camera page, with the server's --ice-transport-policy relay", async () => {
    const camrtc = await startCamrtc(dir, turn, SECRET, ['--ice-transport-policy', 'relay']);
    const page = await browser.newPage();
    try {
      await page.addInitScript(RECORD_PEER_CONNECTIONS);
      await page.goto(`${camrtc.url}/camera/demo`);
      await assertPlaysThroughRelay(page, '/camera/demo');
      assert.ok(camrtc.logs.some((l) => l.msg === 'the TURN server gives camrtc a relay'), "the server's probe got a relay from coturn");
      // Again, now that the camera is live: the page comes with an offer that its early script
      // answers before its socket is open, so the offer carries the viewer's TURN credential.
      await page.reload();
      const offer = await page.evaluate(() => {
        const text = document.querySelector<HTMLScriptElement>('script[data-offer]')?.dataset.offer;
        return text ? (JSON.parse(text) as { iceServers?: Array<{ urls: string[]; username?: string }>; iceTransportPolicy?: string }) : undefined;
      });
      assert.ok(offer, 'the reloaded page carries an offer');
      assert.equal(offer.iceTransportPolicy, 'relay');
      assert.deepEqual(offer.iceServers?.map((s) => s.urls), [[turn.url]]);
      assert.match(offer.iceServers?.[0]?.username ?? '', /^\d{10}:anonymous$/, 'a TURN REST username: expiry, then who');
      await assertPlaysThroughRelay(page, '/camera/demo with the page\'s offer');
      assertSecretNotLogged(camrtc, SECRET);
    } finally {
      await page.close();
      await camrtc.stop();
    }
  });

  it('a page on another origin, with the player\'s ice-transport-policy="relay" attribute', async () => {
    const camrtc = await startCamrtc(dir, turn, SECRET);
    const page = await browser.newPage();
    try {
      await page.addInitScript(RECORD_PEER_CONNECTIONS);
      // A page of camrtc's own without a player (its 404 page): the test adds one, as a site's page would.
      await page.goto(`${camrtc.url}/no-such-page`);
      await page.evaluate(async (url) => {
        await import(`${url}/camrtc-player.js`);
        const player = document.createElement('camrtc-player');
        player.setAttribute('camera', 'demo');
        player.setAttribute('ice-transport-policy', 'relay');
        document.body.append(player);
      }, camrtc.url);
      await assertPlaysThroughRelay(page, '<camrtc-player ice-transport-policy="relay">');
      assertSecretNotLogged(camrtc, SECRET);
    } finally {
      await page.close();
      await camrtc.stop();
    }
  });

  it('a secret that does not match the TURN server leaves the player saying why it cannot connect', async () => {
    const camrtc = await startCamrtc(dir, turn, 'not-the-turn-servers-secret-000000', ['--ice-transport-policy', 'relay']);
    const page = await browser.newPage();
    try {
      await page.goto(`${camrtc.url}/camera/demo`);
      const status = await page.waitForFunction(
        () => {
          const player = document.querySelector('camrtc-player') as (HTMLElement & { state: string; error: { message: string } | null }) | null;
          return player && player.state !== 'connecting' && player.state !== 'live' ? { state: player.state, message: player.error?.message ?? '' } : undefined;
        },
        undefined,
        { timeout: 20_000 },
      );
      const { state, message } = (await status.jsonValue())!;
      assert.equal(state, 'reconnecting', 'the player retries');
      assert.match(message, /TURN server turn:127\.0\.0\.1:\d+\?transport=udp answered 401/, `the reason names the TURN server and its refusal (${message})`);
      // Media through any other path would show as frames coming at the camera's rate (25 a second).
      // Once in a full-suite run (not reproduced since) one frame was presented in this window with
      // the player already failed: a stray frame is tolerated, a playing picture is not.
      const progress = await measureVideo(page, 1000);
      assert.ok(progress.frames <= 2, `no picture without the relay (${progress.frames} frames in 1 s)`);
      // The server's own probe of the TURN server says the same to whoever reads the log.
      await waitFor(() => camrtc.logs.some((l) => l.level === 50 && /gave camrtc no relay: it refused the credential/.test(String(l.msg))), 'the TURN probe\'s error in the log', 25_000);
      assertSecretNotLogged(camrtc, SECRET);
    } finally {
      await page.close();
      await camrtc.stop();
    }
  });
});
