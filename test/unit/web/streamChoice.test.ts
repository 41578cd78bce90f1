import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseStream, DEFAULT_SUB_WIDTH, MAIN_ABOVE, pictureWidth, SUB_BELOW } from '../../../web/src/streamChoice.js';

describe('the player\'s stream choice (stream="auto")', () => {
  it('sub while the picture is drawn about as wide as the sub stream, main when clearly wider', () => {
    assert.equal(chooseStream({ current: 'sub', pictureWidth: 320, subWidth: 320, fullscreen: false }), 'sub');
    assert.equal(chooseStream({ current: 'sub', pictureWidth: 320 * MAIN_ABOVE + 1, subWidth: 320, fullscreen: false }), 'main');
    assert.equal(chooseStream({ current: undefined, pictureWidth: 1280, subWidth: 320, fullscreen: false }), 'main');
    assert.equal(chooseStream({ current: undefined, pictureWidth: 300, subWidth: 320, fullscreen: false }), 'sub');
  });

  it('between the two thresholds it keeps the stream it has (no flapping at one size)', () => {
    const between = 320 * ((MAIN_ABOVE + SUB_BELOW) / 2);
    assert.equal(chooseStream({ current: 'sub', pictureWidth: between, subWidth: 320, fullscreen: false }), 'sub');
    assert.equal(chooseStream({ current: 'main', pictureWidth: between, subWidth: 320, fullscreen: false }), 'main');
    assert.equal(chooseStream({ current: 'main', pictureWidth: 320 * SUB_BELOW - 1, subWidth: 320, fullscreen: false }), 'sub');
  });

  it('fullscreen is main whatever the size; an unknown sub width counts as the default', () => {
    assert.equal(chooseStream({ current: 'sub', pictureWidth: 100, subWidth: 320, fullscreen: true }), 'main');
    assert.equal(chooseStream({ current: 'sub', pictureWidth: DEFAULT_SUB_WIDTH * MAIN_ABOVE - 1, subWidth: undefined, fullscreen: false }), 'sub');
    assert.equal(chooseStream({ current: 'sub', pictureWidth: DEFAULT_SUB_WIDTH * MAIN_ABOVE + 1, subWidth: 0, fullscreen: false }), 'main');
  });

  it('the drawn picture: object-fit contain in the box, in device pixels', () => {
    assert.equal(pictureWidth(320, 180, 1280, 720, 1), 320);
    assert.equal(pictureWidth(320, 180, 1280, 720, 2), 640, 'a 2x screen shows twice the pixels');
    assert.equal(pictureWidth(1000, 180, 1280, 720, 1), 320, 'a wide box: the height limits the picture');
    assert.equal(pictureWidth(400, 400, 0, 0, 1), 400, '16:9 before the video size is known');
    assert.equal(pictureWidth(0, 0, 1280, 720, 1), 0);
  });
});
