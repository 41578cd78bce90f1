/**
 * The spare viewer: once someone watched a camera, the next `watch` of it gets an offer made in
 * advance (its stream id names the spare), and that viewer works like any other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RtpPacket } from 'werift';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { SPARE_AFTER_CONNECT_MS } from '../../../server/src/signaling/ViewerSession.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

describe('spare viewers', () => {
  let app: App;

  before(async () => {
    const config = loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'] } });
    app = await App.start(config, { logger: silentLogger() });
  });

  after(async () => {
    await app.close();
  });

  async function watch(id: string): Promise<{ offer: string; video: RtpPacket[]; stop: () => Promise<void> }> {
    const client = await TestClient.open(`ws://127.0.0.1:${app.port}/ws`);
    const pc = loopbackPeer();
    const video: RtpPacket[] = [];
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => track.kind === 'video' && video.push(rtp.clone())));
    client.send({ type: 'watch', id, camera: 'demo' });
    const offer = await client.next('offer');
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    client.send({ type: 'answer', id, sdp: pc.localDescription!.sdp });
    return {
      offer: offer.sdp,
      video,
      stop: async () => {
        client.send({ type: 'stop', id });
        await client.close();
        await pc.close();
      },
    };
  }

  it('the first viewer gets a fresh offer; the next one a spare made after the first connected, and it plays', async () => {
    const first = await watch('first');
    assert.match(first.offer, /camrtc-first/);
    await waitFor(() => first.video.length >= 30, 'first viewer receives video', 15_000);
    // The spare is prepared once the first viewer connected and its first frame is out.
    await new Promise((r) => setTimeout(r, SPARE_AFTER_CONNECT_MS + 300));
    const second = await watch('second');
    try {
      assert.match(second.offer, /camrtc-spare-\d+/, 'the second offer comes from a spare');
      await waitFor(() => second.video.length >= 30, 'second viewer receives video', 15_000);
      for (let i = 1; i < second.video.length; i++) {
        assert.equal(second.video[i].header.sequenceNumber, (second.video[i - 1].header.sequenceNumber + 1) & 0xffff);
      }
      // And a third, while both others watch: again a spare (made after the second connected).
      await new Promise((r) => setTimeout(r, SPARE_AFTER_CONNECT_MS + 300));
      const third = await watch('third');
      assert.match(third.offer, /camrtc-spare-\d+/);
      assert.notEqual(/camrtc-spare-\d+/.exec(third.offer)![0], /camrtc-spare-\d+/.exec(second.offer)![0], 'each spare is used once');
      await waitFor(() => third.video.length >= 30, 'third viewer receives video', 15_000);
      await third.stop();
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
