import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isBindingRequest, readBindingRequest, verifyIntegrity } from '../../../../server/src/webrtc/ice/stunBinding.js';
import { bindingRequest } from '../../../helpers/stun.js';
import { assertFast, runs } from '../../../helpers/property.js';

describe('STUN binding requests (routing by ufrag)', () => {
  it("reads the local ufrag of a werift-built request, and its integrity verifies with the password only", () => {
    const data = bindingRequest('0123456789abcdef', 'a-password-of-22-chars');
    const request = readBindingRequest(data);
    assert.equal(request?.ufrag, '0123456789abcdef');
    assert.equal(verifyIntegrity(data, request!, 'a-password-of-22-chars'), true);
    assert.equal(verifyIntegrity(data, request!, 'another-password-22-ch'), false);
  });

  it('a flipped byte anywhere before MESSAGE-INTEGRITY fails the check', () => {
    const data = bindingRequest('cafe', 'pw');
    const request = readBindingRequest(data)!;
    for (let i = 20; i < request.integrityOffset; i++) {
      const bad = Buffer.from(data);
      bad[i] ^= 0x01;
      const reread = readBindingRequest(bad);
      if (reread) assert.equal(verifyIntegrity(bad, reread, 'pw'), false, `byte ${i}`);
    }
  });

  const refused: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['a DTLS record', Buffer.from('16fefd0000000000000000002c', 'hex')],
    ['an RTP packet', Buffer.concat([Buffer.from([0x80, 0x60]), Buffer.alloc(30)])],
    ['a request without MESSAGE-INTEGRITY', bindingRequest('cafe', 'pw', { sign: false })],
    ['a binding response', (() => { const b = Buffer.from(bindingRequest('cafe', 'pw')); b.writeUInt16BE(0x0101, 0); return b; })()],
    ['a length past the end', (() => { const b = Buffer.from(bindingRequest('cafe', 'pw')); b.writeUInt16BE(b.length, 2); return b; })()],
    ['a length not a multiple of 4', (() => { const b = Buffer.from(bindingRequest('cafe', 'pw')); b.writeUInt16BE(b.readUInt16BE(2) - 1, 2); return b; })()],
    ['no magic cookie', (() => { const b = Buffer.from(bindingRequest('cafe', 'pw')); b.writeUInt32BE(0, 4); return b; })()],
    ['an empty ufrag', bindingRequest('', 'pw')],
  ];
  for (const [what, data] of refused) {
    it(`refuses ${what}`, () => assert.equal(readBindingRequest(data), undefined));
  }

  it('header check alone tells binding requests from media', () => {
    assert.equal(isBindingRequest(bindingRequest('cafe', 'pw')), true);
    assert.equal(isBindingRequest(Buffer.alloc(40, 0x80)), false);
  });

  it('property: any bytes give a value or undefined, never a throw, fast', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), fc.boolean(), (bytes, asStun) => {
        const data = Buffer.from(bytes);
        // Half the inputs get a binding request header, so the attribute walk runs on garbage.
        if (asStun && data.length >= 20) {
          data.writeUInt16BE(0x0001, 0);
          data.writeUInt32BE(0x2112a442, 4);
          data.writeUInt16BE((data.length - 20) & ~3, 2);
        }
        const request = readBindingRequest(data);
        if (request) assert.equal(typeof verifyIntegrity(data, request, 'pw'), 'boolean');
      }),
      { numRuns: runs(2000) },
    );
  });

  it('property: mutations of a real request never throw', () => {
    const seed = bindingRequest('0123456789abcdef', 'pw');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(seed.length), (flips, cut) => {
        const data = Buffer.from(seed.subarray(0, Math.max(cut, 20)));
        for (const [at, value] of flips) if (at < data.length) data[at] = value;
        const request = readBindingRequest(data);
        if (request) verifyIntegrity(data, request, 'pw');
      }),
      { numRuns: runs(2000) },
    );
  });

  it('a request made of 16k tiny attributes is walked in bounded time', () => {
    const data = Buffer.alloc(20 + 65_532);
    data.writeUInt16BE(0x0001, 0);
    data.writeUInt16BE(65_532, 2);
    data.writeUInt32BE(0x2112a442, 4);
    assertFast('attribute walk', 50, () => assert.equal(readBindingRequest(data), undefined));
  });
});
