import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { splitFrames } from '../../../../server/src/webrtc/ice/rfc4571.js';
import { runs } from '../../../helpers/property.js';

const frame = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([payload.length >> 8, payload.length & 0xff]), payload]);

describe('RFC 4571 framing (ICE over TCP)', () => {
  it('splits complete frames and keeps the start of the next', () => {
    const a = Buffer.from('first');
    const b = Buffer.from('second');
    const split = splitFrames(Buffer.concat([frame(a), frame(b), Buffer.from([0x00, 0x09, 0x01])]), 100);
    assert.deepEqual(split.frames?.map(String), ['first', 'second']);
    assert.deepEqual([...split.rest!], [0x00, 0x09, 0x01]);
  });

  it('a frame over the limit, or an empty one, is refused at its header', () => {
    assert.equal(splitFrames(Buffer.from([0x08, 0x01]), 2048).tooLarge, 0x0801);
    assert.equal(splitFrames(Buffer.from([0x00, 0x00, 0x01]), 2048).tooLarge, 0);
  });

  it('stops after maxFrames', () => {
    const split = splitFrames(Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))]), 10, 1);
    assert.equal(split.frames?.length, 1);
    assert.equal(split.rest?.length, 3);
  });

  it('property: frames joined back give the input (any chunking of any frames)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 20 }), fc.nat(50), (payloads, tail) => {
        const wire = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
        const cut = wire.subarray(0, Math.max(0, wire.length - tail));
        const split = splitFrames(cut, 300);
        assert.equal(split.tooLarge, undefined);
        assert.deepEqual(Buffer.concat([...split.frames!.map(frame), split.rest!]), cut);
      }),
      { numRuns: runs(500) },
    );
  });
});
