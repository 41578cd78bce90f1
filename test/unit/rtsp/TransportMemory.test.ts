import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REMEMBERED_TRANSPORTS, TransportMemory } from '../../../server/src/rtsp/TransportMemory.js';

test('transport memory: remembers per camera URL, forgets the oldest beyond its bound', () => {
  const m = new TransportMemory();
  m.set('rtsp://a/x', 'tcp');
  m.set('rtsp://b/x', 'udp');
  assert.equal(m.get('rtsp://a/x'), 'tcp');
  assert.equal(m.get('rtsp://b/x'), 'udp');
  for (let i = 0; i < MAX_REMEMBERED_TRANSPORTS; i++) m.set(`rtsp://cam${i}/x`, 'tcp');
  assert.equal(m.size, MAX_REMEMBERED_TRANSPORTS);
  assert.equal(m.get('rtsp://a/x'), undefined);
  m.forget('rtsp://cam5/x');
  assert.equal(m.get('rtsp://cam5/x'), undefined);
});
