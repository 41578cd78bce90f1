/**
 * The spare viewer: once someone watched a camera, the next `watch` of it gets an offer made in
 * advance (its stream id names the spare), and that viewer works like any other. And the camera
 * page's offer: the page of a live camera carries one, its socket claims it with the page's ticket,
 * and the answer the page sends before any message arrived plays.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RtpPacket } from 'werift';
import { App } from '../../../server/src/App.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { SPARE_AFTER_CONNECT_MS } from '../../../server/src/session/OfferBroker.js';
import { TestClient } from '../../unit/signaling/wsClient.js';
import { withUrlWatch } from '../../../shared/watchUrl.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

describe('spare viewers', () => {
  let app: App;

  before(async () => {
    const config = loadConfig({ host: '127.0.0.1', port: 0, demo: true, logLevel: 'silent', webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 } });
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

  it('the page of a camera that is not live carries no offer (the socket starts it)', async () => {
    const idle = await pageOffer();
    assert.equal(idle.offer, undefined);
    assert.equal(idle.cacheControl, 'no-cache');
  });

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

  /** The offer in /camera/demo, if the page has one, and the page's Cache-Control. */
  async function pageOffer(headers: Record<string, string> = {}): Promise<{ offer?: { ticket: string; sdp: string }; cacheControl: string | null }> {
    const res = await fetch(`http://127.0.0.1:${app.port}/camera/demo`, { headers });
    const html = await res.text();
    const attribute = /data-offer="([^"]*)"/.exec(html)?.[1];
    const json = attribute?.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
    return { ...(json ? { offer: JSON.parse(json) as { ticket: string; sdp: string } } : {}), cacheControl: res.headers.get('cache-control') };
  }

  /** Watches with the page's ticket in the URL and answers the page's offer before reading anything. */
  async function watchPage(id: string, page: { ticket: string; sdp: string }) {
    const client = await TestClient.open(withUrlWatch(`ws://127.0.0.1:${app.port}/ws`, { camera: 'demo', id, h265: false, paused: false, ticket: page.ticket }));
    const pc = loopbackPeer();
    const video: RtpPacket[] = [];
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => track.kind === 'video' && video.push(rtp.clone())));
    await pc.setRemoteDescription({ type: 'offer', sdp: page.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    client.send({ type: 'answer', id, sdp: pc.localDescription!.sdp, ticket: page.ticket });
    return { client, pc, video };
  }

  it("a live camera's page carries an offer; the socket with its ticket uses it, and the answer sent at once plays", async () => {
    const first = await watch('watcher');
    try {
      await waitFor(() => first.video.length >= 10, 'the camera is live', 15_000);
      assert.equal((await pageOffer({ 'Sec-Purpose': 'prefetch' })).offer, undefined, 'none for a prefetch');
      const page = await pageOffer();
      assert.ok(page.offer, 'the page of a live camera carries an offer');
      assert.equal(page.cacheControl, 'no-store', 'a page with an offer is good for one load');
      assert.match(page.offer.sdp, /^v=0\r\n[^]*a=setup:active\r\n/, 'the SDP as made, CRLF and all');
      const paged = await watchPage('paged', page.offer);
      try {
        const offer = await paged.client.next('offer');
        assert.equal(offer.sdp, page.offer.sdp, "the session's offer is the page's");
        await waitFor(() => paged.video.length >= 30, 'the page viewer receives video', 15_000);
        assert.deepEqual(paged.client.messages.filter((m) => m.type === 'error'), []);
      } finally {
        await paged.client.close();
        await paged.pc.close();
      }
    } finally {
      await first.stop();
    }
  });

  it("a ticket used already gets a fresh offer: the answer to the page's offer is ignored, the answer to the fresh one plays", async () => {
    const first = await watch('watcher2');
    try {
      await waitFor(() => first.video.length >= 10, 'the camera is live', 15_000);
      const page = (await pageOffer()).offer;
      assert.ok(page);
      const claimer = await watchPage('claimer', page);
      const late = await watchPage('late', page);
      try {
        const fresh = await late.client.next('offer');
        assert.notEqual(fresh.sdp, page.sdp, 'the ticket was used: a new offer');
        // The answer made for the page's offer went first; the server ignored it, so this one applies.
        const pc = loopbackPeer();
        const video: RtpPacket[] = [];
        pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => track.kind === 'video' && video.push(rtp.clone())));
        await pc.setRemoteDescription({ type: 'offer', sdp: fresh.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        late.client.send({ type: 'answer', id: 'late', sdp: pc.localDescription!.sdp });
        try {
          await waitFor(() => video.length >= 30, 'the late viewer receives video on the fresh offer', 15_000);
          await waitFor(() => claimer.video.length >= 30, 'the viewer that claimed the page offer plays too', 15_000);
          assert.deepEqual(late.client.messages.filter((m) => m.type === 'error'), [], 'the ignored answer is no error');
          assert.equal(late.video.length, 0, "nothing for the page's offer on the late socket");
        } finally {
          await pc.close();
        }
      } finally {
        for (const v of [claimer, late]) {
          await v.client.close();
          await v.pc.close();
        }
      }
    } finally {
      await first.stop();
    }
  });
});
