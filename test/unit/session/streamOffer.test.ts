import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planStreamOffer } from '../../../server/src/session/streamOffer.js';
import { routeFrames } from '../../../server/src/webrtc/frameRoute.js';
import { h264Track, pcmaTrack } from '../../integration/webrtc/helpers/FakeCamera.js';

describe('the offer for a camera with main and sub streams', () => {
  const main = [h264Track(0, '640028'), pcmaTrack(1)];
  const sub = [h264Track(0, '42e01e')];

  it('a camera with one stream, or the other stream not described yet: the stream\'s own tracks', () => {
    assert.deepEqual(planStreamOffer(main, undefined), { tracks: main });
    assert.equal(planStreamOffer(main, undefined).tracks, main);
  });

  it('on main: its own tracks; the profile stays when it covers the sub stream\'s', () => {
    const offer = planStreamOffer(main, sub);
    assert.equal(offer.tracks, main);
    assert.equal(offer.h264ProfileLevelId, undefined);
  });

  it("on a sub stream without audio: the main stream's audio at a free index, the profile covering both", () => {
    const offer = planStreamOffer(sub, main);
    assert.equal(offer.h264ProfileLevelId, '640028');
    assert.deepEqual(offer.tracks.map((t) => [t.index, t.kind, t.codec]), [[0, 'video', 'H264'], [1, 'audio', 'PCMA']]);
  });

  it('frames are routed by kind and codec, whatever the index; another codec is not carried', () => {
    const outbound = [{ kind: 'video' as const, id: 'v' }, { kind: 'audio' as const, id: 'a' }];
    const ids = (route: ReturnType<typeof routeFrames<(typeof outbound)[number]>>, n: number): Array<string | undefined> => Array.from({ length: n }, (_, i) => route[i]?.id);
    const carried = planStreamOffer(sub, main).tracks;
    const audioFirst = [{ ...pcmaTrack(0) }, { ...h264Track(1, '640028') }];
    assert.deepEqual(ids(routeFrames(carried, outbound, audioFirst), 2), ['a', 'v']);
    const opus = [h264Track(0), { ...pcmaTrack(1), codec: 'OPUS', clockRate: 48000, channels: 2 }];
    assert.deepEqual(ids(routeFrames(carried, outbound, opus), 2), ['v', undefined]);
    assert.deepEqual(ids(routeFrames(carried, outbound, [{ ...h264Track(0), codec: 'H265' }]), 1), [undefined]);
  });
});
