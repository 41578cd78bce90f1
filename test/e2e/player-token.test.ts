/// <reference lib="dom" />
/**
 * A scoped viewer token in Chromium, as a web app embeds camrtc without logins for its visitors:
 * camrtc runs with an auth section whose anonymous entry allows nothing; the app's backend mints a
 * token with `camrtc token --camera demo --origin SITE` (the real bin); a page on another origin
 * embeds `<camrtc-player token=...>`. That player decodes frames; the same token for another camera,
 * an expired token and no token at all are refused with a readable sentence and its code on the
 * player, which stays refused instead of reconnecting.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium } from './support/browser.js';
import { distPath } from '../helpers/paths.js';

const missing = browserMissing();

/** Another origin: one page embedding one player for ?camera= with ?token= (when given). */
async function embeddingSite(): Promise<{ server: Server; origin: string; setCamrtc: (url: string) => void }> {
  let camrtcUrl = '';
  const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const token = query.get('token');
    const player = `<camrtc-player id="p" server="${escape(camrtcUrl)}" camera="${escape(query.get('camera') ?? '')}"${token ? ` token="${escape(token)}"` : ''}></camrtc-player>`;
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><html><body>\n<script type="module" src="${camrtcUrl}/camrtc-player.js"></script>\n${player}\n</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin, setCamrtc: (url) => (camrtcUrl = url) };
}

/** `camrtc token ARGS` from the build; the token it prints. */
function mintWithCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distPath('server/src/main.js'), 'token', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`camrtc token exited ${code}: ${stderr}`))));
  });
}

interface PlayerView {
  state: string;
  status: string;
  code: string | undefined;
  frames: number;
}

/** The player's state, its status line as shown, its error code, and frames decoded in `ms`. */
function playerView(page: Page, ms: number): Promise<PlayerView> {
  return page.evaluate(async (duration) => {
    const player = document.getElementById('p') as HTMLElement & { state: string; error: { code?: string } | null; video: HTMLVideoElement };
    let frames = 0;
    const onFrame = (): void => {
      frames++;
      player.video.requestVideoFrameCallback(onFrame);
    };
    player.video.requestVideoFrameCallback(onFrame);
    await new Promise((r) => setTimeout(r, duration));
    const status = player.shadowRoot!.querySelector('[part=status]') as HTMLElement;
    return { state: player.state, status: status.hidden ? '' : (status.textContent ?? ''), code: player.error?.code, frames };
  }, ms);
}

async function waitForState(page: Page, state: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction((wanted) => (document.getElementById('p') as (HTMLElement & { state: string }) | null)?.state === wanted, state, { timeout: timeoutMs });
}

describe('<camrtc-player token=...> on another origin', { skip: missing }, () => {
  let browser: Browser;
  let camrtc: CamrtcProcess;
  let site: Awaited<ReturnType<typeof embeddingSite>>;
  let dir: string;
  let config: string;

  before(async () => {
    browser = await launchChromium();
    site = await embeddingSite();
    dir = mkdtempSync(join(tmpdir(), 'camrtc-e2e-token-'));
    const keyFile = join(dir, 'token.key');
    writeFileSync(keyFile, 'e2e-viewer-token-key-0123456789abcdef\n');
    config = join(dir, 'camrtc.yml');
    writeFileSync(
      config,
      [
        'demo: true',
        'cameras:',
        '  yard: rtsp://127.0.0.1:9/yard',
        `allowedOrigins: ["${site.origin}"]`,
        'auth:',
        '  anonymous: {}',
        '  tokenKeys:',
        `    - { id: e2e, secretFile: "${keyFile}" }`,
        '',
      ].join('\n'),
    );
    camrtc = await CamrtcProcess.start(['--config', config]);
    site.setCamrtc(camrtc.url);
  });
  after(async () => {
    await camrtc?.stop();
    await browser?.close();
    await new Promise((r) => site?.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (camera: string, token?: string): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/?camera=${camera}${token ? `&token=${encodeURIComponent(token)}` : ''}`);
    return page;
  };

  it("plays its camera: frames are decoded in the embedding page", async () => {
    const token = await mintWithCli(['--camera', 'demo', '--ttl', '10m', '--origin', site.origin, '--subject', 'e2e-visitor', '--config', config]);
    const page = await open('demo', token);
    try {
      await waitForState(page, 'live');
      const view = await playerView(page, 1500);
      assert.ok(view.frames >= 5, `only ${view.frames} frames in 1.5 s`);
      assert.equal(view.state, 'live');
    } finally {
      await page.close();
    }
    const logs = camrtc.rawOutput.join('\n');
    assert.ok(!logs.includes(token.split('.')[2]), 'the token is not in the logs');
  });

  it('the same token for another camera is refused on the player with a readable message and its code, and stays refused', async () => {
    const token = await mintWithCli(['--camera', 'demo', '--ttl', '10m', '--origin', site.origin, '--config', config]);
    const page = await open('yard', token);
    try {
      await waitForState(page, 'error');
      const view = await playerView(page, 3000);
      assert.deepEqual(view, { state: 'error', status: 'Not allowed to watch yard (ERR_FORBIDDEN)', code: 'ERR_FORBIDDEN', frames: 0 });
    } finally {
      await page.close();
    }
  });

  it('an expired token is refused as expired', async () => {
    const token = await mintWithCli(['--camera', 'demo', '--ttl', '1s', '--origin', site.origin, '--config', config]);
    await new Promise((r) => setTimeout(r, 1500));
    const page = await open('demo', token);
    try {
      await waitForState(page, 'error');
      const view = await playerView(page, 1000);
      assert.deepEqual(view, { state: 'error', status: 'Not allowed to watch demo: the token has expired (ERR_AUTH_INVALID)', code: 'ERR_AUTH_INVALID', frames: 0 });
    } finally {
      await page.close();
    }
  });

  it('without a token the player asks for a login, and a token given later starts it', async () => {
    const page = await open('demo');
    try {
      await waitForState(page, 'error');
      const view = await playerView(page, 500);
      assert.equal(view.status, 'Log in to watch demo (ERR_AUTH_REQUIRED)');
      const token = await mintWithCli(['--camera', 'demo', '--ttl', '10m', '--config', config]);
      await page.evaluate((t) => document.getElementById('p')!.setAttribute('token', t), token);
      await waitForState(page, 'live');
    } finally {
      await page.close();
    }
  });
});
