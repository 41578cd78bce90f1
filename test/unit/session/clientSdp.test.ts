/**
 * The bounds of a client's SDP (session/clientSdp.ts): real browser offers pass, each limit is named
 * in its refusal, and the scan agrees with a plain reference count on anything (fast-check), fast.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CLIENT_SDP_LIMITS, checkClientSdp, type ClientSdpCheck } from '../../../server/src/session/clientSdp.js';

/** A Chrome receive-only offer for video and audio, as a WHEP player sends it (shortened codec lists). */
const CHROME_OFFER = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=extmap-allow-mixed', 'a=msid-semantic: WMS',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:3885250869 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 network-id 1',
  'a=candidate:1t2 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0 network-id 1',
  'a=candidate:842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0',
  'a=ice-ufrag:Xa1b', 'a=ice-pwd:0123456789abcdefghijklmn', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
  'a=setup:actpass', 'a=mid:0', 'a=recvonly', 'a=rtcp-mux', 'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 nack pli', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=recvonly', 'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  '',
].join('\r\n');

/** An offer of `sections` small video sections, each with `candidates` candidates. */
function offer(sections: number, candidates = 0): string {
  let sdp = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';
  for (let m = 0; m < sections; m++) {
    sdp += `m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:${m}\r\na=rtpmap:96 H264/90000\r\n`;
    for (let c = 0; c < candidates; c++) sdp += `a=candidate:${c} 1 udp 2122260223 10.0.${m}.${c % 250} ${10_000 + c} typ host\r\n`;
  }
  return sdp;
}

function refused(check: ClientSdpCheck): { code: string; message: string } {
  assert.equal(check.ok, false, 'refused');
  if (check.ok) throw new Error('unreachable');
  return { code: check.error.code, message: check.error.message };
}

describe('checkClientSdp', () => {
  it('a browser offer passes, with CRLF or LF line ends', () => {
    assert.deepEqual(checkClientSdp(CHROME_OFFER, 'offer'), { ok: true, mediaSections: 2 });
    assert.deepEqual(checkClientSdp(CHROME_OFFER.replaceAll('\r\n', '\n'), 'offer'), { ok: true, mediaSections: 2 });
  });

  it('the largest offer within every limit passes', () => {
    const sdp = offer(CLIENT_SDP_LIMITS.maxMediaSections, CLIENT_SDP_LIMITS.maxCandidatesPerSection);
    assert.deepEqual(checkClientSdp(sdp, 'offer'), { ok: true, mediaSections: CLIENT_SDP_LIMITS.maxMediaSections });
  });

  it('one media section too many: ERR_LIMIT naming the limit', () => {
    const { code, message } = refused(checkClientSdp(offer(CLIENT_SDP_LIMITS.maxMediaSections + 1), 'offer'));
    assert.equal(code, 'ERR_LIMIT');
    assert.equal(message, `the offer has more than ${CLIENT_SDP_LIMITS.maxMediaSections} media sections (m= lines): camrtc sends one video and one audio track`);
  });

  it('too many candidates in one section, too many lines, a line too long: ERR_LIMIT each', () => {
    const candidates = refused(checkClientSdp(offer(2, CLIENT_SDP_LIMITS.maxCandidatesPerSection + 1), 'offer'));
    assert.deepEqual(candidates, { code: 'ERR_LIMIT', message: `the offer has more than ${CLIENT_SDP_LIMITS.maxCandidatesPerSection} ICE candidates in media section 1` });
    const lines = refused(checkClientSdp(offer(1) + 'a=x\r\n'.repeat(CLIENT_SDP_LIMITS.maxLines), 'answer'));
    assert.deepEqual(lines, { code: 'ERR_LIMIT', message: `the answer has more than ${CLIENT_SDP_LIMITS.maxLines} lines` });
    const long = refused(checkClientSdp(`${offer(1)}a=x-long:${'y'.repeat(CLIENT_SDP_LIMITS.maxLineLength)}\r\n`, 'offer'));
    assert.equal(long.code, 'ERR_LIMIT');
    assert.match(long.message, /^line 8 of the offer has 4105 characters: at most 4096$/);
    const big = refused(checkClientSdp('v=0\r\n' + 'a=x\r\n'.repeat(CLIENT_SDP_LIMITS.maxBytes / 5), 'offer'));
    assert.match(big.message, /^the offer has \d+ characters: at most 65536$/);
  });

  it('text that is no session description: ERR_SIGNALING_INVALID saying why', () => {
    const cases: [string, string][] = [
      ['hello world', 'line 1 is not <letter>=<value>'],
      ['', 'it is empty'],
      ['\r\n\r\n', 'it is empty'],
      ['o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n', 'it does not start with v=0'],
      ['v=1\r\nm=video 9 x 96\r\n', 'it does not start with v=0'],
      ['v=0\r\ns=-\r\n', 'it has no media section (m= line)'],
      ['v=0\r\nm=video 9 x 96\r\n<script>\r\n', 'line 3 is not <letter>=<value>'],
      ['{"type":"answer","sdp":"v=0"}', 'line 1 is not <letter>=<value>'],
    ];
    for (const [sdp, why] of cases) {
      assert.deepEqual(refused(checkClientSdp(sdp, 'answer')), { code: 'ERR_SIGNALING_INVALID', message: `the answer is not a session description: ${why}` }, JSON.stringify(sdp));
    }
  });

  it('a 64 KiB hostile text costs well under a millisecond a kilobyte', () => {
    const hostile = [offer(600).slice(0, 60_000), 'a=candidate:1 1 udp 1 1.2.3.4 5 typ host\n'.repeat(1500).slice(0, 65_000), 'v=0\n' + 'm'.repeat(65_000)];
    for (const sdp of hostile) {
      const started = performance.now();
      for (let i = 0; i < 20; i++) checkClientSdp(sdp, 'offer');
      const each = (performance.now() - started) / 20;
      assert.ok(each < 20, `${each.toFixed(2)} ms for one check`);
      assert.equal(checkClientSdp(sdp, 'offer').ok, false);
    }
  });
});

/** What the scan must decide, written the plain way (split, filter, count). */
function reference(sdp: string): 'ok' | 'ERR_LIMIT' | 'ERR_SIGNALING_INVALID' {
  const L = CLIENT_SDP_LIMITS;
  if (sdp.length > L.maxBytes) return 'ERR_LIMIT';
  const lines = sdp.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.length > 0);
  let sections = 0;
  let candidates = 0;
  for (const [i, line] of lines.entries()) {
    if (i + 1 > L.maxLines || line.length > L.maxLineLength) return 'ERR_LIMIT';
    if (!/^[a-z]=/.test(line) || (i === 0 && line.trimEnd() !== 'v=0')) return 'ERR_SIGNALING_INVALID';
    if (line.startsWith('m=')) {
      sections++;
      candidates = 0;
      if (sections > L.maxMediaSections) return 'ERR_LIMIT';
    } else if (line.startsWith('a=candidate:') && ++candidates > L.maxCandidatesPerSection) {
      return 'ERR_LIMIT';
    }
  }
  return lines.length === 0 || sections === 0 ? 'ERR_SIGNALING_INVALID' : 'ok';
}

describe('checkClientSdp properties', () => {
  const line = fc.oneof(
    fc.constantFrom('v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'm=audio 9 UDP/TLS/RTP/SAVPF 0', 'a=mid:0', 'a=candidate:1 1 udp 1 10.0.0.1 5000 typ host', 'a=recvonly', 'c=IN IP4 0.0.0.0', '', 'x', 'V=0', 'a='),
    fc.string({ maxLength: 30 }),
    fc.string({ minLength: 4000, maxLength: 4200, unit: fc.constantFrom('a', ' ', '=') }).map((s) => `a=${s}`),
  );
  const sdpText = fc.tuple(fc.array(line, { maxLength: 80 }), fc.constantFrom('\r\n', '\n'), fc.boolean())
    .map(([lines, eol, head]) => (head ? ['v=0', ...lines] : lines).join(eol));

  it('agrees with the plain reference on SDP-shaped and arbitrary text, and never throws', () => {
    fc.assert(fc.property(fc.oneof(sdpText, fc.string({ unit: 'binary', maxLength: 300 })), fc.constantFrom('offer', 'answer') as fc.Arbitrary<'offer' | 'answer'>, (sdp, kind) => {
      const check = checkClientSdp(sdp, kind);
      assert.equal(check.ok ? 'ok' : check.error.code, reference(sdp));
      if (!check.ok) assert.ok(check.error.message.startsWith(`the ${kind} `) || check.error.message.startsWith('line '), check.error.message);
    }), { numRuns: 1000 });
  });

  it('an offer passes exactly when its sections and candidates are within the limits', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 80 }), (sections, candidates) => {
      const check = checkClientSdp(offer(sections, candidates), 'offer');
      const within = sections <= CLIENT_SDP_LIMITS.maxMediaSections && candidates <= CLIENT_SDP_LIMITS.maxCandidatesPerSection;
      assert.equal(check.ok, within);
      if (check.ok) assert.equal(check.mediaSections, sections);
      else assert.equal(check.error.code, 'ERR_LIMIT');
    }), { numRuns: 300 });
  });
});
