/**
 * The start-up TURN probe against Debian's coturn on loopback (skipped without turnserver): the right
 * secret gets a relay at once (and no public STUN server is asked: gathering takes milliseconds), a
 * wrong one is reported in the log in words and turns TURN off for the server's own peers.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../server/src/log/logger.js';
import { TurnProbe } from '../../../server/src/webrtc/TurnProbe.js';
import { TurnRest } from '../../../server/src/webrtc/TurnRest.js';
import { Coturn } from '../../e2e/support/Coturn.js';

const SECRET = 'probe-turn-secret-0123456789abcdef';

function capture(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

describe('TurnProbe against coturn', { skip: Coturn.missing() }, () => {
  let turn: Coturn;
  before(async () => {
    turn = await Coturn.start({ secret: SECRET });
  });
  after(async () => {
    await turn?.stop();
  });

  it('the shared secret gets a relay, in milliseconds', async () => {
    const { logger, lines } = capture();
    const started = performance.now();
    const { probe, first } = TurnProbe.start({ turn: new TurnRest({ urls: [turn.url], secret: SECRET }), label: 'camrtc', network: { hostAddresses: ['127.0.0.1'] }, logger });
    try {
      assert.equal(await first, true);
      const ms = performance.now() - started;
      assert.ok(ms < 2000, `gathered in ${Math.round(ms)} ms (no public STUN server waited for)`);
      assert.equal(probe.usable, true);
      assert.ok(lines.some((l) => l.msg === 'the TURN server gives camrtc a relay'));
      assert.ok(!JSON.stringify(lines).includes(SECRET));
    } finally {
      await probe.close();
    }
  });

  it('a wrong secret: an error in words, and the server stops using TURN until a probe succeeds', async () => {
    const { logger, lines } = capture();
    const { probe, first } = TurnProbe.start({
      turn: new TurnRest({ urls: [turn.url], secret: 'not-the-shared-secret-000000' }),
      label: 'camrtc',
      network: { hostAddresses: ['127.0.0.1'] },
      logger,
      timeoutMs: 3000,
      retryMs: 60_000,
    });
    try {
      assert.equal(await first, false);
      assert.equal(probe.usable, false);
      const errors = lines.filter((l) => l.level === 50);
      assert.equal(errors.length, 1, JSON.stringify(lines));
      assert.match(String(errors[0]!.msg), new RegExp(`webrtc\\.turn: the TURN server \\(turn:127\\.0\\.0\\.1:${turn.port}\\?transport=udp\\) gave camrtc no relay: it refused the credential`));
      assert.equal(await probe.check(), false, 'asked again: still no relay');
      assert.equal(lines.filter((l) => l.level === 50).length, 1, 'said once, not at every probe');
    } finally {
      await probe.close();
    }
  });
});
