import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { redactText, redactUrl } from '../../../server/src/log/redact.js';
import { createLogger } from '../../../server/src/log/logger.js';

describe('credential redaction', () => {
  const cases: Array<[string, string]> = [
    ['rtsp://admin:12345@192.0.2.10:554/Streaming/Channels/101', 'rtsp://admin:***@192.0.2.10:554/Streaming/Channels/101'],
    ['rtsps://user:p%40ss@cam.local/live', 'rtsps://user:***@cam.local/live'],
    ['rtsp://192.0.2.10/stream1', 'rtsp://192.0.2.10/stream1'],
    ['rtsp://onlyuser@192.0.2.10/x', 'rtsp://onlyuser:***@192.0.2.10/x'],
  ];
  for (const [input, expected] of cases) {
    it(`redactUrl(${input})`, () => assert.equal(redactUrl(input), expected));
  }

  it('redacts URLs inside free text and listed secrets', () => {
    const text = 'connect ECONNREFUSED for rtsp://a:b@h/x (password sekrit)';
    assert.equal(redactText(text, ['sekrit']), 'connect ECONNREFUSED for rtsp://a:***@h/x (password ***)');
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
});
