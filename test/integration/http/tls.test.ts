/**
 * HTTPS and WSS on camrtc's one port, with real certificates made by openssl: pages, /api and /ws
 * over TLS verified against the certificate, then renewals without a restart (files rewritten in
 * place, and certbot-style symlink swaps), and bad renewals (a key that does not belong to the
 * certificate, half-written files) refused while the previous certificate keeps serving.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { App } from '../../../server/src/App.js';
import { loadConfig, type ConfigInput } from '../../../server/src/config/Config.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { createLogger, silentLogger, type Logger } from '../../../server/src/log/logger.js';
import { makeCertificate, opensslMissing, presentedFingerprint, type TestCertificate } from '../../helpers/tlsFiles.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

/** camrtc's own logger (redaction included), writing to lines the test reads as a user reads the log. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

/** GET over a new TLS connection (no keep-alive), verified against `ca` as the only authority. */
function httpsGet(port: number, path: string, ca: string): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.once('error', reject);
  });
}

/** Polls new connections until they are shown `expected`; resolves with the milliseconds it took. */
async function untilPresented(port: number, expected: TestCertificate, deadlineMs = 8000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await presentedFingerprint(port)) === expected.fingerprint256) return Date.now() - start;
    if (Date.now() - start > deadlineMs) assert.fail(`new connections were not shown ${expected.cn} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const missing = opensslMissing();

describe('camrtc over TLS (--tls-cert, --tls-key)', { skip: missing }, () => {
  let dir: string;
  let first: TestCertificate, second: TestCertificate, third: TestCertificate;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrtc-tls-'));
    first = makeCertificate('camrtc-first');
    second = makeCertificate('camrtc-second');
    third = makeCertificate('camrtc-third');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function config(files: { cert: string; key: string }, extra: ConfigInput = {}) {
    return loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 }, tls: files, ...extra });
  }

  describe('certificate files rewritten in place', () => {
    let app: App;
    let lines: Array<Record<string, unknown>>;
    const files = { cert: '', key: '' };

    before(async () => {
      const sub = mkdtempSync(join(dir, 'inplace-'));
      files.cert = join(sub, 'cert.pem');
      files.key = join(sub, 'key.pem');
      writeFileSync(files.cert, first.cert);
      writeFileSync(files.key, first.key);
      const captured = capturingLogger();
      lines = captured.lines;
      app = await App.start(config(files), { logger: captured.logger });
    });
    after(async () => {
      await app.close();
    });

    it('serves the pages, /healthz and /api/cameras over HTTPS, verified against the certificate', async () => {
      assert.equal(app.url, `https://127.0.0.1:${app.port}`);
      assert.equal(app.secure, true);
      const health = await httpsGet(app.port, '/healthz', first.cert);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
      assert.equal(health.fingerprint, first.fingerprint256);
      const cameras = await httpsGet(app.port, '/api/cameras', first.cert);
      assert.equal(cameras.status, 200);
      assert.deepEqual((JSON.parse(cameras.body) as Array<{ name: string }>).map((c) => c.name), ['demo']);
      const page = await httpsGet(app.port, '/camera/demo', first.cert);
      assert.equal(page.status, 200);
      assert.match(page.body, /<camrtc-player|camrtc/);
      const started = lines.find((l) => String(l.msg).startsWith('TLS: serving certificate'));
      assert.ok(started, 'the start is logged with the certificate served');
      assert.match(String(started.msg), /CN=camrtc-first/);
    });

    it('a plain HTTP request to the TLS port gets no page', async () => {
      await assert.rejects(fetch(`http://127.0.0.1:${app.port}/healthz`));
    });

    it('/ws works over WSS: hello gets welcome', async () => {
      const client = await TestClient.open(`wss://127.0.0.1:${app.port}/ws`, {}, { ca: first.cert });
      try {
        client.send({ type: 'hello', version: 1 });
        const welcome = await client.next('welcome');
        assert.equal(welcome.type, 'welcome');
      } finally {
        await client.close();
      }
    });

    it('renewal without restart: new connections get the new certificate within seconds, an open socket stays', async () => {
      const open = await TestClient.open(`wss://127.0.0.1:${app.port}/ws`, {}, { ca: first.cert });
      try {
        // A renewal tool writing both files in place, one after the other.
        writeFileSync(files.cert, second.cert);
        writeFileSync(files.key, second.key);
        const took = await untilPresented(app.port, second);
        assert.ok(took < 5000, `took ${took} ms`);
        const health = await httpsGet(app.port, '/healthz', second.cert);
        assert.equal(health.status, 200);
        assert.equal(health.fingerprint, second.fingerprint256);
        // The socket opened on the old certificate was not dropped.
        open.send({ type: 'hello', version: 1 });
        await open.next('welcome');
        const reloaded = lines.find((l) => String(l.msg).startsWith('TLS: certificate reloaded'));
        assert.ok(reloaded, 'the reload is logged');
        assert.match(String(reloaded.msg), /CN=camrtc-second/);
      } finally {
        await open.close();
      }
    });

    it('a key that does not belong to the certificate is refused with a log line; the previous certificate keeps serving', async () => {
      writeFileSync(files.cert, third.cert); // the key file still holds the second certificate's key
      await waitFor(() => lines.some((l) => l.level === 40 && String(l.msg).includes('refused')), 'the refusal in the log', 8000);
      const refusal = lines.find((l) => l.level === 40 && String(l.msg).includes('refused'))!;
      assert.match(String(refusal.msg), /does not belong to the certificate/);
      assert.match(String(refusal.msg), /still serving CN=camrtc-second/);
      // Longer than a poll round and the settle time: nothing switched meanwhile.
      await sleep(1500);
      assert.equal(await presentedFingerprint(app.port), second.fingerprint256);
      // The key completes the pair: taken.
      writeFileSync(files.key, third.key);
      await untilPresented(app.port, third);
    });

    it('half-written files (a truncated key) are refused; the served certificate stays', async () => {
      const before = lines.length;
      writeFileSync(files.key, first.key.slice(0, 60));
      writeFileSync(files.cert, first.cert);
      await waitFor(() => lines.slice(before).some((l) => l.level === 40 && String(l.msg).includes('refused')), 'the refusal in the log', 8000);
      assert.equal(await presentedFingerprint(app.port), third.fingerprint256);
      writeFileSync(files.key, first.key);
      await untilPresented(app.port, first);
    });

    it('no log line carries a private key', () => {
      const text = JSON.stringify(lines);
      for (const c of [first, second, third]) {
        // Past the first 48 characters, which are the same ASN.1 header in every P-256 key.
        const body = c.key.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
        for (let i = 48; i + 24 <= body.length; i += 8) assert.ok(!text.includes(body.slice(i, i + 24)), `the key of ${c.cn} is in the log`);
      }
      assert.ok(!text.includes('PRIVATE KEY-----'), 'PEM key text in the log');
    });
  });

  it('certbot-style renewal: live/ symlinks swapped to new archive files by rename', async () => {
    const root = mkdtempSync(join(dir, 'certbot-'));
    const archive = join(root, 'archive');
    const live = join(root, 'live');
    for (const d of [archive, live]) mkdirSync(d);
    writeFileSync(join(archive, 'fullchain1.pem'), first.cert);
    writeFileSync(join(archive, 'privkey1.pem'), first.key);
    symlinkSync('../archive/fullchain1.pem', join(live, 'fullchain.pem'));
    symlinkSync('../archive/privkey1.pem', join(live, 'privkey.pem'));
    const app = await App.start(config({ cert: join(live, 'fullchain.pem'), key: join(live, 'privkey.pem') }, { demo: false }), { logger: silentLogger() });
    try {
      assert.equal(await presentedFingerprint(app.port), first.fingerprint256);
      writeFileSync(join(archive, 'fullchain2.pem'), second.cert);
      writeFileSync(join(archive, 'privkey2.pem'), second.key);
      for (const [name, target] of [['fullchain.pem', 'fullchain2.pem'], ['privkey.pem', 'privkey2.pem']]) {
        symlinkSync(`../archive/${target}`, join(live, `${name}.new`));
        renameSync(join(live, `${name}.new`), join(live, name));
      }
      await untilPresented(app.port, second);
      const health = await httpsGet(app.port, '/healthz', second.cert);
      assert.equal(health.status, 200);
    } finally {
      await app.close();
    }
  });

  it('unreadable files stop the start with the file named', async () => {
    const sub = mkdtempSync(join(dir, 'missing-'));
    const cert = join(sub, 'cert.pem');
    writeFileSync(cert, first.cert);
    const key = join(sub, 'nope.pem');
    await assert.rejects(App.start(config({ cert, key }), { logger: silentLogger() }), (err: unknown) => {
      assert.ok(err instanceof CamrtcError);
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      assert.equal(err.message, `cannot read the TLS key ${key}: no such file`);
      return true;
    });
  });

  it('a mismatched pair at start stops the start', async () => {
    const sub = mkdtempSync(join(dir, 'mismatch-'));
    const cert = join(sub, 'cert.pem');
    const key = join(sub, 'key.pem');
    writeFileSync(cert, first.cert);
    writeFileSync(key, second.key);
    await assert.rejects(App.start(config({ cert, key }), { logger: silentLogger() }), /the TLS key .*key\.pem does not belong to the certificate .*cert\.pem/);
  });
});
