import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GCM_TAG_BYTES, SrtpGcmProtector } from '../../../server/src/webrtc/SrtpGcmProtector.js';
import { srtpPair } from './srtpPeer.js';

function header(sequence: number, timestamp: number, ssrc: number, marker = false): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | 96;
  h.writeUInt16BE(sequence, 2);
  h.writeUInt32BE(timestamp, 4);
  h.writeUInt32BE(ssrc, 8);
  return h;
}

describe('SrtpGcmProtector (AEAD_AES_128_GCM, RFC 7714)', () => {
  it('werift decrypts and authenticates what it protects, header untouched', () => {
    const { protector, unprotect } = srtpPair();
    const payload = Buffer.from('an H.264 NAL unit, or any bytes at all');
    const h = header(1000, 90000, 0x11223344, true);
    const packet = protector.protect(h, payload, 0);
    assert.equal(packet.length, 12 + payload.length + GCM_TAG_BYTES);
    assert.deepEqual(packet.subarray(0, 12), h);
    assert.notDeepEqual(packet.subarray(12, 12 + payload.length), payload);
    const clear = unprotect(packet);
    assert.deepEqual(clear.subarray(0, 12), h);
    assert.deepEqual(clear.subarray(12), payload);
  });

  it('a changed byte anywhere fails authentication', () => {
    const { protector, unprotect } = srtpPair();
    const packet = protector.protect(header(7, 1, 42), Buffer.alloc(100, 0xab), 0);
    for (const at of [1, 5, 11, 20, packet.length - 1]) {
      const bad = Buffer.from(packet);
      bad[at] ^= 0x01;
      assert.throws(() => unprotect(bad), Error, `byte ${at}`);
    }
  });

  it('counts sequence wraps: packets after 65535 → 0 authenticate with the next rollover counter', () => {
    const { protector, unprotect } = srtpPair();
    const ssrc = 0xcafe;
    for (const [sequence, roc] of [[65533, 0], [65534, 0], [65535, 0], [0, 1], [1, 1], [2, 1]] as const) {
      const payload = Buffer.from(`packet ${sequence}`);
      assert.deepEqual(unprotect(protector.protect(header(sequence, sequence, ssrc), payload, roc)).subarray(12), payload);
    }
    // The same packet with a stale counter is a different IV: it must not authenticate.
    assert.throws(() => unprotect(protector.protect(header(3, 3, ssrc), Buffer.from('x'), 0)));
  });

  it('an empty payload still carries its tag', () => {
    const { protector, unprotect } = srtpPair();
    const packet = protector.protect(header(5, 5, 5), Buffer.alloc(0), 0);
    assert.equal(packet.length, 12 + GCM_TAG_BYTES);
    assert.equal(unprotect(packet).length, 12);
  });

  it('refuses keys of the wrong size', () => {
    assert.throws(() => new SrtpGcmProtector(Buffer.alloc(15), Buffer.alloc(12)), /16-byte session key/);
    assert.throws(() => new SrtpGcmProtector(Buffer.alloc(16), Buffer.alloc(11)), /salt/);
  });
});
