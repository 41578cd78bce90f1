/**
 * Browser logins over real HTTP (issue 14): the login form, the session cookie and what it opens, the
 * same answer for a wrong password and an unknown user, failed logins slowed then refused per client
 * address, logout ending the session on the server, no open redirect, and no login or logout posted
 * from another site. The App runs with an auth section whose user's hash is made here; each test that
 * fails logins uses its own loopback source address, so the throttle of one does not touch another.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { rawRequest, type RawResponse } from '../../helpers/rawHttp.js';
import { makeCertificate, opensslMissing } from '../../helpers/tlsFiles.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PASSWORD = 'correct horse battery';
/** Small numbers so the test is fast: 2 free failures, then 150 ms, 300 ms, ...; refused at 5. */
const THROTTLE = { freeFailures: 2, baseDelayMs: 150, maxDelayMs: 400, hardCap: 5, windowMs: 60_000, maxPending: 3 };

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const header = (res: RawResponse, name: string): string => {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join('\n') : (value ?? '');
};
/** `camrtc_session=VALUE` from a Set-Cookie header, for the Cookie header of later requests. */
const cookieOf = (res: RawResponse): string => header(res, 'set-cookie').split(';')[0]!;

describe('browser login', () => {
  let app: App;
  let port: number;
  let origin: string;

  before(async () => {
    app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: true,
        logLevel: 'silent',
        webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
        auth: { users: [{ name: 'alice', passwordHash: await hashPassword(PASSWORD), permissions: { view: ['demo'] } }] },
      }),
      { logger: silentLogger(), loginThrottle: THROTTLE },
    );
    port = app.port;
    origin = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.close();
  });

  const get = (path: string, headers: Record<string, string> = {}, localAddress?: string) =>
    rawRequest({ port, path, localAddress, headers: { Host: `127.0.0.1:${port}`, ...headers } });
  const post = (path: string, body: string, headers: Record<string, string> = {}, localAddress = '127.0.0.1') =>
    rawRequest({
      port,
      path,
      method: 'POST',
      body,
      localAddress,
      headers: { Host: `127.0.0.1:${port}`, Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    });
  const login = (user: string, password: string, localAddress?: string, next = '/camera/demo') => post('/login', form({ user, password, next }), {}, localAddress);

  it('the login page is a plain form with no script, never cached, carrying where to go back to', async () => {
    const res = await get('/login?next=%2Fcamera%2Fdemo');
    assert.equal(res.status, 200);
    assert.match(header(res, 'content-type'), /text\/html/);
    assert.equal(header(res, 'cache-control'), 'no-store');
    assert.match(header(res, 'content-security-policy'), /default-src 'none'/);
    assert.match(header(res, 'content-security-policy'), /form-action 'self'/);
    assert.match(header(res, 'content-security-policy'), /frame-ancestors 'none'/);
    assert.doesNotMatch(res.body, /<script/i);
    assert.match(res.body, /<form class="login-form" method="post" action="\/login">/);
    assert.match(res.body, /<input type="hidden" name="next" value="\/camera\/demo">/);
    assert.match(res.body, /name="password" type="password" autocomplete="current-password"/);
    // Under no-referrer a browser posts the form with `Origin: null`, which the CSRF check refuses.
    assert.equal(header(res, 'referrer-policy'), 'same-origin');
  });

  it('a right password sets an HttpOnly SameSite=Strict cookie that opens the camera page and the camera list', async () => {
    // Without it: the camera page sends to the login page, the list says to log in.
    assert.equal((await get('/camera/demo')).headers.location, '/login?next=%2Fcamera%2Fdemo');
    assert.equal((await get('/api/cameras')).status, 401);

    const res = await login('alice', PASSWORD);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/camera/demo');
    const setCookie = header(res, 'set-cookie');
    assert.match(setCookie, /^camrtc_session=[A-Za-z0-9_-]{43}; /);
    const flags = setCookie.split('; ').slice(1);
    assert.ok(flags.includes('HttpOnly'), setCookie);
    assert.ok(flags.includes('SameSite=Strict'), setCookie);
    assert.ok(flags.includes('Path=/'), setCookie);
    assert.ok(!flags.includes('Secure'), 'no Secure flag on a plain HTTP server (the browser would drop the cookie)');
    assert.ok(!setCookie.includes(PASSWORD));

    const cookie = cookieOf(res);
    const page = await get('/camera/demo', { Cookie: cookie });
    assert.equal(page.status, 200);
    assert.equal(header(page, 'referrer-policy'), 'same-origin', 'its logout form must carry the Origin');
    assert.match(page.body, /<camrtc-player class="full" camera="demo" controls>/);
    assert.match(page.body, /<form class="logout" method="post" action="\/logout"><span class="user">alice<\/span> <button type="submit">Log out<\/button><\/form>/);
    const list = await get('/api/cameras', { Cookie: cookie });
    assert.equal(list.status, 200);
    assert.deepEqual((JSON.parse(list.body) as Array<{ name: string }>).map((c) => c.name), ['demo']);
    const session = await get('/api/session', { Cookie: cookie });
    assert.deepEqual(JSON.parse(session.body), { user: 'alice', permissions: { view: ['demo'] } });
    assert.deepEqual(JSON.parse((await get('/api/session')).body), { anonymous: true, permissions: {}, login: true });
  });

  it('a wrong password and an unknown user get the identical answer, and no cookie', async () => {
    const wrong = await login('alice', 'wrong password', '127.0.0.3');
    const nobody = await login('mallory', 'wrong password', '127.0.0.4');
    for (const res of [wrong, nobody]) {
      assert.equal(res.status, 401);
      assert.equal(header(res, 'x-camrtc-error'), 'ERR_AUTH_INVALID');
      assert.equal(header(res, 'set-cookie'), '');
      assert.match(res.body, /<p class="notice error" role="alert" data-login-error>Wrong user name or password\.<\/p>/);
      assert.match(res.body, /value="\/camera\/demo"/, 'the form still goes back to the page asked for');
    }
    assert.equal(wrong.body, nobody.body);
    assert.deepEqual(
      Object.keys(wrong.headers).filter((h) => h !== 'date').sort(),
      Object.keys(nobody.headers).filter((h) => h !== 'date').sort(),
    );
    assert.doesNotMatch(wrong.body, /alice|mallory/, 'the name typed is not echoed');
  });

  it('failed logins from one address are slowed, then refused at once with 429 and Retry-After', async () => {
    const address = '127.0.0.5';
    const timed = async (password: string): Promise<{ res: RawResponse; ms: number }> => {
      const started = performance.now();
      const res = await login('alice', password, address);
      return { res, ms: performance.now() - started };
    };
    const free = [await timed('guess 1'), await timed('guess 2')];
    for (const { res } of free) assert.equal(res.status, 401);
    // The third and later attempts wait 150 ms, then 300 ms, from the last failure.
    const third = await timed('guess 3');
    assert.equal(third.res.status, 401);
    assert.ok(third.ms >= 140, `the third attempt waited ${third.ms.toFixed(0)} ms`);
    const fourth = await timed('guess 4');
    assert.ok(fourth.ms >= 290, `the fourth attempt waited ${fourth.ms.toFixed(0)} ms`);
    await timed('guess 5');

    // At the hard cap: refused at once, without a password check.
    const refused = await timed('guess 6');
    assert.equal(refused.res.status, 429);
    assert.ok(refused.ms < 100, `a refusal is immediate (${refused.ms.toFixed(0)} ms)`);
    assert.equal(header(refused.res, 'x-camrtc-error'), 'ERR_AUTH_THROTTLED');
    assert.equal(header(refused.res, 'retry-after'), '60');
    assert.match(refused.res.body, /Too many failed logins from this address: try again in 60 seconds\./);
    assert.equal(header(refused.res, 'set-cookie'), '');

    // The same count guards Authorization: Basic (scripts, WHEP players) from that address.
    const basic = await get('/api/cameras', { Authorization: `Basic ${Buffer.from('alice:guess 7').toString('base64')}` }, address);
    assert.equal(basic.status, 429);
    assert.equal(header(basic, 'x-camrtc-error'), 'ERR_AUTH_THROTTLED');
    assert.ok(Number(header(basic, 'retry-after')) >= 59, header(basic, 'retry-after'));

    // Another address is not affected.
    const elsewhere = await login('alice', PASSWORD, '127.0.0.6');
    assert.equal(elsewhere.status, 303);
  });

  it('attempts fired in parallel from one address gain nothing: none is queued, the cap still holds', async () => {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login('alice', `parallel ${i}`, '127.0.0.7')));
    const statuses = answers.map((r) => r.status);
    // Running attempts count toward the cap, and at most maxPending run or wait at a time.
    const checked = statuses.filter((s) => s === 401).length;
    assert.ok(checked >= 1 && checked <= THROTTLE.hardCap, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 12 - checked, statuses.join(' '));
    for (const r of answers.filter((a) => a.status === 429)) assert.ok(Number(header(r, 'retry-after')) >= 1);
    assert.ok(performance.now() - started < 3000);
  });

  it('logout ends the session on the server: the old cookie opens nothing', async () => {
    const cookie = cookieOf(await login('alice', PASSWORD));
    assert.equal((await get('/camera/demo', { Cookie: cookie })).status, 200);

    const out = await post('/logout', '', { Cookie: cookie });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/login');
    assert.match(header(out, 'set-cookie'), /^camrtc_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);

    // A browser would drop the cookie; one that kept it (or a copy) gets nothing.
    const page = await get('/camera/demo', { Cookie: cookie });
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/login?next=%2Fcamera%2Fdemo');
    assert.equal((await get('/api/cameras', { Cookie: cookie })).status, 401);
    assert.deepEqual(JSON.parse((await get('/api/session', { Cookie: cookie })).body), { anonymous: true, permissions: {}, login: true });
  });

  it('a login never redirects to another site, whatever `next` says', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'http:/evil.example', ' /camera/demo', '/\t/evil.example', 'javascript:alert(1)']) {
      const res = await login('alice', PASSWORD, '127.0.0.1', next);
      assert.equal(res.status, 303, next);
      assert.equal(res.headers.location, '/', `next=${JSON.stringify(next)}`);
      const page = await get(`/login?next=${encodeURIComponent(next)}`);
      assert.match(page.body, /<input type="hidden" name="next" value="\/">/, next);
    }
    const inside = await login('alice', PASSWORD, '127.0.0.1', '/camera/demo?stats=1');
    assert.equal(inside.headers.location, '/camera/demo?stats=1');
    const escaped = await get(`/login?next=${encodeURIComponent('/x"><script>alert(1)</script>')}`);
    assert.doesNotMatch(escaped.body, /<script>/);
  });

  it('a login or logout posted from another origin is refused (login CSRF, forced logout)', async () => {
    const crossLogin = await post('/login', form({ user: 'alice', password: PASSWORD }), { Origin: 'http://evil.example' });
    assert.equal(crossLogin.status, 403);
    assert.equal(header(crossLogin, 'x-camrtc-error'), 'ERR_FORBIDDEN');
    assert.equal(header(crossLogin, 'set-cookie'), '');
    assert.match(crossLogin.body, /a form from http:\/\/evil\.example may not log in or out of this camrtc server/);
    // An opaque origin (a sandboxed frame, a no-referrer page) is not this server either.
    assert.equal((await post('/login', form({ user: 'alice', password: PASSWORD }), { Origin: 'null' })).status, 403);
    // The same host on another port is another origin.
    assert.equal((await post('/login', form({ user: 'alice', password: PASSWORD }), { Origin: `http://127.0.0.1:${port + 1}` })).status, 403);

    const cookie = cookieOf(await login('alice', PASSWORD));
    const crossLogout = await post('/logout', '', { Cookie: cookie, Origin: 'http://evil.example' });
    assert.equal(crossLogout.status, 403);
    assert.equal((await get('/camera/demo', { Cookie: cookie })).status, 200, 'the session is still alive');
  });

  it('a body that is not the login form gets the form again, and the server carries on', async () => {
    const huge = await post('/login', form({ user: 'alice', password: 'x'.repeat(20_000) }));
    assert.equal(huge.status, 413);
    assert.match(huge.body, /The login form could not be read/);
    const json = await post('/login', JSON.stringify({ user: 'alice', password: PASSWORD }), { 'Content-Type': 'application/json' }, '127.0.0.8');
    assert.equal(json.status, 401);
    assert.equal((await login('alice', PASSWORD)).status, 303);
  });
});

describe('browser login on a server without users', () => {
  it('GET /login says no logins are configured; /api/session says anonymous with no login', async () => {
    const app = await App.start(loadConfig({ host: '127.0.0.1', port: 0, demo: false, logLevel: 'silent', webrtc: { udpPort: 0 } }), { logger: silentLogger() });
    try {
      const page = await rawRequest({ port: app.port, path: '/login', headers: { Host: `127.0.0.1:${app.port}` } });
      assert.equal(page.status, 404);
      assert.match(page.body, /This server has no user logins configured/);
      const session = await rawRequest({ port: app.port, path: '/api/session', headers: { Host: `127.0.0.1:${app.port}` } });
      const info = JSON.parse(session.body) as { anonymous: boolean; login: boolean };
      assert.equal(info.anonymous, true);
      assert.equal(info.login, false);
    } finally {
      await app.close();
    }
  });
});

describe('browser login over TLS', { skip: opensslMissing() }, () => {
  it('the session cookie is Secure, and the form posted from the https origin is accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-login-tls-'));
    const certificate = makeCertificate('camrtc-login');
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
    writeFileSync(files.cert, certificate.cert);
    writeFileSync(files.key, certificate.key);
    const app = await App.start(
      loadConfig({
        host: '127.0.0.1',
        port: 0,
        demo: false,
        logLevel: 'silent',
        webrtc: { udpPort: 0 },
        tls: files,
        auth: { users: [{ name: 'alice', passwordHash: await hashPassword(PASSWORD, 'scrypt'), permissions: { view: ['*'] } }] },
      }),
      { logger: silentLogger() },
    );
    try {
      const res = await new Promise<{ status: number; setCookie: string[] }>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: app.port,
            path: '/login',
            method: 'POST',
            ca: certificate.cert,
            headers: { Origin: `https://127.0.0.1:${app.port}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          },
          (r) => {
            r.resume();
            r.on('end', () => resolve({ status: r.statusCode ?? 0, setCookie: r.headers['set-cookie'] ?? [] }));
          },
        );
        req.on('error', reject);
        req.end(form({ user: 'alice', password: PASSWORD, next: '/' }));
      });
      assert.equal(res.status, 303);
      assert.equal(res.setCookie.length, 1);
      assert.match(res.setCookie[0]!, /; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
