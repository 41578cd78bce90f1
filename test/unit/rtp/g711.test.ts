import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alawToLinear, encodeG711, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../server/src/rtp/g711.js';

test('A-law known values (ITU-T G.711)', () => {
  assert.equal(linearToAlaw(0), 0xd5);
  assert.equal(linearToAlaw(-1), 0x55);
  assert.equal(linearToAlaw(32767), 0xaa);
  assert.equal(linearToAlaw(-32768), 0x2a);
  assert.equal(linearToAlaw(1000), 0xfa);
  assert.equal(alawToLinear(0xd5), 8);
  assert.equal(alawToLinear(0xaa), 32256);
  assert.equal(alawToLinear(0x2a), -32256);
});

test('µ-law known values (ITU-T G.711)', () => {
  assert.equal(linearToUlaw(0), 0xff);
  assert.equal(linearToUlaw(32767), 0x80);
  assert.equal(linearToUlaw(-32768), 0x00);
  assert.equal(linearToUlaw(1000), 0xce);
  assert.equal(ulawToLinear(0xff), 0);
  assert.equal(ulawToLinear(0x80), 32124);
  assert.equal(ulawToLinear(0x00), -32124);
});

test('every code decodes to a value that encodes back to it', () => {
  for (let code = 0; code < 256; code++) {
    assert.equal(linearToAlaw(alawToLinear(code)), code, `A-law ${code}`);
    // 0x7f and 0xff are both zero in µ-law; zero encodes as 0xff.
    if (code !== 0x7f) assert.equal(linearToUlaw(ulawToLinear(code)), code, `µ-law ${code}`);
  }
});

test('encoding keeps the error within the quantisation step', () => {
  for (let x = -32768; x <= 32767; x += 37) {
    const step = Math.max(16, Math.abs(x) / 16);
    assert.ok(Math.abs(alawToLinear(linearToAlaw(x)) - x) <= step, `A-law ${x}`);
    assert.ok(Math.abs(ulawToLinear(linearToUlaw(x)) - x) <= step, `µ-law ${x}`);
  }
});

test('out-of-range input is clipped, not wrapped', () => {
  assert.equal(linearToAlaw(100000), linearToAlaw(32767));
  assert.equal(linearToUlaw(-100000), linearToUlaw(-32768));
});

test('encodeG711 encodes one byte per sample', () => {
  assert.deepEqual(encodeG711('PCMA', [0, 0, 32767]), Buffer.from([0xd5, 0xd5, 0xaa]));
  assert.deepEqual(encodeG711('PCMU', new Int16Array(3)), Buffer.from([0xff, 0xff, 0xff]));
});
