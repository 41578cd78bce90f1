// Property tests for the WHEP PATCH body reader (server/src/whep/sdpFragment.ts): whatever a client
// sends, what comes out is bounded and valid as the signaling protocol defines a candidate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_FRAGMENT_CANDIDATES, MAX_FRAGMENT_M_LINE_INDEX, parseSdpFragment, type SdpFragment } from '../../../server/src/whep/sdpFragment.js';
import { IceCandidateSchema } from '../../../shared/protocol.js';
import { assertFast, runs } from '../../helpers/property.js';

function checkFragment(f: SdpFragment): void {
  assert.ok(f.candidates.length <= MAX_FRAGMENT_CANDIDATES);
  assert.ok((f.iceUfrag?.length ?? 0) <= 256 && (f.icePwd?.length ?? 0) <= 256);
  for (const c of f.candidates) {
    // The same bounds as a candidate that came over /ws.
    const r = IceCandidateSchema.safeParse(c);
    assert.ok(r.success, `${JSON.stringify(c).slice(0, 200)}: ${r.success ? '' : r.error.issues[0]?.message}`);
    assert.ok(c.candidate.startsWith('candidate:'));
  }
}

const fragmentLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('m=audio 9 RTP/AVP 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'm=', 'a=mid:', 'a=mid:0', 'a=end-of-candidates', ' a=end-of-candidates ', 'a=ice-ufrag:', 'a=ice-pwd:x',
    'a=candidate:1 1 udp 2113937151 192.0.2.1 54400 typ host', 'a=candidate:', 'a=candidate:1 1 UDP 1 ::1 1 typ host generation 0'),
  fc.tuple(fc.constantFrom('a=mid:', 'a=ice-ufrag:', 'a=ice-pwd:', 'a=candidate:'), fc.string({ maxLength: 1100 })).map(([k, v]) => k + v),
);

test('arbitrary fragments never make the reader throw, and what it returns is bounded and valid', () => {
  fc.assert(fc.property(fc.array(fragmentLine, { maxLength: 40 }), fc.constantFrom('\r\n', '\n', '\r'), (lines, eol) => {
    checkFragment(parseSdpFragment(lines.join(eol)));
  }), { numRuns: runs(3000) });
});

// Found by this property: a candidate after 66 m= lines had sdpMLineIndex 65, past the protocol's bound.
test('candidates in a fragment with many media sections stay valid candidates (later sections are ignored)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.boolean(), (sections, withMid) => {
    const body = Array.from({ length: sections }, (_, i) => `m=audio 9 RTP/AVP 0\r\n${withMid ? `a=mid:${i}\r\n` : ''}`).join('') + 'a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n';
    const f = parseSdpFragment(body);
    assert.equal(f.candidates.length, sections - 1 <= MAX_FRAGMENT_M_LINE_INDEX ? 1 : 0);
    checkFragment(f);
  }), { numRuns: runs(200) });
});

test('a fragment written from known fields is read back as written', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9+/]{4,32}$/);
  const cand = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 2 }), fc.nat(), fc.integer({ min: 1, max: 65535 }))
    .map(([f, comp, prio, port]) => `candidate:${f} ${comp} udp ${prio} 192.0.2.${f} ${port} typ host`);
  const sectionArb = fc.record({ mid: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), candidates: fc.array(cand, { maxLength: 5 }) });
  fc.assert(fc.property(token, token, fc.array(sectionArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (ufrag, pwd, sections, end) => {
    const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`];
    sections.forEach((s) => lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${s.mid}`, ...s.candidates.map((c) => `a=${c}`)));
    if (end) lines.push('a=end-of-candidates');
    const f = parseSdpFragment(lines.join('\r\n') + '\r\n');
    assert.equal(f.iceUfrag, ufrag);
    assert.equal(f.icePwd, pwd);
    assert.equal(f.endOfCandidates, end);
    const expected = sections.flatMap((s, i) => s.candidates.map((candidate) => ({ candidate, sdpMid: s.mid, sdpMLineIndex: i, usernameFragment: ufrag })));
    assert.deepEqual(f.candidates, expected.slice(0, MAX_FRAGMENT_CANDIDATES));
  }), { numRuns: runs(1500) });
});

test('a body made to be slow to read stays bounded', () => {
  const big = 1024 * 1024;
  for (const body of ['\n'.repeat(big), 'a=candidate:x\n'.repeat(big / 14), 'm=\n'.repeat(big / 3), ' '.repeat(big), '\r'.repeat(big), 'a=candidate:' + 'x'.repeat(big)]) {
    assertFast(`parseSdpFragment of ${JSON.stringify(body.slice(0, 12))}... (${body.length} chars)`, 500, () => checkFragment(parseSdpFragment(body)));
  }
});
