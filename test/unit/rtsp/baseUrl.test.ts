import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CamrtcError } from '../../../server/src/errors.js';
import { locationCredentials, sameOrigin, withheldFrom } from '../../../server/src/rtsp/baseUrl.js';
import { parseRtspUrl, type RtspUrl } from '../../../server/src/rtsp/url.js';

function url(s: string): RtspUrl {
  const u = parseRtspUrl(s);
  assert.ok(!(u instanceof CamrtcError));
  return u;
}

describe('where a camera credentials may go after a redirect', () => {
  const configured = url('rtsp://admin:pw@192.0.2.10/stream1');
  const cases: Array<[string, boolean]> = [
    ['rtsp://192.0.2.10/other', true],
    ['rtsp://192.0.2.10:554/other', true],
    ['RTSP://192.0.2.10/x', true],
    ['rtsp://192.0.2.10:8554/stream1', false],
    ['rtsps://192.0.2.10:554/stream1', false],
    ['rtsp://192.0.2.11/stream1', false],
    ['rtsp://cam.example/stream1', false],
  ];
  for (const [target, same] of cases) {
    it(`${target}: ${same ? 'the configured credentials' : 'none'}`, () => {
      assert.equal(sameOrigin(url(target), configured), same);
      assert.equal(withheldFrom(url(target), configured, { username: 'admin', password: 'pw' }), !same);
    });
  }

  it('a Location with its own userinfo carries only that', () => {
    assert.deepEqual(locationCredentials(url('rtsp://guest:g@198.51.100.1/x')), { username: 'guest', password: 'g' });
    assert.equal(locationCredentials(url('rtsp://198.51.100.1/x')), undefined);
    assert.equal(withheldFrom(url('rtsp://guest:g@198.51.100.1/x'), configured, { username: 'admin', password: 'pw' }), false);
  });

  it('nothing is withheld when no credentials were configured', () => {
    assert.equal(withheldFrom(url('rtsp://198.51.100.1/x'), configured, undefined), false);
  });
});
