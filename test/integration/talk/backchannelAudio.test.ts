/**
 * Talk audio through ffmpeg into a real camera's backchannel (GStreamer's ONVIF server, which decodes
 * and measures what it receives): Opus from a browser, as 20 ms packets in real time, reaches the
 * speaker at its frequency as PCMU and as AAC-hbr. Prints how long the first sound took from the
 * first packet (ffmpeg's start and its encoder's delay; a G.711 browser needs no ffmpeg).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { findFfmpeg } from '../../../server/src/audio/ffmpeg.js';
import { OggOpusReader } from '../../../server/src/audio/OggOpusReader.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { BackchannelSession } from '../../../server/src/rtsp/BackchannelSession.js';
import { BackchannelRtp } from '../../../server/src/talk/BackchannelRtp.js';
import { createTalkEncoder } from '../../../server/src/talk/TalkEncoder.js';
import { chooseTalkFormat } from '../../../server/src/talk/talkPlan.js';
import { GstCamera } from '../../e2e/support/GstCamera.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const ffmpeg = findFfmpeg();
const missing = GstCamera.missing() ?? (ffmpeg ? undefined : 'ffmpeg not installed');
const TONE_HZ = 1000;

/** 3 s of a 1000 Hz tone as the 20 ms Opus packets a browser sends. */
function opusTone(): Buffer[] {
  const ogg = execFileSync(ffmpeg!, [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=${TONE_HZ}:sample_rate=48000:duration=3`,
    '-af', 'volume=4', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-f', 'ogg', 'pipe:1',
  ]);
  const { packets } = new OggOpusReader().push(ogg);
  return packets;
}

describe('talk audio from Opus into an ONVIF backchannel, through ffmpeg', { skip: missing }, () => {
  let packets: Buffer[];
  before(() => {
    packets = opusTone();
  });

  for (const kind of ['pcmu', 'aac'] as const) {
    describe(kind, () => {
      let camera: GstCamera;
      before(async () => {
        camera = await GstCamera.start({ backchannel: kind });
      });
      after(async () => {
        await camera?.close();
      });

      it(`the tone reaches the speaker as ${kind === 'pcmu' ? 'PCMU' : 'AAC-hbr'}`, async () => {
        const session = new BackchannelSession({ url: camera.url(), cameraName: 'door', logger: silentLogger(), readTimeoutMs: 3000 });
        const track = await session.start();
        const format = chooseTalkFormat(track);
        assert.ok(typeof format !== 'string', String(format));
        assert.equal(format.codec, kind === 'pcmu' ? 'PCMU' : 'AAC');
        const rtp = new BackchannelRtp(format.payloadType, format.clockRate, undefined, format.codec === 'AAC');
        const errors: CamrtcError[] = [];
        const encoder = createTalkEncoder('OPUS', format, {
          packet: (payload, samples) => session.send(rtp.packet(payload, samples, performance.now())),
          error: (e) => errors.push(e),
        });
        assert.ok(!(encoder instanceof CamrtcError));
        const startedAt = Date.now();
        let i = 0;
        const timer = setInterval(() => {
          if (i < packets.length) encoder.push(packets[i++]);
        }, 20);
        try {
          await waitFor(() => camera.speaker.some((s) => s.rms > 0.02), 'sound at the speaker', 5000);
          const firstAt = camera.speaker.find((s) => s.rms > 0.02)!.at;
          await new Promise((r) => setTimeout(r, 1200));
          const later = camera.speaker.filter((s) => s.at > firstAt + 200 && s.at < firstAt + 1200);
          const hzs = later.map((s) => s.hz).sort((a, b) => a - b);
          const median = hzs[Math.floor(hzs.length / 2)];
          const rms = later.map((s) => s.rms).sort((a, b) => a - b)[Math.floor(later.length / 2)];
          console.log(`${kind}: first sound ${Math.round(firstAt - startedAt)} ms after the first Opus packet; ${median} Hz; rms ${rms}`);
          assert.ok(later.length > 10, `the speaker kept playing: ${later.length} buffers`);
          assert.ok(Math.abs(median - TONE_HZ) < 40, `heard ${median} Hz`);
          assert.ok(later.every((s) => s.rms > 0.02), 'never silent');
          assert.deepEqual(errors.filter((e) => e.code === 'ERR_TRANSCODER' && !/resynchronised/.test(e.message)), []);
        } finally {
          clearInterval(timer);
          encoder.close();
          await session.close();
        }
      });
    });
  }
});
