/**
 * The restream as the App builds it, without the HTTP side: the demo's clip and tone served by a
 * DemoCamera (the "IP camera", which counts the requests it gets), a CameraRegistry with a live camera
 * on it, and a Restream with the access of an `auth` section (none: open). Plus a client that plays
 * a camera over TCP interleaved with camrtc's test RTSP client (not camrtc's RtspSession: the
 * restream is checked against the wire format).
 */
import { PassThrough } from 'node:stream';
import { createAccess } from '../../../server/src/auth/access.js';
import { AuthSchema, type AuthConfig } from '../../../server/src/auth/authConfig.js';
import { LoginThrottle } from '../../../server/src/auth/LoginThrottle.js';
import { createTokens } from '../../../server/src/auth/Tokens.js';
import { CameraConfigSchema } from '../../../server/src/config/Config.js';
import { H264ClipStream } from '../../../server/src/demo/ClipStream.js';
import { DemoCamera } from '../../../server/src/demo/DemoCamera.js';
import { ToneStream } from '../../../server/src/demo/ToneStream.js';
import { createLogger, type Logger } from '../../../server/src/log/logger.js';
import { CameraRegistry } from '../../../server/src/media/CameraRegistry.js';
import { Restream, type RestreamOptions } from '../../../server/src/restream/Restream.js';
import type { RtspResponse } from '../../../server/src/rtsp/message.js';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/paths.js';
import { RtspTestClient } from '../../helpers/rtspTestClient.js';

export const DEMO_CLIP = join(repoRoot, 'server', 'assets', 'demo.h264');

export interface Rig {
  readonly demo: DemoCamera;
  readonly cameraUrl: string;
  readonly cameras: CameraRegistry;
  readonly restream: Restream;
  readonly port: number;
  readonly logLines: string[];
  readonly logger: Logger;
  close(): Promise<void>;
}

export function capturedLogger(): { logger: Logger; lines: string[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ level: 'debug', destination: stream }), lines };
}

export async function startRig(options: { auth?: unknown; idleTimeoutMs?: number; restream?: Partial<RestreamOptions> } = {}): Promise<Rig> {
  const { logger, lines } = capturedLogger();
  const demo = new DemoCamera({ streams: [new H264ClipStream({ file: DEMO_CLIP, fps: 25 }), new ToneStream({ codec: 'PCMA' })] });
  const { url } = await demo.listen();
  const cameras = new CameraRegistry({ logger });
  cameras.add(CameraConfigSchema.parse({ name: 'front', url, transport: 'tcp', idleTimeoutMs: options.idleTimeoutMs ?? 300 }));
  const auth: AuthConfig | undefined = options.auth === undefined ? undefined : AuthSchema.parse(options.auth);
  const throttle = new LoginThrottle();
  const access = createAccess(auth, { gate: throttle, tokens: createTokens(auth, logger) });
  const restream = await Restream.start({ cameras, authenticator: access.authenticator, host: '127.0.0.1', port: 0, logger, ...options.restream });
  return {
    demo,
    cameraUrl: url,
    cameras,
    restream,
    port: restream.port!,
    logLines: lines,
    logger,
    close: async () => {
      await restream.close();
      await cameras.close();
      await demo.close();
      throttle.close();
    },
  };
}

/** The start of an H.264 keyframe in an RTP payload: IDR or SPS alone, in a STAP-A, or an IDR's first FU-A. */
export function startsKeyframe(payload: Buffer): boolean {
  const type = payload[0] & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 24) {
    for (let o = 1; o + 2 < payload.length; o += 2 + payload.readUInt16BE(o)) {
      const t = payload[o + 2] & 0x1f;
      if (t === 5 || t === 7) return true;
    }
    return false;
  }
  return type === 28 && (payload[1] & 0x80) !== 0 && (payload[1] & 0x1f) === 5;
}

export const rtpTimestamp = (p: Buffer): number => p.readUInt32BE(4);
export const rtpPayload = (p: Buffer): Buffer => p.subarray(12);

export interface Playing {
  readonly client: RtspTestClient;
  readonly session: string;
  readonly describe: RtspResponse;
  readonly play: RtspResponse;
  /** When PLAY was answered (performance.now()). */
  readonly playedAt: number;
}

/** DESCRIBE, SETUP of both tracks over TCP (video on channels 0-1, audio 2-3), PLAY. */
export async function playCamera(port: number, camera = 'front', headers: Record<string, string> = {}, client?: RtspTestClient): Promise<Playing> {
  const c = client ?? (await RtspTestClient.connect(port));
  const url = `rtsp://127.0.0.1:${port}/${camera}`;
  const describe = await c.request('DESCRIBE', url, { Accept: 'application/sdp', ...headers });
  if (describe.status !== 200) throw new Error(`DESCRIBE ${describe.status}`);
  const v = await c.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', ...headers });
  if (v.status !== 200) throw new Error(`SETUP ${v.status}`);
  const session = v.headers.get('Session')!.split(';')[0];
  const a = await c.request('SETUP', `${url}/trackID=1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3', Session: session, ...headers });
  if (a.status !== 200) throw new Error(`SETUP audio ${a.status}`);
  const play = await c.request('PLAY', url, { Session: session, Range: 'npt=0.000-', ...headers });
  if (play.status !== 200) throw new Error(`PLAY ${play.status}`);
  return { client: c, session, describe, play, playedAt: performance.now() };
}

/** The first `count` RTP packets of a channel once they arrived, within `ms`. */
export async function framesWithin(client: RtspTestClient, channel: number, count: number, ms = 5000): Promise<Buffer[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.waitFrames(channel, count),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`fewer than ${count} packets on channel ${channel} within ${ms} ms (${client.frames.get(channel)?.length ?? 0})`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitUntil(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
