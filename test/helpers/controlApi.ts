/**
 * For the control API and hot reload tests: a second in-project RTSP camera (the demo clip and tone
 * on its own port), a camrtc server started from a configuration file as `camrtc --config FILE`
 * starts it, JSON requests, a capturing logger and a werift viewer watching over /ws.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { RtpPacket, RTCPeerConnection } from 'werift';
import { App, DEMO_CLIP } from '../../server/src/App.js';
import { loadConfig, type Config } from '../../server/src/config/Config.js';
import { parseConfigText } from '../../server/src/config/configFile.js';
import { H264ClipStream } from '../../server/src/demo/ClipStream.js';
import { DemoCamera } from '../../server/src/demo/DemoCamera.js';
import { ToneStream } from '../../server/src/demo/ToneStream.js';
import { createLogger, type Logger } from '../../server/src/log/logger.js';
import { loopbackPeer } from './loopbackPeer.js';
import { rawRequest, type RawResponse } from './rawHttp.js';
import { TestClient } from '../unit/signaling/wsClient.js';
import { waitFor } from '../integration/webrtc/helpers/waitFor.js';

/** A camera on loopback sending the demo clip (H.264, 25 fps) and a PCMA tone, like an IP camera. */
export async function startTestCamera(path = '/cam'): Promise<{ camera: DemoCamera; url: string }> {
  const camera = new DemoCamera({ host: '127.0.0.1', port: 0, path, streams: [new H264ClipStream({ file: DEMO_CLIP, fps: 25 }), new ToneStream({ codec: 'PCMA' })] });
  const { url } = await camera.listen();
  return { camera, url };
}

export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

/** The settings the command line would give, on top of the file: loopback, a free port, the demo. */
export function configFromText(text: string, extra: Partial<Record<string, unknown>> = {}): Readonly<Config> {
  return loadConfig({
    ...parseConfigText(text),
    host: '127.0.0.1',
    port: 0,
    demo: true,
    logLevel: 'info',
    webrtc: { iceServers: [], iceHostAddresses: ['127.0.0.1'], udpPort: 0 },
    ...extra,
  });
}

export interface FileServer {
  app: App;
  file: string;
  lines: Array<Record<string, unknown>>;
  logText: () => string;
}

/** A camrtc server started from `text` written to a new file (mode 0640), watching it. */
export async function startFromFile(text: string, extra: Partial<Record<string, unknown>> = {}): Promise<FileServer> {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-api-'));
  const file = join(dir, 'camrtc.yml');
  writeFileSync(file, text);
  chmodSync(file, 0o640);
  const { logger, lines, text: logText } = capturingLogger();
  const load = (t: string) => configFromText(t, extra);
  const app = await App.start(load(text), { logger, configFile: { path: file, text, load, debounceMs: 100, pollMs: 500 } });
  return { app, file, lines, logText };
}

export interface ApiResponse extends RawResponse {
  json: () => Record<string, unknown> & { code?: string; message?: string };
}

/** A request to the server's control API as a program on this machine sends it. */
export async function api(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const res = await rawRequest({
    port,
    path,
    method,
    headers: {
      Host: `127.0.0.1:${port}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { ...res, json: () => JSON.parse(res.body) as Record<string, unknown> };
}

export interface PeerViewer {
  client: TestClient;
  pc: RTCPeerConnection;
  id: string;
  video: RtpPacket[];
  /** Arrival time (Date.now()) of each video packet. */
  arrivals: number[];
  close(): Promise<void>;
}

/** A werift peer standing in for a browser, watching `camera` over /ws until close(). */
export async function watchWithPeer(port: number, camera: string, id = 'v1'): Promise<PeerViewer> {
  const client = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
  const pc = loopbackPeer();
  const video: RtpPacket[] = [];
  const arrivals: number[] = [];
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind !== 'video') return;
      video.push(rtp.clone());
      arrivals.push(Date.now());
    }),
  );
  client.send({ type: 'watch', id, camera });
  const offer = await client.next('offer', (m) => m.id === id);
  await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  client.send({ type: 'answer', id, sdp: pc.localDescription!.sdp });
  return {
    client,
    pc,
    id,
    video,
    arrivals,
    close: async () => {
      await client.close();
      await pc.close();
    },
  };
}

export async function waitForVideo(viewer: PeerViewer, packets = 30, what = 'video packets'): Promise<void> {
  const start = viewer.video.length;
  await waitFor(() => viewer.video.length >= start + packets, `${packets} ${what}`, 15_000);
}
