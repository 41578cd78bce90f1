import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSessionDescription, selectPlayableTracks, isBackchannel, MAX_MEDIA_SECTIONS, MAX_SDP_LENGTH, type SessionDescription } from '../../../server/src/sdp/SessionDescription.js';
import { CamrtcError } from '../../../server/src/errors.js';
import type { Track } from '../../../server/src/sdp/Track.js';

const BASE = 'rtsp://10.1.2.3:554/live/ch1';

function parse(lines: string[], base = BASE, eol = '\r\n'): SessionDescription {
  const res = parseSessionDescription(lines.join(eol) + eol, base);
  if (res instanceof CamrtcError) throw res;
  return res;
}

const H264_VIDEO = [
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1;profile-level-id=640028;sprop-parameter-sets=Z2QAKKwbGoB4AiflwFuAgICgAAB9AAATiB0MAEr4AAL68F3lxoYAJXwAAX14LvLhQA==,aO48MA==',
  'a=control:trackID=1',
];
const HEAD = ['v=0', 'o=- 1 1 IN IP4 10.1.2.3', 's=Camera', 'c=IN IP4 0.0.0.0', 't=0 0'];

test('CRLF and LF-only SDPs give the same tracks', () => {
  assert.deepEqual(parse([...HEAD, ...H264_VIDEO], BASE, '\n'), parse([...HEAD, ...H264_VIDEO], BASE, '\r\n'));
});

test('an SDP without v= line (starts with m=) is read', () => {
  const { tracks } = parse(H264_VIDEO);
  assert.equal(tracks.length, 1);
  assert.equal(tracks[0].codec, 'H264');
});

test('odd c= lines (c=IN with no address, c=IP IP4, c=IN c=IN) and a malformed o= are ignored', () => {
  const { tracks, sessionName } = parse(['v=0', 'o=-0 0 IN IP4', 's=Odd', 'c=IN c=IN IP4 0.0.0.0', 't=now-', 'c=IP IP4', ...H264_VIDEO, 'c=IN']);
  assert.equal(sessionName, 'Odd');
  assert.equal(tracks.length, 1);
});

test('session attributes before s= and t= do not end the session part', () => {
  const { tracks, sessionName } = parse(['v=0', 'a=control:*', 'a=recvonly', 's=Unordered', 't=0 0', ...H264_VIDEO]);
  assert.equal(sessionName, 'Unordered');
  assert.equal(tracks[0].direction, 'recvonly');
});

test('fmtp values stay strings with their leading zeros, keys are lower-cased', () => {
  const { tracks } = parse([...HEAD, 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H265/90000', 'a=fmtp:96 Profile-Space=0; Interop-Constraints=000000000000; sprop-vps=QAEMAf//AWAAAAMAAAMAAAMAAAMAlqwJ;']);
  assert.deepEqual(tracks[0].fmtp, { 'profile-space': '0', 'interop-constraints': '000000000000', 'sprop-vps': 'QAEMAf//AWAAAAMAAAMAAAMAAAMAlqwJ' });
  assert.equal(parse(H264_VIDEO).tracks[0].fmtp['profile-level-id'], '640028');
});

test('static payload types without rtpmap: 0 is PCMU/8000, 8 is PCMA/8000, 14 is MPA/90000', () => {
  const { tracks } = parse([...HEAD, 'm=audio 0 RTP/AVP 0', 'a=control:a0', 'm=audio 0 RTP/AVP 8', 'a=control:a8', 'm=audio 0 RTP/AVP 14', 'a=control:a14']);
  assert.deepEqual(tracks.map((t) => [t.codec, t.clockRate, t.channels, t.payloadType]), [['PCMU', 8000, 1, 0], ['PCMA', 8000, 1, 8], ['MPA', 90000, undefined, 14]]);
});

test('a dynamic payload type without rtpmap gives an empty codec and clock rate 0, never a guess', () => {
  const { tracks } = parse([...HEAD, 'm=video 0 RTP/AVP 96']);
  assert.deepEqual([tracks[0].codec, tracks[0].clockRate], ['', 0]);
  assert.deepEqual(selectPlayableTracks(tracks), []);
});

test('an rtpmap for another payload type than the m= line does not override the static type', () => {
  const { tracks } = parse([...HEAD, 'm=audio 0 RTP/AVP 8', 'a=rtpmap:0 PCMU/8000/1']);
  assert.equal(tracks[0].codec, 'PCMA');
});

test('H264 fmtp placed in the audio section is given to the video track that lists its payload type', () => {
  const { tracks } = parse([...HEAD, 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:v', 'm=audio 0 RTP/AVP 8', 'a=control:a', 'a=fmtp:96 packetization-mode=1;profile-level-id=42001F']);
  assert.equal(tracks[0].fmtp['profile-level-id'], '42001F');
  assert.deepEqual(tracks[1].fmtp, {});
});

test('HIK Media Server: AAC fmtp on the wrong payload type goes to the lone format of its section', () => {
  const { tracks } = parse([...HEAD, ...H264_VIDEO, 'm=audio 0 RTP/AVP 104', 'a=rtpmap:104 mpeg4-generic/16000/1', 'a=fmtp:96 streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1408; sizeLength=13; indexLength=3; indexDeltaLength=3', 'a=control:trackID=2']);
  assert.equal(tracks[1].codec, 'MPEG4-GENERIC');
  assert.equal(tracks[1].fmtp.config, '1408');
  assert.equal(tracks[0].fmtp['profile-level-id'], '640028', 'the video keeps its own fmtp');
});

test('several formats in one m= line: the first playable is chosen, all are listed in formats', () => {
  const { tracks } = parse([...HEAD, 'm=video 0 RTP/AVP 97 98', 'a=rtpmap:97 MP4V-ES/90000', 'a=rtpmap:98 H264/90000', 'a=fmtp:98 packetization-mode=1']);
  assert.equal(tracks[0].payloadType, 98);
  assert.equal(tracks[0].fmtp['packetization-mode'], '1');
  assert.deepEqual(tracks[0].formats?.map((f) => f.payloadType), [97, 98]);
  assert.equal(parse(H264_VIDEO).tracks[0].formats, undefined, 'one format: no formats list');
});

test('TP-Link: m=application/TP-LINK with smart/1/90000 as format takes the payload type from rtpmap', () => {
  const { tracks } = parse([...HEAD, ...H264_VIDEO, 'm=application/TP-LINK 0 RTP/AVP smart/1/90000', 'a=rtpmap:95 TP-LINK/90000', 'a=control:track3']);
  assert.deepEqual([tracks[1].kind, tracks[1].codec, tracks[1].payloadType, tracks[1].clockRate], ['application', 'TP-LINK', 95, 90000]);
  assert.deepEqual(selectPlayableTracks(tracks).map((t) => t.index), [0]);
});

test('media types other than audio and video (text, meta, metadata) are application tracks', () => {
  const { tracks } = parse(['m=text 0 RTP/AVP 103', 'a=rtpmap:103 object-detection/1000', 'm=meta 0 RTP/AVP 123', 'a=rtpmap:123 META /0']);
  assert.deepEqual(tracks.map((t) => [t.kind, t.codec, t.clockRate]), [['application', 'OBJECT-DETECTION', 1000], ['application', 'META', 0]]);
});

test('a=control: relative, with query, absolute on the same host, `*`, missing, duplicated', () => {
  const { tracks } = parse([
    ...HEAD, 'a=control:*',
    'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:trackID=1', 'a=control:trackID=9',
    'm=audio 0 RTP/AVP 0', 'a=control:?ctype=audio',
    'm=audio 0 RTP/AVP 8', 'a=control:rtsp://10.1.2.3/live/ch1/audio2',
    'm=application 0 RTP/AVP 107', 'a=control:*',
    'm=application 0 RTP/AVP 108',
  ]);
  assert.deepEqual(tracks.map((t) => t.control), [
    'rtsp://10.1.2.3:554/live/ch1/trackID=1',
    'rtsp://10.1.2.3:554/live/ch1?ctype=audio',
    'rtsp://10.1.2.3:554/live/ch1/audio2',
    'rtsp://10.1.2.3:554/live/ch1',
    'rtsp://10.1.2.3:554/live/ch1',
  ]);
});

test('camera behind NAT: an absolute a=control on another host is moved onto the session host, never followed', () => {
  const res = parse([...HEAD, ...H264_VIDEO, 'm=audio 0 RTP/AVP 0', 'a=control:rtsp://192.168.1.64:554/live/ch1/audio']);
  assert.deepEqual(res.tracks.map((t) => t.index), [0, 1]);
  assert.deepEqual(res.rejected, []);
  assert.equal(res.tracks[1].control, 'rtsp://10.1.2.3:554/live/ch1/audio');
});

test('credentials in the base URL never reach a control URL', () => {
  const { tracks } = parse(H264_VIDEO, 'rtsp://admin:secret@10.1.2.3/live');
  assert.equal(tracks[0].control, 'rtsp://10.1.2.3/live/trackID=1');
});

test('reolink: a sendonly PCMA beside received tracks is a backchannel and is not selected', () => {
  const { tracks } = parse([...HEAD, ...H264_VIDEO, 'm=audio 0 RTP/AVP 8', 'a=control:track3', 'a=rtpmap:8 PCMA/8000', 'a=sendonly']);
  assert.equal(isBackchannel(tracks[1]), true);
  assert.deepEqual(selectPlayableTracks(tracks).map((t) => t.index), [0]);
});

test('direction attributes: media level overrides session level; a lone sendonly video is read as recvonly', () => {
  const both = parse(['v=0', 'a=sendrecv', ...H264_VIDEO, 'm=audio 0 RTP/AVP 0', 'a=inactive']);
  assert.deepEqual(both.tracks.map((t) => t.direction), ['sendrecv', 'inactive']);
  assert.deepEqual(selectPlayableTracks(both.tracks).map((t) => t.index), [0], 'an inactive track is not played');
  assert.equal(parse([...H264_VIDEO, 'a=sendonly']).tracks[0].direction, 'recvonly');
});

test('selectPlayableTracks prefers forwardable audio over AAC and skips non-H26x video', () => {
  const { tracks } = parse([
    'm=video 0 RTP/AVP 96', 'a=rtpmap:96 MP4V-ES/90000', 'a=control:v0',
    'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/48000/2', 'a=control:a1',
    'm=video 0 RTP/AVP 98', 'a=rtpmap:98 H265/90000', 'a=control:v2',
    'm=audio 0 RTP/AVP 99', 'a=rtpmap:99 opus/48000/2', 'a=control:a3',
  ]);
  assert.deepEqual(selectPlayableTracks(tracks).map((t) => [t.index, t.codec]), [[2, 'H265'], [3, 'OPUS']]);
  assert.deepEqual(selectPlayableTracks(tracks.slice(0, 3)).map((t) => t.codec), ['MPEG4-GENERIC', 'H265'], 'AAC when nothing better');
});

test('session name: s=- and s= (blank) mean no name; s= inside a media section is not the session name', () => {
  assert.equal(parse(['v=0', 's=-', ...H264_VIDEO]).sessionName, undefined);
  assert.equal(parse(['v=0', 's= ', ...H264_VIDEO]).sessionName, undefined);
  assert.equal(parse([...H264_VIDEO, 's=Inner']).sessionName, undefined);
});

test('text that is not an SDP, an invalid base URL and limits give ERR_PARSE_SDP', () => {
  for (const [sdp, base] of [
    ['', BASE],
    ['<html><body>404</body></html>', BASE],
    ['m=video 0 RTP/AVP 96', 'http://10.1.2.3/x'],
    ['m=video 0 RTP/AVP 96', 'not a url'],
    ['m=video 0 RTP/AVP 0\n'.repeat(MAX_MEDIA_SECTIONS + 1), BASE],
    ['a=x\n' + 'x'.repeat(MAX_SDP_LENGTH), BASE],
  ] as const) {
    const res = parseSessionDescription(sdp, base);
    assert.ok(res instanceof CamrtcError, JSON.stringify(sdp.slice(0, 30)));
    assert.equal(res.code, 'ERR_PARSE_SDP');
  }
});

test('an SDP with a session part and no media gives no tracks (the caller reports "no tracks")', () => {
  assert.deepEqual(parse(HEAD).tracks, []);
});

test('Track fields are plain data (JSON round trip)', () => {
  const { tracks } = parse([...HEAD, ...H264_VIDEO]);
  const t: Track = tracks[0];
  assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
});
