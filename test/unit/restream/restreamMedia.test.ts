// What a restream client is told about a camera's tracks (DESCRIBE): the camera's codecs as its
// feed forwards them, with the packetization camrtc actually sends. Checked on every real camera SDP
// in ../shared/camera-sdp (camera -> camrtc's reader -> restream SDP -> camrtc's reader again) and on
// the project's own fixtures for each rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CamrtcError } from '../../../server/src/errors.js';
import { findFfmpeg } from '../../../server/src/audio/ffmpeg.js';
import { presentedTrack } from '../../../server/src/media/TrackPipeline.js';
import { honestTrack, selectForwardedTracks } from '../../../server/src/media/trackSelection.js';
import { restreamMedia, sameMedia } from '../../../server/src/restream/restreamMedia.js';
import { buildMountSdp } from '../../../server/src/rtsp/server/Mount.js';
import { parseSessionDescription } from '../../../server/src/sdp/SessionDescription.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { CAMERA_SDP_DIR, CAMERA_SDP_MISSING, cameraSdpAvailable } from '../../helpers/paths.js';

const BASE = 'rtsp://192.0.2.10:554/stream';
/** What a client needs to decode the camera's AAC payloads: never lost on the way. */
const AAC_KEYS = ['config', 'mode', 'sizelength', 'indexlength', 'indexdeltalength', 'profile-level-id', 'streamtype', 'cpresent', 'object'];

function track(over: Partial<Track>): Track {
  return { index: 0, kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, control: `${BASE}/trackID=0`, direction: 'recvonly', ...over };
}

/** The restream's SDP for these camera tracks, read back by camrtc's own (tolerant) SDP reader. */
function roundTrip(tracks: readonly Track[]): Track[] {
  const media = tracks.map((t) => restreamMedia(t)).filter((m) => m !== undefined);
  const sdp = buildMountSdp(media.map((m) => ({ media: m })), { host: '127.0.0.1', sessionId: '1', sessionName: 'front' });
  const parsed = parseSessionDescription(sdp, 'rtsp://127.0.0.1:8554/front/');
  assert.ok(!(parsed instanceof CamrtcError), String(parsed));
  return parsed.tracks;
}

test('H.264: packetization-mode 1 whatever the camera used; profile and parameter sets kept; the camera\'s other parameters dropped', () => {
  const cam = track({ fmtp: { 'packetization-mode': '0', 'profile-level-id': '42e01f', 'sprop-parameter-sets': 'Z0LgH9oBQBbpUgAAAwACAAADAGQeMGVA,aM4yyA==', 'sprop-interleaving-depth': '4' } });
  const [t] = roundTrip([cam]);
  assert.deepEqual(t.fmtp, { 'profile-level-id': '42e01f', 'sprop-parameter-sets': 'Z0LgH9oBQBbpUgAAAwACAAADAGQeMGVA,aM4yyA==', 'packetization-mode': '1' });
  assert.equal(t.codec, 'H264');
  assert.equal(t.payloadType, 96);
  assert.match(t.control, /\/front\/trackID=0$/);
});

test('H.265: the parameter sets stay, DONL parameters go (the feed strips DONs)', () => {
  const cam = track({ codec: 'H265', fmtp: { 'sprop-vps': 'QAEMAf//', 'sprop-sps': 'QgEBAWA=', 'sprop-pps': 'RAHA', 'sprop-max-don-diff': '2', 'sprop-depack-buf-nalus': '1' } });
  assert.deepEqual(roundTrip([cam])[0].fmtp, { 'sprop-vps': 'QAEMAf//', 'sprop-sps': 'QgEBAWA=', 'sprop-pps': 'RAHA' });
});

test('audio: PCMA as sent (static payload type, one channel); Opus announced as two channels (RFC 7587)', () => {
  const [pcma] = roundTrip([track({ kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 })]);
  assert.deepEqual([pcma.codec, pcma.payloadType, pcma.clockRate], ['PCMA', 8, 8000]);
  const [opus] = roundTrip([track({ kind: 'audio', codec: 'OPUS', payloadType: 111, clockRate: 48000, channels: 2, fmtp: { useinbandfec: '1' } })]);
  assert.deepEqual([opus.codec, opus.payloadType, opus.clockRate, opus.channels, opus.fmtp.useinbandfec], ['OPUS', 111, 48000, 2, '1']);
});

/** RFC 3640 AAC-hbr as gst-rtsp-server's rtpmp4gpay describes it (with a stray parameter a camera added). */
const GENERIC = track({
  kind: 'audio', codec: 'MPEG4-GENERIC', payloadType: 97, clockRate: 16000, channels: 1,
  fmtp: { streamtype: '5', 'profile-level-id': '1', mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3', profile: '1' },
});
/** RFC 6416 LATM with its StreamMuxConfig in the SDP (cpresent=0), as rtpmp4apay and many cameras send it. */
const LATM = track({
  kind: 'audio', codec: 'MP4A-LATM', payloadType: 96, clockRate: 16000, channels: 1,
  fmtp: { 'profile-level-id': '15', object: '2', cpresent: '0', config: '40002820103fc0', 'sbr-enabled': '0' },
});

test("AAC: the camera's own codec, clock, channels and payload format, although browsers get it as Opus (MPEG4-GENERIC)", () => {
  const presented = presentedTrack(GENERIC);
  assert.equal(presented.codec, 'OPUS', 'browsers are told Opus');
  const [aac] = roundTrip([presented]);
  assert.deepEqual([aac.codec, aac.payloadType, aac.clockRate, aac.channels], ['MPEG4-GENERIC', 97, 16000, 1]);
  // Every RFC 3640 parameter the camera gave, since its payloads go out unchanged; the stray one goes.
  assert.deepEqual(aac.fmtp, { streamtype: '5', 'profile-level-id': '1', mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3' });
});

test('AAC: LATM keeps cpresent and its StreamMuxConfig', () => {
  const [latm] = roundTrip([presentedTrack(LATM)]);
  assert.deepEqual([latm.codec, latm.payloadType, latm.clockRate, latm.channels], ['MP4A-LATM', 96, 16000, 1]);
  assert.deepEqual(latm.fmtp, { 'profile-level-id': '15', object: '2', cpresent: '0', config: '40002820103fc0', 'sbr-enabled': '0' });
});

test('AAC: a camera back with another config (or clock) is other media for restream clients; the H.264 profile learnt later is not', () => {
  const before = restreamMedia(presentedTrack(GENERIC))!;
  assert.ok(sameMedia(before, restreamMedia(presentedTrack(GENERIC))!));
  assert.ok(!sameMedia(before, restreamMedia(presentedTrack({ ...GENERIC, fmtp: { ...GENERIC.fmtp, config: '1210' } }))!), 'another config');
  assert.ok(!sameMedia(before, restreamMedia(presentedTrack({ ...GENERIC, clockRate: 48000 }))!), 'another clock');
  const h264 = restreamMedia(track({ fmtp: { 'profile-level-id': '42e01f' } }))!;
  assert.ok(sameMedia(h264, restreamMedia(track({ fmtp: { 'profile-level-id': '640028' } }))!));
});

test('a camera fmtp value that could break the SDP line is left out, never written', () => {
  const media = restreamMedia(track({ fmtp: { 'profile-level-id': '42e01f\r\na=evil', 'sprop-parameter-sets': 'Z0Lg H9o=' } }));
  assert.equal(media?.fmtp, 'packetization-mode=1');
  assert.equal(restreamMedia(track({ kind: 'application', codec: 'VND.ONVIF.METADATA' })), undefined);
});

test('every real camera SDP: the restream describes the forwarded tracks with the same codecs, clocks and payload types', { skip: cameraSdpAvailable() ? false : CAMERA_SDP_MISSING }, () => {
  const files = readdirSync(CAMERA_SDP_DIR).filter((f) => f.endsWith('.sdp'));
  assert.ok(files.length > 0);
  let described = 0;
  let aac = 0;
  for (const file of files) {
    const parsed = parseSessionDescription(readFileSync(join(CAMERA_SDP_DIR, file), 'utf8'), BASE);
    if (parsed instanceof CamrtcError) continue;
    // What the feed presents to viewers (UpstreamFeed + FeedTracks), which the restream serves.
    const presented = selectForwardedTracks(parsed.tracks).map(honestTrack).map(presentedTrack);
    if (presented.length === 0) continue;
    const back = roundTrip(presented);
    assert.equal(back.length, presented.length, file);
    back.forEach((t, i) => {
      // AAC is served as the camera sends it (browsers get Opus): the camera's own track is the reference.
      const want = presented[i].cameraTrack ?? presented[i];
      assert.deepEqual([t.kind, t.codec, t.clockRate, t.payloadType], [want.kind, want.codec, want.clockRate, want.payloadType], `${file} track ${i}`);
      if (t.codec === 'H264') {
        assert.equal(t.fmtp['packetization-mode'], '1', file);
        if (want.fmtp['sprop-parameter-sets']) assert.equal(t.fmtp['sprop-parameter-sets'], want.fmtp['sprop-parameter-sets'], file);
        if (want.fmtp['profile-level-id']) assert.equal(t.fmtp['profile-level-id'], want.fmtp['profile-level-id'], file);
      }
      if (t.codec === 'H265') assert.equal(t.fmtp['sprop-max-don-diff'], undefined, file);
      if (t.codec === 'MPEG4-GENERIC' || t.codec === 'MP4A-LATM') {
        assert.equal(t.channels, want.channels, `${file}: channels`);
        for (const key of AAC_KEYS) assert.equal(t.fmtp[key], want.fmtp[key], `${file}: ${key}`);
        aac++;
      }
    });
    described++;
  }
  assert.ok(described >= 20, `only ${described} camera SDPs gave a restream`);
  // Only with ffmpeg does the feed take AAC (to transcode it for browsers), and so the restream.
  if (findFfmpeg()) assert.ok(aac >= 6, `only ${aac} AAC tracks among the camera SDPs`);
});
