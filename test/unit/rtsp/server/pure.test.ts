// The RTSP server's small pure parts: request URLs, client RTCP, the mount's SDP, server-side auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CamrtcError } from '../../../../server/src/errors.js';
import { Authenticator } from '../../../../server/src/rtsp/auth.js';
import { parseWwwAuthenticate } from '../../../../server/src/rtsp/headers/WwwAuthenticate.js';
import { isKeyframeRequest } from '../../../../server/src/rtsp/server/clientRtcp.js';
import { buildMountSdp, trackIndexOfControl } from '../../../../server/src/rtsp/server/Mount.js';
import { normalizePath, requestOrigin, requestPath } from '../../../../server/src/rtsp/server/requestUrl.js';
import { ServerAuth } from '../../../../server/src/rtsp/server/ServerAuth.js';
import { parseSessionDescription } from '../../../../server/src/sdp/SessionDescription.js';

test('request paths: query, trailing slash and credentials dropped; unusable URIs undefined', () => {
  assert.equal(requestPath('rtsp://u:p@h:8554/cam/?token=1'), '/cam');
  assert.equal(requestPath('rtsp://h:8554'), '/');
  assert.equal(requestPath('/cam/trackID=0'), '/cam/trackID=0');
  assert.equal(requestPath('*'), undefined);
  assert.equal(requestPath('http://h/cam'), undefined);
  assert.equal(requestOrigin('rtsp://u:p@H:8554/cam'), 'rtsp://H:8554');
  assert.equal(requestOrigin('/cam'), undefined);
  assert.equal(normalizePath('//a/b//'), '/a/b');
  assert.equal(normalizePath(''), '/');
  assert.equal(trackIndexOfControl('trackID=12'), 12);
  assert.equal(trackIndexOfControl('trackID=x'), undefined);
});

function psfb(fmt: number, mediaSsrc: number, fciSsrc = 0): Buffer {
  const b = Buffer.alloc(fmt === 4 ? 20 : 12);
  b[0] = 0x80 | fmt;
  b[1] = 206;
  b.writeUInt16BE(b.length / 4 - 1, 2);
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(mediaSsrc, 8);
  if (fmt === 4) b.writeUInt32BE(fciSsrc, 12);
  return b;
}

test('keyframe requests: PLI by media SSRC, FIR by its FCI, not other feedback or other streams, never a throw on garbage', () => {
  const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
  assert.equal(isKeyframeRequest(Buffer.concat([rr, psfb(1, 7)]), 7), true);
  assert.equal(isKeyframeRequest(psfb(4, 0, 7), 7), true);
  assert.equal(isKeyframeRequest(psfb(1, 8), 7), false);
  assert.equal(isKeyframeRequest(psfb(1, 8), undefined), true);
  assert.equal(isKeyframeRequest(psfb(15, 7), 7), false, 'application-layer feedback (REMB)');
  assert.equal(isKeyframeRequest(rr, 7), false);
  assert.equal(isKeyframeRequest(Buffer.from([0xff, 0, 0]), 7), false);
});

test('the mount SDP reads back through camrtc\'s SDP reader with its tracks in order', () => {
  const sdp = buildMountSdp([
    { media: { kind: 'audio', codec: 'PCMA', clockRate: 8000, payloadType: 8, channels: 1 } },
    { media: { kind: 'video', codec: 'H264', clockRate: 90000, payloadType: 96, fmtp: 'packetization-mode=1' } },
  ], { host: '::1', sessionId: '42', sessionName: 'two\r\nlines' });
  assert.match(sdp, /^o=- 42 1 IN IP6 ::1$/m);
  assert.match(sdp, /^s=two {2}lines$/m);
  const parsed = parseSessionDescription(sdp, 'rtsp://h/cam/');
  assert.ok(!(parsed instanceof CamrtcError));
  assert.deepEqual(parsed.tracks.map((t) => [t.kind, t.codec, t.control]), [['audio', 'PCMA', 'rtsp://h/cam/trackID=0'], ['video', 'H264', 'rtsp://h/cam/trackID=1']]);
});

test('server auth: camrtc\'s own client passes Digest and Basic; a wrong password, another nonce or another realm does not', () => {
  for (const scheme of ['digest', 'basic'] as const) {
    const auth = new ServerAuth({ username: 'u', password: 'p@ss', scheme, realm: 'cam' });
    const challenges = parseWwwAuthenticate([auth.challenge()]);
    assert.ok(!(challenges instanceof CamrtcError));
    const good = Authenticator.fromChallenges(challenges, { username: 'u', password: 'p@ss' });
    const bad = Authenticator.fromChallenges(challenges, { username: 'u', password: 'nope' });
    assert.ok(!(good instanceof CamrtcError) && !(bad instanceof CamrtcError));
    assert.equal(auth.check('DESCRIBE', good.authorization('DESCRIBE', 'rtsp://h/cam')), true, scheme);
    assert.equal(auth.check('DESCRIBE', bad.authorization('DESCRIBE', 'rtsp://h/cam')), false, scheme);
    assert.equal(auth.check('DESCRIBE', undefined), false);
  }
  const auth = new ServerAuth({ username: 'u', password: 'p', scheme: 'digest', realm: 'cam' });
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const digest = (nonce: string, realm: string) =>
    `Digest username="u", realm="${realm}", nonce="${nonce}", uri="rtsp://h/cam", response="${md5(`${md5(`u:${realm}:p`)}:${nonce}:${md5('DESCRIBE:rtsp://h/cam')}`)}"`;
  assert.equal(auth.check('DESCRIBE', digest(auth.nonce, 'cam')), true);
  assert.equal(auth.check('DESCRIBE', digest('0123', 'cam')), false, 'a nonce this server never gave');
  assert.equal(auth.check('SETUP', digest(auth.nonce, 'cam')), false, 'an answer computed for another method');
  assert.equal(auth.check('DESCRIBE', digest(auth.nonce, 'other')), false, 'another realm');
  assert.throws(() => new ServerAuth({ username: 'u', password: 'p', scheme: 'basic', realm: 'a"b' }), { code: 'ERR_CONFIG_INVALID' });
});
