import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClientMessage } from '../../../shared/protocol.js';
import { talkMessage } from '../../../server/src/signaling/sessionMessages.js';

test('talk and stoptalk are client messages of a session', () => {
  assert.deepEqual(parseClientMessage('{"type":"talk","id":"s1"}'), { ok: true, message: { type: 'talk', id: 's1' } });
  assert.deepEqual(parseClientMessage('{"type":"stoptalk","id":"s1"}'), { ok: true, message: { type: 'stoptalk', id: 's1' } });
  const bad = parseClientMessage('{"type":"talk"}');
  assert.equal(bad.ok, false);
});

test('the talk message carries the holder and a redacted error', () => {
  assert.deepEqual(talkMessage('s1', { state: 'busy', holder: 'alice' }), { type: 'talk', id: 's1', state: 'busy', holder: 'alice' });
  const ended = talkMessage('s1', { state: 'idle', error: { code: 'ERR_RTSP_BAD_STATUS', message: 'rtsp://admin:secret@10.0.0.5/cam refused SETUP' } });
  assert.equal(ended.type, 'talk');
  assert.ok(ended.type === 'talk' && ended.error && !ended.error.message.includes('secret'));
});
