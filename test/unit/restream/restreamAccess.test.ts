// The restream's reading of a request's proof: which camera a path names, a `?token=` in the URI,
// and a Basic password that is a token rather than a user's password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cameraOfPath, tokenOfBasic, tokenOfUri } from '../../../server/src/restream/restreamAccess.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJjYW1ydGMifQ.c2lnbmF0dXJl';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('the camera of a request path: the mount or one of its tracks; anything else names none', () => {
  assert.equal(cameraOfPath('/front'), 'front');
  assert.equal(cameraOfPath('/front/trackID=0'), 'front');
  assert.equal(cameraOfPath('/yard-2.cam_1'), 'yard-2.cam_1');
  assert.equal(cameraOfPath('/'), undefined);
  assert.equal(cameraOfPath(undefined), undefined);
  assert.equal(cameraOfPath('/fr%20ont'), undefined);
  assert.equal(cameraOfPath(`/${'a'.repeat(65)}`), undefined);
});

test('a token in the request URI; other parameters, fragments and empty values ignored', () => {
  assert.equal(tokenOfUri(`rtsp://h:8554/front?token=${JWT}`), JWT);
  assert.equal(tokenOfUri(`rtsp://h:8554/front?a=1&token=${JWT}#x`), JWT);
  assert.equal(tokenOfUri('rtsp://h:8554/front?token='), undefined);
  assert.equal(tokenOfUri('rtsp://h:8554/front'), undefined);
  assert.equal(tokenOfUri('rtsp://h:8554/front?tokens=abc'), undefined);
});

test('a Basic password shaped like a JWT is a token, whatever the user name; a user password is not', () => {
  assert.equal(tokenOfBasic(basic('token', JWT)), JWT);
  assert.equal(tokenOfBasic(basic('', JWT)), JWT);
  assert.equal(tokenOfBasic(`basic  ${Buffer.from(`x:${JWT}`).toString('base64')}`), JWT);
  assert.equal(tokenOfBasic(basic('alice', 'correct horse battery staple')), undefined);
  assert.equal(tokenOfBasic(basic('alice', 'a.b.c')), undefined);
  assert.equal(tokenOfBasic(`Basic ${Buffer.from(JWT).toString('base64')}`), undefined, 'no user:password separator');
  assert.equal(tokenOfBasic('Digest username="alice", response="00"'), undefined);
  assert.equal(tokenOfBasic(`Basic ${'A'.repeat(20_000)}`), undefined, 'oversized');
});
