// Every real camera SDP in ../shared/camera-sdp (see its INDEX.tsv) parses, gives the media
// sections its source test expects, and selectPlayableTracks picks what camrtc should play.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CAMERA_SDP_DIR, CAMERA_SDP_MISSING, cameraSdpAvailable } from '../../helpers/paths.js';
import { parseSessionDescription, selectPlayableTracks } from '../../../server/src/sdp/SessionDescription.js';
import { CamrtcError } from '../../../server/src/errors.js';
import type { Track } from '../../../server/src/sdp/Track.js';

const DEFAULT_BASE = 'rtsp://192.0.2.10:554/stream';

interface Expected {
  /** "kind CODEC/clock[/channels]" per track, in SDP order; CODEC is '' for a dynamic PT without rtpmap. */
  readonly tracks: string[];
  /** Track.index values selectPlayableTracks returns. */
  readonly playable: number[];
  /** Content-Base the camera would send (its absolute a=control URLs are on that host). */
  readonly base?: string;
  /** Extra checks for the file's quirk. */
  readonly check?: (tracks: Track[]) => void;
}

const control = (t: Track[], i: number): string => t[i].control;

const EXPECTED: Record<string, Expected> = {
  'go2rtc-cv-rtsphandler.sdp': {
    tracks: ['video H264/90000', 'audio MPEG4-GENERIC/8000/1'], playable: [0, 1],
    check: (t) => assert.deepEqual(t.map((x) => x.direction), ['recvonly', 'recvonly'], 'a video marked sendonly is not a backchannel'),
  },
  'go2rtc-go2rtc-server-no-control.sdp': {
    tracks: ['audio MPEG4-GENERIC/48000/2', 'audio OPUS/48000/2', 'video H264/90000'], playable: [1, 2],
    check: (t) => assert.ok(t.every((x) => x.control === DEFAULT_BASE), 'no a=control: every track uses the base URL'),
  },
  'go2rtc-hikvision-pcm.sdp': {
    base: 'rtsp://192.168.1.12:554/Streaming/channels/101/',
    tracks: ['video H264/90000', 'audio PCM/48000'], playable: [0],
    check: (t) => assert.equal(control(t, 0), 'rtsp://192.168.1.12:554/Streaming/channels/101/trackID=1'),
  },
  'go2rtc-live555-ipcam-vana.sdp': {
    tracks: ['video JPEG/90000', 'audio PCMU/8000/1', 'application VND.ONVIF.METADATA/90000', 'application VIDEO.ANALYSIS/90000'], playable: [1],
  },
  'go2rtc-mercury.sdp': { tracks: ['video H264/90000', 'audio PCMA/8000', 'application MERCURY/90000'], playable: [0, 1] },
  'go2rtc-reolink.sdp': {
    tracks: ['video H264/90000', 'audio MPEG4-GENERIC/16000', 'audio PCMA/8000'], playable: [0, 1],
    check: (t) => assert.equal(t[2].direction, 'sendonly', 'the PCMA track is the backchannel'),
  },
  'go2rtc-rtspserver-live.sdp': {
    tracks: ['video H264/90000', 'audio MPEG4-GENERIC/8000/1'], playable: [0, 1],
    check: (t) => assert.deepEqual(t.map((x) => x.control), [`${DEFAULT_BASE}/track0`, `${DEFAULT_BASE}/track1`]),
  },
  'go2rtc-streamed-by-rtsp-server.sdp': {
    tracks: ['video H264/90000', 'audio PCMA/8000/1'], playable: [0, 1],
    check: (t) => assert.equal(t[0].fmtp['profile-level-id'], '64001F', 'the H264 fmtp found in the audio section belongs to the video'),
  },
  'go2rtc-uniview-vcp-ipc.sdp': {
    base: 'rtsp://1.0.1.113/media/video2',
    tracks: ['video H264/90000', 'audio PCMU/8000/1', 'audio PCMA/8000', 'application VND.ONVIF.METADATA/90000'], playable: [0, 1],
    check: (t) => assert.equal(t[2].direction, 'sendonly'),
  },
  'gortsplib-aces-ssdrtspserver.sdp': {
    tracks: ['video H264/90000', 'audio PCMU/8000', 'audio PCMU/8000', 'application VND.ONVIF.METADATA/90000'], playable: [0, 1],
    check: (t) => assert.equal(control(t, 2), `${DEFAULT_BASE}/backchannel`),
  },
  'gortsplib-aja-encoder.sdp': { tracks: ['video /0'], playable: [] },
  'gortsplib-altasec-nvr.sdp': { tracks: ['video H264/90000', 'audio PCMU/8000', 'application METADATA/90000'], playable: [0, 1] },
  'gortsplib-amcrest.sdp': { tracks: [], playable: [] },
  'gortsplib-avigilon.sdp': {
    base: 'rtsp://192.168.1.63/defaultPrimary',
    tracks: ['audio PCMU/8000/1', 'audio PCMU/8000', 'video /0'], playable: [0],
    check: (t) => {
      assert.equal(control(t, 0), 'rtsp://192.168.1.63/defaultPrimary/micCfg0/trackID=9?mtu=1440&streamType=u');
      assert.equal(t[1].direction, 'sendonly');
      assert.deepEqual(t[1].formats?.map((f) => f.codec), ['PCMU', 'OPUS']);
    },
  },
  'gortsplib-avoip-aac.sdp': { tracks: ['audio MPEG4-GENERIC/48000/2'], playable: [0] },
  'gortsplib-bosch.sdp': {
    base: 'rtsp://10.100.14.102:554/?inst=2&h26x=4',
    tracks: ['video H264/90000'], playable: [0],
    check: (t) => {
      assert.equal(t[0].payloadType, 35);
      assert.equal(control(t, 0), 'rtsp://10.100.14.102:554/?inst=2&h26x=4&stream=video');
    },
  },
  'gortsplib-bzbgear-bg-vptz-10hsu3.sdp': { tracks: ['application META/0'], playable: [] },
  'gortsplib-decimal-origin.sdp': {
    tracks: ['video H264/90000'], playable: [0],
    check: (t) => assert.equal(t[0].fmtp['profile-level-id'], '33'),
  },
  'gortsplib-empty-unicast-address.sdp': {
    base: 'rtsp://10.10.1.30:8554/onvif2',
    tracks: ['video H264/90000', 'audio PCMU/8000/1'], playable: [0, 1],
  },
  'gortsplib-flir.sdp': {
    base: 'rtsp://172.16.2.20/',
    tracks: ['video H264/90000'], playable: [0],
    check: (t) => {
      assert.equal(t[0].payloadType, 111, 'the first H264 format of the section is chosen');
      assert.deepEqual(t[0].formats?.map((f) => f.codec), ['MP4V-ES', 'MP4V-ES', 'H264', 'H264', 'FCAM']);
    },
  },
  'gortsplib-fritzbox-6660-cable.sdp': { tracks: ['video MP2T/90000'], playable: [] },
  'gortsplib-hex-session-112a.sdp': { tracks: [], playable: [] },
  'gortsplib-hex-session-112b.sdp': { tracks: [], playable: [] },
  'gortsplib-hex-session-60.sdp': { tracks: [], playable: [] },
  'gortsplib-hik-media-server.sdp': {
    tracks: ['video H264/90000'], playable: [0],
    check: (t) => assert.equal(t[0].fmtp['packetization-mode'], '0'),
  },
  'gortsplib-ids-ueye.sdp': {
    base: 'rtsp://*****/',
    tracks: ['video H264/90000'], playable: [0],
    check: (t) => assert.equal(t[0].direction, 'recvonly', 'a lone sendonly video is not a backchannel'),
  },
  'gortsplib-ioi-trk-101.sdp': { tracks: ['video MP4V-ES/1000'], playable: [] },
  'gortsplib-livereporter-app.sdp': { tracks: ['video H264/90000', 'audio MPEG4-GENERIC/48000/1'], playable: [0, 1] },
  'gortsplib-mercury-smart-271.sdp': {
    tracks: ['application MERCURY/90000'], playable: [],
    check: (t) => assert.equal(t[0].payloadType, 95),
  },
  'gortsplib-mercury.sdp': { tracks: ['video H264/90000', 'audio PCMA/8000', 'application MERCURY/90000'], playable: [0, 1] },
  'gortsplib-mp2t-in-protocol.sdp': { tracks: ['video MP2T/90000'], playable: [] },
  'gortsplib-no-session-name.sdp': { tracks: ['video H265/90000', 'audio PCMA/8000'], playable: [0, 1] },
  'gortsplib-no-v0-at-start.sdp': { tracks: ['video H264/90000'], playable: [0] },
  'gortsplib-rbslive-invalid-origin.sdp': { tracks: ['video H264/90000', 'audio MPEG4-GENERIC/48000/2'], playable: [0, 1] },
  'gortsplib-samsung.sdp': {
    base: 'rtsp://10.0.100.50/profile5/media.smp',
    tracks: ['video H264/90000', 'audio PCMU/8000', 'application /0'], playable: [0, 1],
    check: (t) => {
      assert.equal(control(t, 0), 'rtsp://10.0.100.50/profile5/media.smp/trackID=v');
      assert.equal(t[0].fmtp['profile-level-id'], '640028', 'kept as a string');
    },
  },
  'gortsplib-sony-snc-wr630.sdp': { tracks: ['video H264/90000'], playable: [0] },
  'gortsplib-tias-bitrate.sdp': { tracks: ['video H264/90000'], playable: [0] },
  'gortsplib-tp-link-smart-1267.sdp': { tracks: ['application TP-LINK/90000'], playable: [] },
  'gortsplib-tp-link-smart-509.sdp': { tracks: ['application TP-LINK/25000'], playable: [] },
  'gortsplib-tp-link.sdp': {
    tracks: ['video H265/90000', 'audio PCMA/8000', 'application TP-LINK/90000'], playable: [0, 1],
    check: (t) => assert.equal(t[0].fmtp['interop-constraints'], '000000000000'),
  },
  'gortsplib-udp-technology.sdp': { tracks: ['application METADATA/90000'], playable: [] },
  'gortsplib-undisclosed-ipv4.sdp': { tracks: ['video /0'], playable: [] },
  'gortsplib-undisclosed-ipv6.sdp': { tracks: ['video /0'], playable: [] },
  'gortsplib-uniview-ipc2122lb-sf28k-a.sdp': {
    base: 'rtsp://10.0.0.1/media/video1',
    tracks: ['video H264/90000', 'application VND.ONVIF.METADATA/90000'], playable: [0],
  },
  'gortsplib-unknown-onvif-camera.sdp': {
    tracks: ['video H264/90000', 'application VND.ONVIF.METADATA/90000'], playable: [0],
    check: (t) => assert.equal(control(t, 0), `${DEFAULT_BASE}?ctype=video`),
  },
  'gortsplib-verint.sdp': {
    base: 'rtsp://192.168.1.1:554/c266233d-e0e5-414f-9c57-9ed9d187c969',
    tracks: ['video H264/90000'], playable: [0],
  },
  'gortsplib-vlc-rr-bitrate.sdp': { tracks: ['audio MPEG4-GENERIC/22050', 'video H264/90000'], playable: [0, 1] },
  'gortsplib-vurix-nvr.sdp': { base: 'rtsp://10.10.10.10:5556/vurix/1414/0', tracks: ['video H264/90000'], playable: [0] },
  'gortsplib-windows-media-server.sdp': {
    base: 'rtsp://61.135.88.175:554/refuse/unavailable_media.wmv/',
    tracks: ['video X-ASF-PF/1000', 'application X-WMS-RTX/1000'], playable: [],
  },
  'gortsplib-wisenet-nvr.sdp': { tracks: ['video H264/90000', 'audio MPA/90000', 'application OBJECT-DETECTION/1000'], playable: [0] },
  'gortsplib-y-cam-bullet-hd.sdp': { tracks: ['video MP4V-ES/90000'], playable: [] },
};

function describeTrack(t: Track): string {
  return `${t.kind} ${t.codec}/${t.clockRate}${t.channels ? `/${t.channels}` : ''}`;
}

const available = cameraSdpAvailable();
const files = available ? readdirSync(CAMERA_SDP_DIR).filter((f) => f.endsWith('.sdp')).sort() : [];

test('every real camera SDP has an expectation in this file', { skip: available ? false : CAMERA_SDP_MISSING }, () => {
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const file of available ? files : Object.keys(EXPECTED)) {
  const name = file.replace(/\.sdp$/, '').replace(/^(go2rtc|gortsplib)-/, '$1: ');
  test(name, { skip: available ? false : CAMERA_SDP_MISSING }, () => {
    const exp = EXPECTED[file];
    assert.ok(exp, `no expectation for ${file}`);
    const sdp = readFileSync(join(CAMERA_SDP_DIR, file), 'latin1');
    const base = exp.base ?? DEFAULT_BASE;
    const res = parseSessionDescription(sdp, base);
    assert.ok(!(res instanceof CamrtcError), res instanceof CamrtcError ? res.message : '');
    assert.deepEqual(res.rejected, [], 'no track rejected');
    assert.deepEqual(res.tracks.map(describeTrack), exp.tracks);
    assert.deepEqual(res.tracks.map((t) => t.index), exp.tracks.map((_, i) => i));
    const origin = /^rtsp:\/\/[^/?]*/.exec(base)![0];
    for (const t of res.tracks) assert.ok(t.control === origin || t.control.startsWith(origin + '/') || t.control.startsWith(origin + '?'), `${t.control} is on ${origin}`);
    assert.deepEqual(selectPlayableTracks(res.tracks).map((t) => t.index), exp.playable);
    exp.check?.(res.tracks);
  });
}

test('real camera SDPs read with a base URL on another host (camera behind NAT) SETUP only on that host', { skip: available ? false : CAMERA_SDP_MISSING }, () => {
  for (const file of files) {
    const res = parseSessionDescription(readFileSync(join(CAMERA_SDP_DIR, file), 'latin1'), 'rtsp://203.0.113.7/cam');
    assert.ok(!(res instanceof CamrtcError), file);
    for (const t of res.tracks) assert.ok(t.control.startsWith('rtsp://203.0.113.7/'), `${file}: ${t.control}`);
    assert.deepEqual(res.rejected, [], file);
  }
});
