import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeStream } from '../../../helpers/fakeStream.js';
import { TrackFanOut } from '../../../../server/src/rtsp/server/TrackFanOut.js';

test('the track is listened to only while a sink is attached; a shared sink counts once and stays until removed as often as added', () => {
  const track = new FakeStream();
  const errors: unknown[] = [];
  const fan = new TrackFanOut(track, (e) => errors.push(e));
  const got: number[] = [];
  const shared = (p: Buffer) => got.push(p.readUInt16BE(2));
  assert.equal(track.listenerCount('packet'), 0);
  fan.add(shared);
  fan.add(shared);
  assert.equal(track.listenerCount('packet'), 1);
  track.push(1);
  assert.deepEqual(got, [1000], 'a sink added twice gets each packet once');
  fan.remove(shared);
  track.push(1);
  assert.deepEqual(got, [1000, 1001]);
  fan.remove(shared);
  assert.equal(track.listenerCount('packet'), 0);
  assert.equal(errors.length, 0);
});

test('a sink that removes itself or throws does not cost the others their packet', () => {
  const track = new FakeStream();
  const errors: unknown[] = [];
  const fan = new TrackFanOut(track, (e) => errors.push(e));
  const got: string[] = [];
  const leaving = () => {
    got.push('leaving');
    fan.remove(leaving);
  };
  fan.add(leaving);
  fan.add(() => {
    throw new Error('bug');
  });
  fan.add(() => got.push('last'));
  track.push(2);
  assert.deepEqual(got, ['leaving', 'last', 'last']);
  assert.equal(errors.length, 2);
  fan.close();
  assert.equal(track.listenerCount('packet'), 0);
});
