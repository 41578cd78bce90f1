import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Track } from '../../../server/src/sdp/Track.js';
import { browserTalkCodec, chooseTalkFormat, conversionOf, talkFormatOf, type CameraTalkFormat } from '../../../server/src/talk/talkPlan.js';

function backchannel(formats: Array<{ payloadType: number; codec: string; clockRate: number; channels?: number; fmtp?: Record<string, string> }>): Track {
  const full = formats.map((f) => ({ ...f, fmtp: f.fmtp ?? {} }));
  return { index: 2, kind: 'audio', ...full[0], control: 'rtsp://cam/back', direction: 'sendonly', ...(full.length > 1 ? { formats: full } : {}) };
}

const AAC_HBR = { mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3' };

test('G.711 is preferred among the formats of a backchannel (Dahua with proto=Onvif lists several)', () => {
  const track = backchannel([
    { payloadType: 97, codec: 'MPEG4-GENERIC', clockRate: 16000, fmtp: AAC_HBR },
    { payloadType: 8, codec: 'PCMA', clockRate: 8000 },
    { payloadType: 0, codec: 'PCMU', clockRate: 8000 },
  ]);
  assert.deepEqual(chooseTalkFormat(track), { codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 });
});

test('AAC-hbr is sent with the config the camera announced', () => {
  const format = chooseTalkFormat(backchannel([{ payloadType: 96, codec: 'MPEG4-GENERIC', clockRate: 16000, fmtp: AAC_HBR }]));
  assert.ok(typeof format !== 'string');
  assert.equal(format.codec, 'AAC');
  assert.equal(format.aac?.sampleRate, 16000);
  assert.equal(format.channels, 1);
});

test('formats camrtc cannot make say why: G.726, AAC-lbr, 16 kHz G.711', () => {
  for (const f of [
    { payloadType: 97, codec: 'G726-32', clockRate: 8000 },
    { payloadType: 96, codec: 'MPEG4-GENERIC', clockRate: 16000, fmtp: { ...AAC_HBR, mode: 'AAC-lbr', sizelength: '6' } },
    { payloadType: 98, codec: 'PCMU', clockRate: 16000 },
  ]) {
    const format = chooseTalkFormat(backchannel([f]));
    assert.equal(typeof format, 'string', f.codec);
    assert.match(format as string, /cannot send/);
  }
  assert.equal(talkFormatOf({ backchannel: backchannel([{ payloadType: 97, codec: 'G726-32', clockRate: 8000 }]) }), undefined);
  assert.equal(talkFormatOf({}), undefined);
});

test('the browser sends the codec of its audio section, else the G.711 the camera takes, else Opus', () => {
  const pcmu: CameraTalkFormat = { codec: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
  const aac = chooseTalkFormat(backchannel([{ payloadType: 96, codec: 'MPEG4-GENERIC', clockRate: 16000, fmtp: AAC_HBR }])) as CameraTalkFormat;
  assert.equal(browserTalkCodec('PCMA', pcmu), 'PCMA');
  assert.equal(browserTalkCodec(undefined, pcmu), 'PCMU');
  assert.equal(browserTalkCodec(undefined, aac), 'OPUS');
  assert.equal(conversionOf('PCMU', pcmu), 'none');
  assert.equal(conversionOf('PCMA', pcmu), 'g711');
  assert.equal(conversionOf('OPUS', pcmu), 'ffmpeg');
  assert.equal(conversionOf('PCMA', aac), 'ffmpeg');
});
