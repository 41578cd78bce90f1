import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseH264, restrictOfferToH264 } from '../../../server/src/session/offerCodecs.js';
import { parseSdpFragment, MAX_FRAGMENT_CANDIDATES } from '../../../server/src/whep/sdpFragment.js';

/** The video section of a Chrome offer, shortened: H.264 with packetization-mode 0 listed first. */
const CHROME_OFFER = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 107 112',
  'a=mid:0', 'a=recvonly',
  'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 nack pli', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'a=rtpmap:106 H264/90000', 'a=rtcp-fb:106 nack pli', 'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000', 'a=fmtp:107 apt=106',
  'a=rtpmap:112 H264/90000', 'a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f',
  '',
].join('\r\n');

describe('restrictOfferToH264 (client-made offers, werift answers the first H.264)', () => {
  it('Chrome offer, baseline camera: keeps 106 (mode 1, same profile) and its RTX only', () => {
    const out = restrictOfferToH264(CHROME_OFFER, '42e01f');
    assert.match(out, /^m=video 9 UDP\/TLS\/RTP\/SAVPF 96 97 106 107$/m);
    assert.doesNotMatch(out, /a=(rtpmap|fmtp|rtcp-fb):(102|103|112) /);
    assert.match(out, /a=fmtp:106 .*packetization-mode=1/);
    assert.ok(out.endsWith('\r\n'), 'line endings kept');
  });

  it('High-profile camera: prefers the High entry', () => {
    assert.match(restrictOfferToH264(CHROME_OFFER, '640028'), /^m=video 9 UDP\/TLS\/RTP\/SAVPF 96 97 112$/m);
  });

  it('no packetization-mode 1 entry: the offer is unchanged (the answer then reports the codec problem)', () => {
    const only0 = CHROME_OFFER.replace(/packetization-mode=1/g, 'packetization-mode=0');
    assert.equal(restrictOfferToH264(only0, '42e01f'), only0);
    assert.equal(chooseH264([{ payloadType: 1, packetizationMode: 0, profileLevelId: '42e01f' }], '42e01f'), undefined);
  });
});

describe('parseSdpFragment (WHEP PATCH bodies, RFC 8840)', () => {
  it('reads credentials, candidates with their mid and m-line index, and end-of-candidates', () => {
    const f = parseSdpFragment('a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\na=end-of-candidates\r\n');
    assert.equal(f.iceUfrag, 'EsAw');
    assert.equal(f.candidates.length, 1);
    assert.deepEqual(f.candidates[0], { candidate: 'candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' });
    assert.equal(f.endOfCandidates, true);
  });

  it('is bounded: at most 64 candidates, overlong lines dropped, junk ignored', () => {
    const many = Array.from({ length: 100 }, (_, i) => `a=candidate:${i} 1 udp 1 192.0.2.1 ${1000 + i} typ host`).join('\n');
    assert.equal(parseSdpFragment(many).candidates.length, MAX_FRAGMENT_CANDIDATES);
    assert.equal(parseSdpFragment(`a=candidate:${'x'.repeat(5000)}`).candidates.length, 0);
    assert.deepEqual(parseSdpFragment('\u0000garbage\nm=\n').candidates, []);
  });
});
