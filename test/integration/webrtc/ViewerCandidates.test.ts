/**
 * Remote ICE candidates that arrive while the browser's answer is still being applied. Chromium sends
 * its answer and, a few milliseconds later, its candidates: both often reach the server in one TCP
 * read, so the candidate is handed to the Viewer before werift has applied the answer. Its host
 * candidates are mDNS names (`<uuid>.local`, Chromium's default), which werift tries to resolve with
 * a 10 s timeout; a candidate werift holds as pending is resolved before ICE starts, so the page's
 * first frame came ~10 s late (issue 13, bug 1).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../server/src/log/logger.js';
import { Viewer } from '../../../server/src/webrtc/Viewer.js';
import { loopbackPeer } from '../../helpers/loopbackPeer.js';
import { h264Track, pcmaTrack } from './helpers/FakeCamera.js';
import { waitFor } from './helpers/waitFor.js';

/** What Chromium trickles for its host address by default (WebRtcHideLocalIpsWithMdns). */
const MDNS_HOST_CANDIDATE = 'candidate:3157289574 1 udp 2113937151 0b2f6a3e-5d7c-4e35-9c61-2a8f1d3c4b5e.local 52345 typ host generation 0 ufrag abcd network-cost 999';

/**
 * The answer as Chromium sends it when it trickles: made before setLocalDescription, so without
 * candidates and without end-of-candidates (the candidates follow as messages of their own).
 */
function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .join('\r\n');
}

describe('Viewer: remote candidates around the answer', () => {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  for (const when of ['with the answer', 'before the answer'] as const) {
    it(`connects at once when a browser's mDNS candidate arrives ${when}`, async () => {
      const viewer = new Viewer({ id: `cand-${when}`, tracks: [h264Track(0, '42e01f'), pcmaTrack(1)], network: { hostAddresses: ['127.0.0.1'] }, logger: silentLogger() });
      const browser = loopbackPeer();
      closers.push(() => viewer.close(), () => browser.close());
      await browser.setRemoteDescription({ type: 'offer', sdp: await viewer.createOffer() });
      await browser.setLocalDescription(await browser.createAnswer());
      const answer = withoutCandidates(browser.localDescription!.sdp);
      const start = performance.now();
      const candidate = { candidate: MDNS_HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 };
      let added: Promise<void>;
      let answered: Promise<void>;
      if (when === 'with the answer') {
        // As the signaling socket delivers them: one after the other in the same event-loop turn.
        answered = viewer.setAnswer(answer);
        added = viewer.addIceCandidate(candidate);
      } else {
        added = viewer.addIceCandidate(candidate);
        answered = viewer.setAnswer(answer);
      }
      await answered;
      await waitFor(() => viewer.state === 'connected', 'viewer connected', 5_000);
      const ms = performance.now() - start;
      assert.ok(ms < 1_500, `connected ${Math.round(ms)} ms after the answer`);
      // The browser's checks made its address known: the mDNS name is of no use to the server.
      await added;
      assert.ok(performance.now() - start < 1_500, 'the candidate was taken without a 10 s mDNS lookup');
    });
  }
});
