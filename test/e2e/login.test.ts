/// <reference lib="dom" />
/**
 * Logging in and out of the built-in pages in headless Chromium (issue 14), with camrtc started from
 * its command line and a configuration whose only user is made here: a visitor who opens a camera page
 * is sent to the login form, a wrong password is said so, the right one brings them back to the camera
 * and its video decodes; the cookie is out of the page's reach (HttpOnly) and SameSite=Strict; the
 * logout button ends the session, and the camera page then sends to the login form again, with no video.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium, measureVideo, waitForFirstFrame } from './support/browser.js';
import { hashPassword } from '../../server/src/auth/passwordHash.js';

const missing = browserMissing();
const PASSWORD = 'Login-e2e S3cret';

describe('log in and out of the camera page in Chromium', { skip: missing }, () => {
  let browser: Browser;
  let camrtc: CamrtcProcess;
  let dir: string;

  before(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'camrtc-login-'));
    const config = join(dir, 'camrtc.yaml');
    writeFileSync(
      config,
      ['auth:', '  users:', '    - name: alice', `      passwordHash: '${await hashPassword(PASSWORD)}'`, '      permissions: { view: ["demo"] }', ''].join('\n'),
    );
    // No cameras configured: the built-in demo camera is served.
    camrtc = await CamrtcProcess.start(['--config', config]);
  });
  after(async () => {
    await camrtc?.stop();
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('camera page -> login form -> the video plays -> log out -> the camera page asks for a login again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const loginPosts: Array<Record<string, string>> = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') loginPosts.push({ url: r.url(), ...r.headers() });
    });
    try {
      const base = camrtc.url;
      await page.goto(`${base}/camera/demo`);
      assert.equal(page.url(), `${base}/login?next=%2Fcamera%2Fdemo`);
      assert.equal((await measureVideo(page, 100)).found, false, 'no player on the login page');

      // A wrong password: said so, on the same form, still bound for the camera.
      await page.fill('input[name=user]', 'alice');
      await page.fill('input[name=password]', 'not the password');
      await Promise.all([page.waitForURL(`${base}/login`), page.click('button[type=submit]')]);
      assert.equal(await page.textContent('[data-login-error]'), 'Wrong user name or password.');
      assert.equal(await page.inputValue('input[name=next]'), '/camera/demo');

      await page.fill('input[name=user]', 'alice');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(`${base}/camera/demo`), page.click('button[type=submit]')]);
      // The browser posted the form with this server's origin (the check that stops login CSRF).
      assert.equal(loginPosts.at(-1)?.origin, base, JSON.stringify(loginPosts.at(-1)));

      assert.ok(await waitForFirstFrame(page, 15_000), `no frame decoded; ${JSON.stringify(await measureVideo(page, 100))}`);
      const progress = await measureVideo(page, 1500);
      assert.ok(progress.frames >= 5 && progress.mediaTimeAdvanced, JSON.stringify(progress));

      const [cookie] = (await context.cookies()).filter((c) => c.name === 'camrtc_session');
      assert.ok(cookie, 'the session cookie is set');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.path, '/');
      assert.equal(await page.evaluate(() => document.cookie.includes('camrtc_session')), false, 'page scripts cannot read it');
      assert.equal((await page.textContent('header .logout .user'))?.trim(), 'alice');

      // The camera grid shows the user and the logout button too (web/src/app.ts, /api/session).
      await page.goto(`${base}/`);
      await page.waitForSelector('header form.logout button', { timeout: 10_000 });
      assert.equal((await page.textContent('header .logout .user'))?.trim(), 'alice');

      await page.goto(`${base}/camera/demo`);
      await Promise.all([page.waitForURL(`${base}/login`), page.click('header form.logout button')]);
      assert.equal(loginPosts.at(-1)?.origin, base);
      assert.equal((await context.cookies()).filter((c) => c.name === 'camrtc_session').length, 0, 'the cookie is gone');

      await page.goto(`${base}/camera/demo`);
      assert.equal(page.url(), `${base}/login?next=%2Fcamera%2Fdemo`);
      assert.equal((await measureVideo(page, 500)).found, false, 'no video after logout');

      // The old cookie, put back by hand, is dead on the server too.
      await context.addCookies([{ ...cookie, expires: -1 }]);
      await page.goto(`${base}/camera/demo`);
      assert.equal(page.url(), `${base}/login?next=%2Fcamera%2Fdemo`);
      assert.ok(!camrtc.rawOutput.join('\n').includes(PASSWORD), 'the password is in no log line');
    } finally {
      await context.close();
    }
  });
});
