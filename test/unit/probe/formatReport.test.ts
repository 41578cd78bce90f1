/** The probe's text report and its reasons for skipped tracks, as a user reads them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason } from '../../../server/src/probe/codecReport.js';
import { formatProbeReport } from '../../../server/src/probe/formatReport.js';
import type { ProbeReport, TrackStats } from '../../../server/src/probe/ProbeReport.js';
import type { Track } from '../../../server/src/sdp/Track.js';

const track = (t: Partial<Track>): Track => ({ index: 0, kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, control: 'rtsp://cam/track1', direction: 'recvonly', ...t });

const stats = (s: Partial<TrackStats>): TrackStats => ({
  packets: 100,
  bytes: 90_000,
  accessUnits: 50,
  frames: 50,
  keyframes: 2,
  lost: 0,
  reordered: 0,
  decodeErrors: 0,
  bFrames: false,
  ssrcChanges: 0,
  ...s,
});

describe('probe report text', () => {
  test('what the camera sent, then what viewers get: dropped pictures, the last decode error, SPS profile, B-frames, transcoding', () => {
    const report: ProbeReport = {
      ok: true,
      url: 'rtsp://admin:***@cam/stream',
      transport: 'tcp',
      seconds: 2,
      tracks: [
        {
          index: 0,
          kind: 'video',
          codec: 'H264',
          clockRate: 90000,
          payloadType: 96,
          forwardable: true,
          played: true,
          presented: { codec: 'H264', clockRate: 90000 },
          h264: { profile: 'Main', level: '4.0', profileLevelId: '4d0028', packetizationMode: 1, spsInSdp: false, ppsInSdp: false, width: 1920, height: 1080 },
          stats: stats({ frames: 20, lost: 3, decodeErrors: 3, lastDecodeError: { code: 'ERR_PARSE_H264', message: '1 RTP packet(s) lost: access unit dropped' }, bFrames: true, profileLevelId: '640028', ssrcChanges: 1 }),
        },
        {
          index: 1,
          kind: 'audio',
          codec: 'MPEG4-GENERIC',
          clockRate: 16000,
          payloadType: 97,
          channels: 1,
          forwardable: true,
          played: true,
          presented: { codec: 'OPUS', clockRate: 48000, channels: 2 },
          stats: stats({ packets: 30, accessUnits: 30, frames: 100, keyframes: null }),
        },
        { index: 2, kind: 'application', codec: 'VND.ONVIF.METADATA', clockRate: 90000, payloadType: 107, forwardable: false, played: false, skipped: 'metadata or data track' },
      ],
    };
    const lines = formatProbeReport(report).split('\n');
    assert.deepEqual(lines, [
      'camera rtsp://admin:***@cam/stream',
      'transport: tcp',
      'tracks in the session description (3):',
      '  #0 video       H264/90000        pt 96  Main 4.0 (4d0028), packetization-mode 1, no SPS/PPS in SDP, 1920x1080  [played]',
      '  #1 audio       MPEG4-GENERIC/16000/1 pt 97  [played, browsers get OPUS/48000/2]',
      '  #2 application VND.ONVIF.METADATA/90000 pt 107 [skipped: metadata or data track]',
      'received in 2 s:',
      '  #0 video H264: 100 packets, 90000 bytes, 50 access units, 2 keyframes, 3 lost, 0 reordered, 1 SSRC changes',
      '     to viewers: 20 frames, 3 decode errors, last: 1 RTP packet(s) lost: access unit dropped [ERR_PARSE_H264], told profile-level-id 640028 (from the SPS), B-frames: browsers may stutter',
      '  #1 audio MPEG4-GENERIC: 30 packets, 90000 bytes, 30 frames, 0 lost, 0 reordered',
      '     to viewers: 100 frames of OPUS, 0 decode errors',
      'OK',
      '',
    ]);
  });

  test('a failed probe ends with the error and its code', () => {
    const text = formatProbeReport({ ok: false, url: 'rtsp://cam/', seconds: 5, tracks: [], error: { code: 'ERR_RTSP_CONNECT', message: 'cannot connect' } });
    assert.equal(text, 'camera rtsp://cam/\nFAILED: cannot connect [ERR_RTSP_CONNECT]\n');
  });
});

describe('why a track is not played', () => {
  test('each reason in words', () => {
    assert.equal(skipReason(track({ kind: 'application', codec: 'VND.ONVIF.METADATA' })), 'metadata or data track');
    assert.equal(skipReason(track({ kind: 'audio', codec: 'PCMU', direction: 'sendonly' })), 'backchannel (audio to the camera)');
    assert.equal(skipReason(track({ direction: 'inactive' })), 'inactive');
    assert.match(skipReason(track({ codec: 'JPEG' })), /^JPEG is not forwarded \(browsers get H\.264 or H\.265 video\)/);
    assert.match(skipReason(track({ kind: 'audio', codec: 'G726-32', clockRate: 8000 })), /^G726-32 is not forwarded/);
    // A second H.264 video: forwardable, but the server plays one video track.
    assert.match(skipReason(track({ index: 1 })), /^not selected/);
  });
});
