/// <reference lib="dom" />
/**
 * The server's WebRTC ports in real Chromium, as a firewall or Docker user sets them up: the demo
 * camera page plays over the one UDP port the command line gave (the browser's selected pair ends
 * there), over ICE-TCP on the TCP port when UDP is out of the picture, and through a 1:1 NAT whose
 * public address is the only one announced.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CamrtcProcess } from './support/camrtcProcess.js';
import { browserMissing, launchChromium, measureVideo, waitForFirstFrame } from './support/browser.js';
import { selectedPair, shapeIceCandidates, type CandidateFilter, type SelectedPair } from './support/iceCandidates.js';
import { UdpPortForward } from './support/UdpPortForward.js';

/** A port free on loopback right now (for flags that take a fixed port, as a user gives one). */
async function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const { port } = socket.address();
    await new Promise<void>((r) => socket.close(() => r()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('WebRTC ports in Chromium', { skip: browserMissing() }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  /** Opens the demo camera page; asserts it decodes advancing frames; returns the pair Chromium selected. */
  async function play(camrtc: CamrtcProcess, filter: CandidateFilter = {}): Promise<SelectedPair> {
    const context = await browser.newContext();
    try {
      await shapeIceCandidates(context, filter);
      const page = await context.newPage();
      await page.goto(`${camrtc.url}/camera/demo`);
      const first = await waitForFirstFrame(page, 15_000);
      const progress = await measureVideo(page, 1_500);
      assert.ok(first, `no frame decoded within 15 s; page status: ${progress.status}`);
      assert.ok(progress.width > 0, 'videoWidth is 0');
      assert.ok(progress.frames >= 10, `only ${progress.frames} frames in 1.5 s`);
      assert.ok(progress.mediaTimeAdvanced, 'video time did not advance');
      const pair = await selectedPair(page);
      assert.ok(pair, 'no selected candidate pair');
      return pair;
    } finally {
      await context.close();
    }
  }

  it('--webrtc-udp-port: the demo plays, and the selected pair ends at that port', async () => {
    const port = await freePort('udp');
    const camrtc = await CamrtcProcess.start(['--webrtc-udp-port', String(port)]);
    try {
      const pair = await play(camrtc);
      assert.deepEqual(pair.remote, { address: '127.0.0.1', port, protocol: 'udp', candidateType: 'host' });
    } finally {
      await camrtc.stop();
    }
  });

  it('--webrtc-tcp-port: with UDP candidates gone both ways, the demo plays over ICE-TCP on that port', async () => {
    const port = await freePort('tcp');
    const camrtc = await CamrtcProcess.start(['--webrtc-tcp-port', String(port)]);
    try {
      const pair = await play(camrtc, { udp: true });
      assert.equal(pair.local.protocol, 'tcp');
      assert.deepEqual(pair.remote, { address: '127.0.0.1', port, protocol: 'tcp', candidateType: 'host' });
    } finally {
      await camrtc.stop();
    }
  });

  it('--webrtc-announce behind a 1:1 NAT: only the public address is announced, and the demo plays through it', async () => {
    const port = await freePort('udp');
    // The server binds 127.0.0.1 (its "private" address); 127.0.0.2:port forwards to it as Docker's -p does.
    const camrtc = await CamrtcProcess.start(['--webrtc-udp-port', String(port), '--webrtc-announce', '127.0.0.2', '--no-webrtc-announce-interfaces']);
    const nat = await UdpPortForward.start('127.0.0.2', { address: '127.0.0.1', port });
    try {
      // The browser's own candidates stay in the page: the server meets it only through the NAT.
      const pair = await play(camrtc, { local: true });
      assert.deepEqual(pair.remote, { address: '127.0.0.2', port, protocol: 'udp', candidateType: 'host' });
      assert.ok(nat.clients > 0, 'nothing went through the NAT');
    } finally {
      nat.close();
      await camrtc.stop();
    }
  });
});
