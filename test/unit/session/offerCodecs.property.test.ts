// Property tests for the rewrite of client-made offers (server/src/session/offerCodecs.ts): one
// H.264 entry per video section, the right one, and nothing else touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'sdp-transform';
import { chooseH264, restrictOfferToH264, type H264Choice } from '../../../server/src/session/offerCodecs.js';
import { MAX_MESSAGE_BYTES } from '../../../shared/protocol.js';
import { CAMERA_SDP_MISSING } from '../../helpers/paths.js';
import { assertFast, cameraSdps, runs } from '../../helpers/property.js';

interface Entry { pt: number; codec: 'H264' | 'VP8' | 'VP9' | 'AV1' | 'rtx'; mode?: number; profile?: string; apt?: number }
interface Section { kind: 'video' | 'audio'; entries: Entry[] }

const profile = fc.constantFrom('42001f', '42e01f', '4d001f', '640028', '64001F', 'f4001f');

/** One media section the way browsers write them: distinct PTs, RTX entries pointing at earlier ones. */
const section: fc.Arbitrary<Section> = fc.tuple(
  fc.constantFrom('video' as const, 'video' as const, 'audio' as const),
  fc.uniqueArray(fc.integer({ min: 96, max: 127 }), { minLength: 1, maxLength: 12 }),
  fc.array(fc.tuple(fc.constantFrom('H264' as const, 'H264' as const, 'VP8' as const, 'VP9' as const, 'AV1' as const, 'rtx' as const), fc.option(fc.integer({ min: 0, max: 2 })), fc.option(profile), fc.nat()), { minLength: 12, maxLength: 12 }),
).map(([kind, pts, specs]) => ({
  kind,
  entries: pts.map((pt, i) => {
    const [codec, mode, prof, aptIndex] = specs[i];
    if (codec === 'rtx') return i === 0 ? { pt, codec: 'VP8' as const } : { pt, codec, apt: pts[aptIndex % i] };
    return codec === 'H264' ? { pt, codec, ...(mode !== null ? { mode } : {}), ...(prof !== null ? { profile: prof } : {}) } : { pt, codec };
  }),
}));

function writeOffer(sections: readonly Section[]): string {
  const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
  sections.forEach((s, mid) => {
    lines.push(`m=${s.kind} 9 UDP/TLS/RTP/SAVPF ${s.entries.map((e) => e.pt).join(' ')}`, 'c=IN IP4 0.0.0.0', `a=mid:${mid}`, 'a=recvonly');
    for (const e of s.entries) {
      lines.push(`a=rtpmap:${e.pt} ${e.codec}/${s.kind === 'video' ? 90000 : 48000}`);
      if (e.codec === 'H264') {
        lines.push(`a=rtcp-fb:${e.pt} nack pli`);
        const params = [...(e.mode !== undefined ? [`packetization-mode=${e.mode}`] : []), ...(e.profile ? [`profile-level-id=${e.profile}`] : [])];
        if (params.length) lines.push(`a=fmtp:${e.pt} level-asymmetry-allowed=1;${params.join(';')}`);
      }
      if (e.codec === 'rtx') lines.push(`a=fmtp:${e.pt} apt=${e.apt}`);
    }
  });
  return lines.join('\r\n') + '\r\n';
}

/** The PTs each section keeps: the choice, everything not H.264, minus RTX chains to dropped entries. */
function expectedKept(s: Section, cameraProfile: string | undefined): number[] {
  if (s.kind !== 'video') return s.entries.map((e) => e.pt);
  const h264 = s.entries.filter((e) => e.codec === 'H264');
  const keep = chooseH264(h264.map((e) => ({ payloadType: e.pt, packetizationMode: e.mode ?? 0, profileLevelId: e.profile?.toLowerCase() })), cameraProfile);
  if (!keep || h264.length <= 1) return s.entries.map((e) => e.pt);
  const drop = new Set(h264.filter((e) => e.pt !== keep.payloadType).map((e) => e.pt));
  // One pass in offer order, as apt always points earlier here.
  for (const e of s.entries) if (e.codec === 'rtx' && drop.has(e.apt!)) drop.add(e.pt);
  return s.entries.map((e) => e.pt).filter((pt) => !drop.has(pt));
}

const cameraProfile = fc.option(profile, { nil: undefined });

test('each video section keeps one H.264 entry, packetization-mode 1, the camera profile first, and all the rest', () => {
  fc.assert(fc.property(fc.array(section, { minLength: 1, maxLength: 4 }), cameraProfile, (sections, cam) => {
    const offer = writeOffer(sections);
    const out = restrictOfferToH264(offer, cam);
    const media = parse(out).media;
    assert.equal(media.length, sections.length);
    sections.forEach((s, i) => {
      const m = media[i];
      const kept = expectedKept(s, cam);
      assert.deepEqual(String(m.payloads).split(' ').map(Number), kept, `section ${i} payloads`);
      assert.deepEqual(m.rtp.map((r) => r.payload), kept, `section ${i} rtpmap`);
      for (const f of m.fmtp) assert.ok(kept.includes(f.payload));
      for (const fb of m.rtcpFb ?? []) assert.ok(kept.includes(Number(fb.payload)));
      const h264 = s.entries.filter((e) => e.codec === 'H264');
      const usable = h264.filter((e) => e.mode === 1);
      if (s.kind === 'video' && usable.length && h264.length > 1) {
        const left = m.rtp.filter((r) => r.codec === 'H264');
        assert.equal(left.length, 1);
        const chosen = h264.find((e) => e.pt === left[0].payload)!;
        assert.equal(chosen.mode, 1);
        const sameProfile = usable.find((e) => cam !== undefined && e.profile?.slice(0, 2).toLowerCase() === cam.slice(0, 2));
        assert.equal(chosen.pt, (sameProfile ?? usable[0]).pt);
      }
    });
    // Applying it again changes nothing.
    assert.equal(restrictOfferToH264(out, cam), out);
    // Nothing to change: the very same string back.
    if (sections.every((s, i) => expectedKept(s, cam).length === s.entries.length && media[i])) assert.equal(out, offer);
  }), { numRuns: runs(1500) });
});

test('chooseH264 picks a packetization-mode 1 entry of the list, or none when there is none', () => {
  const choice: fc.Arbitrary<H264Choice> = fc.record({ payloadType: fc.integer({ min: 0, max: 127 }), packetizationMode: fc.integer({ min: -1, max: 3 }), profileLevelId: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }) });
  fc.assert(fc.property(fc.array(choice, { maxLength: 8 }), fc.option(fc.string({ maxLength: 8 }), { nil: undefined }), (entries, cam) => {
    const c = chooseH264(entries, cam);
    if (!entries.some((e) => e.packetizationMode === 1)) return assert.equal(c, undefined);
    assert.ok(c && entries.includes(c) && c.packetizationMode === 1);
  }), { numRuns: runs(2000) });
});

test('arbitrary text never makes the rewrite throw', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(fc.constantFrom('m=video 9 UDP/TLS/RTP/SAVPF 96 97', 'm=video 9 x', 'a=rtpmap:96 H264/90000', 'a=rtpmap:97 H264/90000', 'a=fmtp:97 packetization-mode=1', 'a=fmtp:96 apt=97',
      'a=fmtp:x apt=y', 'a=rtpmap:abc H264', 'a=rtcp-fb:* nack', 'a=rtcp-fb:96', 'm=video', 'a=fmtp:96', 'v=0'), { maxLength: 20 }).map((l) => l.join('\r\n')));
  fc.assert(fc.property(text, cameraProfile, (t, cam) => {
    assert.equal(typeof restrictOfferToH264(t, cam), 'string');
  }), { numRuns: runs(3000) });
});

test('real camera SDPs given as offers never make the rewrite throw', { skip: cameraSdps().length ? false : CAMERA_SDP_MISSING }, () => {
  for (const { file, text } of cameraSdps()) {
    const out = restrictOfferToH264(text, '42e01f');
    assert.equal(typeof out, 'string', file);
  }
});

test('an offer as large as a signaling message allows is rewritten within a bounded time', () => {
  // Hundreds of video sections of H.264 entries, just under the message limit.
  const one = writeOffer([{ kind: 'video', entries: [{ pt: 96, codec: 'H264', mode: 0 }, { pt: 97, codec: 'rtx', apt: 96 }, { pt: 98, codec: 'H264', mode: 1 }] }]).split('m=')[1];
  const head = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
  const count = Math.floor((MAX_MESSAGE_BYTES - head.length) / (one.length + 2));
  const offer = head + Array.from({ length: count }, () => 'm=' + one).join('');
  assert.ok(offer.length <= MAX_MESSAGE_BYTES);
  const out = assertFast(`restrictOfferToH264 of ${count} sections`, 1000, () => restrictOfferToH264(offer, '42e01f'));
  assert.equal(parse(out).media.length, count);
});
