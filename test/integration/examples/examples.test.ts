/**
 * The example apps in examples/ run against the real server with its built-in demo camera: each must
 * receive H.264 RTP that starts at a keyframe (SPS or IDR first) and keeps coming.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RtpPacket } from 'werift';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { naluType, watchOverWebSocket } from '../../../examples/ws-viewer.js';
import { watchOverWhep } from '../../../examples/whep-viewer.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

describe('example apps watch the demo camera', () => {
  let app: App;
  before(async () => {
    app = await App.start(
      loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 } }),
      { logger: silentLogger() },
    );
  });
  after(async () => {
    await app.close();
  });

  function assertFrames(video: RtpPacket[], audio: RtpPacket[]): void {
    assert.ok([5, 7].includes(naluType(video[0].payload)), `the first packet starts a keyframe (NAL type ${naluType(video[0].payload)})`);
    assert.ok(video.some((p) => naluType(p.payload) === 5), 'an IDR slice arrived');
    assert.ok(video.filter((p) => p.header.marker).length >= 10, 'at least 10 complete frames');
    assert.ok(audio.length > 0, 'the PCMA tone arrives too');
  }

  it('examples/ws-viewer.ts receives frames over /ws', async () => {
    const video: RtpPacket[] = [];
    const audio: RtpPacket[] = [];
    const watching = await watchOverWebSocket({
      url: `ws://127.0.0.1:${app.port}/ws`,
      camera: 'demo',
      iceAddresses: ['127.0.0.1'],
      onVideo: (p) => video.push(p.clone()),
      onAudio: (p) => audio.push(p.clone()),
    });
    try {
      await waitFor(() => video.filter((p) => p.header.marker).length >= 10 && audio.length > 0, 'ten video frames over /ws', 15_000);
      assertFrames(video, audio);
    } finally {
      await watching.close();
    }
  });

  it('examples/whep-viewer.ts receives frames over WHEP and DELETE ends the session', async () => {
    const video: RtpPacket[] = [];
    const audio: RtpPacket[] = [];
    const watching = await watchOverWhep({
      endpoint: `http://127.0.0.1:${app.port}/whep/demo`,
      iceAddresses: ['127.0.0.1'],
      onVideo: (p) => video.push(p.clone()),
      onAudio: (p) => audio.push(p.clone()),
    });
    try {
      assert.match(watching.sessionUrl, /\/whep\/demo\/[a-f0-9]{32}$/);
      await waitFor(() => video.filter((p) => p.header.marker).length >= 10 && audio.length > 0, 'ten video frames over WHEP', 15_000);
      assertFrames(video, audio);
    } finally {
      await watching.close();
    }
    const again = await fetch(watching.sessionUrl, { method: 'DELETE' });
    assert.equal(again.status, 404, 'the session is gone after DELETE');
  });
});
