import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import { nativeKeyPair, nativeScalarMult, useNativeX25519, weriftNacl } from '../../../server/src/webrtc/werift/index.js';
import { WebRtcWarmUp } from '../../../server/src/webrtc/WebRtcWarmUp.js';

const nacl = weriftNacl();
if (!nacl) throw new Error('werift no longer loads tweetnacl: nativeX25519.ts needs another way in');
// tweetnacl's own JavaScript, saved before the native functions replace it.
const jsScalarMult = nacl.scalarMult;
const jsKeyPair = nacl.box.keyPair;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe('native X25519 for werift', () => {
  it('computes the same shared secrets as tweetnacl, with keys from either side', () => {
    for (let i = 0; i < 20; i++) {
      const ours = nativeKeyPair();
      const theirs = jsKeyPair();
      assert.equal(hex(ours.publicKey), hex((jsScalarMult.base as (n: Uint8Array) => Uint8Array)(ours.secretKey)), 'public key = base point × secret');
      // werift hands the secret back wrapped in a Buffer over the same memory.
      const shared = nativeScalarMult(Buffer.from(ours.secretKey.buffer), theirs.publicKey);
      assert.ok(shared);
      assert.equal(hex(shared), hex(jsScalarMult(theirs.secretKey, ours.publicKey)));
      assert.equal(hex(shared), hex(jsScalarMult(ours.secretKey, theirs.publicKey)));
    }
  });

  it('gives keys that own exactly 32 bytes (werift reads secretKey.buffer)', () => {
    const { secretKey, publicKey } = nativeKeyPair();
    assert.equal(secretKey.buffer.byteLength, 32);
    assert.equal(publicKey.buffer.byteLength, 32);
  });

  it('leaves secrets it did not make to tweetnacl', () => {
    assert.equal(nativeScalarMult(randomBytes(32), jsKeyPair().publicKey), undefined);
  });

  it('is what werift calls once installed, with tweetnacl kept for what the native path refuses', async () => {
    assert.equal(useNativeX25519(silentLogger()), true);
    assert.equal(useNativeX25519(silentLogger()), true, 'idempotent');
    assert.notEqual(nacl.scalarMult, jsScalarMult);
    assert.notEqual(nacl.box.keyPair, jsKeyPair);
    // A low-order public key (all zeros): OpenSSL refuses it, tweetnacl returns zeros, as before.
    const { secretKey } = nacl.box.keyPair();
    assert.equal(hex(nacl.scalarMult(Buffer.from(secretKey.buffer), new Uint8Array(32))), '00'.repeat(32));

    // A real werift DTLS handshake goes through the installed functions.
    let keyPairs = 0;
    const installed = nacl.box.keyPair;
    nacl.box.keyPair = Object.assign(() => {
      keyPairs++;
      return installed();
    }, installed);
    try {
      const warmUp = WebRtcWarmUp.start(silentLogger());
      const ms = await warmUp.done;
      await warmUp.close();
      assert.equal(typeof ms, 'number', 'the loopback handshake completed');
      assert.ok(keyPairs >= 1, `werift made its X25519 keys here (${keyPairs} calls)`);
    } finally {
      nacl.box.keyPair = installed;
    }
  });
});
