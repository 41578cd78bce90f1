import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { redactText, redactUrl } from '../../../server/src/log/redact.js';
import { createLogger } from '../../../server/src/log/logger.js';

describe('credential redaction', () => {
  const cases: Array<[string, string]> = [
    ['rtsp://admin:12345@192.0.2.10:554/Streaming/Channels/101', 'rtsp://admin:***@192.0.2.10:554/Streaming/Channels/101'],
    ['rtsps://user:p%40ss@cam.local/live', 'rtsps://user:***@cam.local/live'],
    ['rtsp://192.0.2.10/stream1', 'rtsp://192.0.2.10/stream1'],
    ['rtsp://onlyuser@192.0.2.10/x', 'rtsp://onlyuser:***@192.0.2.10/x'],
    // Unencoded '@' (and ':', '#', '?') in a password: the userinfo ends at the last '@' before the host.
    ['rtsp://admin:P@ssw0rd@192.0.2.10/x', 'rtsp://admin:***@192.0.2.10/x'],
    ['rtsp://admin:a@b@c@cam.local', 'rtsp://admin:***@cam.local'],
    ['rtsp://admin:p:w#?@192.0.2.10:554/x', 'rtsp://admin:***@192.0.2.10:554/x'],
    ['rtsp://:only@192.0.2.10/x', 'rtsp://***@192.0.2.10/x'],
    ['rtsp://192.0.2.10/x?mail=a@b.example', 'rtsp://192.0.2.10/x?mail=a@b.example'],
    ['srt://u:p@h:9000', 'srt://u:***@h:9000'],
    ['a://b://c:d@h/x', 'a://b://c:***@h/x'],
  ];
  for (const [input, expected] of cases) {
    it(`redactUrl(${input})`, () => assert.equal(redactUrl(input), expected));
  }

  it('redacts URLs inside free text and listed secrets', () => {
    const text = 'connect ECONNREFUSED for rtsp://a:b@h/x (password sekrit)';
    assert.equal(redactText(text, ['sekrit']), 'connect ECONNREFUSED for rtsp://a:***@h/x (password ***)');
  });

  it('redacts each URL of a text, the password with an @ included', () => {
    const text = 'probe rtsp://admin:Pw@2024@192.0.2.1/a failed; retrying rtsps://u:x@y@cam.local:322/b\tand http://h/p@q';
    assert.equal(redactText(text), 'probe rtsp://admin:***@192.0.2.1/a failed; retrying rtsps://u:***@cam.local:322/b\tand http://h/p@q');
  });

  it('a URL in quotes or brackets is redacted up to its host', () => {
    assert.equal(redactText('url "rtsp://a:P@ss@h/x" (rtsp://a:b@c@h)'), 'url "rtsp://a:***@h/x" (rtsp://a:***@h)');
  });

  it('property: whatever the password (no white space, no "/"), it never survives and the rest of the URL does', () => {
    const pwChar = fc.constantFrom(...'abcXYZ0129@:#?%!$&*()[]+=,;\'~"'.split(''));
    const userChar = fc.constantFrom(...'admin_.-%0@'.split(''));
    const host = fc.constantFrom('192.0.2.10', 'cam.local', '[fe80::1]', 'h');
    const port = fc.constantFrom('', ':554', ':8554');
    const path = fc.constantFrom('', '/', '/Streaming/Channels/101', '/live?ch=1&mail=ops@example.org');
    fc.assert(
      fc.property(
        fc.constantFrom('rtsp', 'rtsps', 'RTSP'),
        fc.string({ unit: userChar, maxLength: 8 }),
        fc.string({ unit: pwChar, minLength: 1, maxLength: 24 }),
        host,
        port,
        path,
        fc.constantFrom(['', ''], ['connect to ', ' failed'], ['"', '"'], ['(', ')']),
        (scheme, user, password, h, p, pth, [before, after]) => {
          const userName = user.replace(/@/g, '');
          const url = `${scheme}://${userName}:${password}@${h}${p}${pth}`;
          const expected = `${scheme}://${userName ? `${userName}:***@` : '***@'}${h}${p}${pth}`;
          const out = redactText(`${before}${url}${after}`);
          assert.equal(out, `${before}${expected}${after}`);
          assert.equal(redactUrl(url), expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: texts that are not URLs are unchanged, and redaction is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const once = redactText(s);
        assert.equal(redactText(once), once);
        if (!s.includes('://')) assert.equal(once, s);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...':/@a* '.split('')), maxLength: 40 }), (s) => {
        const once = redactText(s);
        assert.equal(redactText(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  it('a hostile text made of many "://" and ":" is redacted in linear time', () => {
    const text = 'a://b:'.repeat(20_000) + '@'.repeat(10) + 'x.:'.repeat(20_000);
    const t0 = performance.now();
    redactText(text);
    redactText('a.'.repeat(50_000) + '://' + ':'.repeat(100_000));
    assert.ok(performance.now() - t0 < 200, `took ${performance.now() - t0} ms`);
  });

  it('log lines never carry a camera password, in the message, in fields or in errors', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ url: 'rtsp://admin:topsecret@192.0.2.1/x', nested: { u: ['rtsp://x:topsecret@h/'] } }, 'watching rtsp://admin:topsecret@192.0.2.1/x');
    log.error({ err: new Error('failed rtsp://admin:topsecret@192.0.2.1/x') }, 'oops');
    log.info('camera %s', 'rtsp://admin:topsecret@192.0.2.1/x');
    await new Promise((r) => setImmediate(r));
    const all = lines.join('');
    assert.ok(all.includes('admin:***@192.0.2.1'), all);
    assert.ok(!all.includes('topsecret'), all);
  });

  it('a configuration section logged by mistake shows no secret, password or TURN credential', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ turn: { urls: ['turn:t.example'], secret: 'turn-shared-secret' }, camera: { name: 'front', password: 'cam-pass' } }, 'settings');
    log.info({ iceServers: [{ urls: 'turn:t.example', username: '1767225600:anonymous', credential: 'NHItCB1L54z4J0PdCjZRvZ6oNFA=' }] }, 'ice');
    await new Promise((r) => setImmediate(r));
    const all = lines.join('');
    for (const secret of ['turn-shared-secret', 'cam-pass', 'NHItCB1L54z4J0PdCjZRvZ6oNFA=']) assert.ok(!all.includes(secret), all);
    assert.ok(all.includes('"secret":"***"') && all.includes('1767225600:anonymous') && all.includes('turn:t.example'), all);
  });
});
