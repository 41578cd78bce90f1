/**
 * The two servers under test, started fresh for each measurement with the cameras it needs:
 * camrtc (this repository's build, run as a user runs it) and Janus (Debian package, streaming plugin,
 * one `rtsp` mountpoint per camera, configured from files generated under bench/work/).
 * Both ingest the camera over RTSP/UDP (Janus's RTSP client has no TCP interleaving) and keep it
 * connected with no viewer (Janus always does; camrtc with --preload), so neither pays the camera's
 * connection in the first-frame time.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Child } from './Child.js';
import { distRoot, repoRoot } from '../test/helpers/paths.js';
import { sleep } from './stats.js';

export type ServerName = 'camrtc' | 'janus';
const READY_TIMEOUT_MS = 20_000;

export interface BenchServer {
  readonly name: ServerName;
  readonly pid: number;
  /** Camera ids as each server names them: camrtc camera names, Janus mountpoint ids. */
  readonly cameras: readonly string[];
  /** Base URL of the signaling endpoint: camrtc's HTTP server, Janus's REST API. */
  readonly apiUrl: string;
  /** The local address its WebRTC uses (viewers bind to the same one). */
  readonly iceAddress: string;
  /** Output lines kept for error reports. */
  readonly output: readonly string[];
  close(): Promise<void>;
}

export interface StartOptions {
  cameraUrl: string;
  cameraCount: number;
  /** How camrtc takes RTP from the camera; default udp, as Janus does. */
  rtspTransport?: 'udp' | 'tcp';
  /** Folder for `node --cpu-prof` output (camrtc only). */
  cpuProfDir?: string;
  /**
   * camrtc only: false starts every camera idle (no RTSP session until a viewer comes) and stops it
   * `idleTimeoutMs` after the last viewer left. Default true (--preload). Janus has no such mode: its
   * streaming plugin keeps every RTSP mountpoint connected.
   */
  preload?: boolean;
  idleTimeoutMs?: number;
  /** camrtc only: more node flags (e.g. --heapsnapshot-signal=SIGUSR2). */
  nodeArgs?: string[];
}

/** A free loopback TCP port (for Janus, which cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function startCamrtc(options: StartOptions): Promise<BenchServer> {
  const cameras = Array.from({ length: options.cameraCount }, (_, i) => `cam${i + 1}`);
  // The same V8 flag as bin/camrtc.js and `npm start` (why: see bin/camrtc.js).
  const nodeArgs = ['--max-semi-space-size=4', ...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []), ...(options.nodeArgs ?? [])];
  const transport = options.rtspTransport ?? 'udp';
  let cameraArgs = ['--preload', ...cameras.flatMap((c) => ['--camera', `${c}=${options.cameraUrl}`])];
  let configFile: string | undefined;
  if (options.preload === false) {
    // A camera's idle timeout is a setting of the configuration file only (JSON is YAML).
    configFile = join(repoRoot, 'bench/work', `camrtc-${process.pid}-${Date.now()}.json`);
    mkdirSync(join(repoRoot, 'bench/work'), { recursive: true });
    const list = Object.fromEntries(cameras.map((name) => [name, { url: options.cameraUrl, transport, idleTimeoutMs: options.idleTimeoutMs ?? 10_000 }]));
    writeFileSync(configFile, JSON.stringify({ cameras: list }));
    cameraArgs = ['--config', configFile];
  }
  const child = new Child('camrtc', process.execPath, [
    ...nodeArgs, join(distRoot, 'server/src/main.js'),
    '--port', '0', '--host', '127.0.0.1', '--ice-host', '127.0.0.1', '--webrtc-udp-port', '0', '--no-demo',
    '--rtsp-transport', transport, '--log-level', process.env.BENCH_CAMRTC_LOG ?? 'info', ...cameraArgs,
  ]);
  const close = async (): Promise<void> => {
    await child.close();
    if (configFile) rmSync(configFile, { force: true });
  };
  try {
    const url = await child.waitForLine((line) => {
      try {
        const l = JSON.parse(line) as { msg?: string; url?: string };
        return typeof l.url === 'string' && String(l.msg ?? '').startsWith('camrtc listening') ? l.url : undefined;
      } catch {
        return undefined;
      }
    }, READY_TIMEOUT_MS);
    return { name: 'camrtc', pid: child.pid, cameras, apiUrl: url, iceAddress: '127.0.0.1', output: child.output, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** janus.jcfg and friends for one run: only the streaming plugin and the HTTP transport are loaded. */
export function janusConfig(folder: string, httpPort: number, cameraUrl: string, cameraCount: number, iceAddress: string): Record<string, string> {
  const general = [
    'general: {',
    `  configs_folder = "${join(folder, 'conf')}"`,
    `  plugins_folder = "${join(folder, 'plugins')}"`,
    `  transports_folder = "${join(folder, 'transports')}"`,
    `  events_folder = "${join(folder, 'none')}"`,
    `  loggers_folder = "${join(folder, 'none')}"`,
    '  debug_level = 4',
    '  session_timeout = 60',
    '}',
    // Janus (libnice) never gathers loopback addresses, so its ICE uses this machine's own IPv4
    // address; the kernel delivers traffic to a local address on the loopback device ("local ... dev
    // lo" in `ip route get`), so nothing leaves the machine.
    'nat: {',
    `  ice_enforce_list = "${iceAddress}"`,
    '}',
  ].join('\n');
  const http = [
    'general: {', '  json = "compact"', '  base_path = "/janus"', '  http = true', `  port = ${httpPort}`,
    '  ip = "127.0.0.1"', '  https = false', '}', 'admin: {', '  admin_http = false', '}',
    // The benchmark page is served from another loopback port.
    'cors: {', '  allow_origin = "*"', '}',
  ].join('\n');
  const mountpoints = Array.from({ length: cameraCount }, (_, i) => [
    `cam${i + 1}: {`, '  type = "rtsp"', `  id = ${i + 1}`, `  description = "bench camera ${i + 1}"`,
    '  audio = false', '  video = true', `  url = "${cameraUrl}"`, '  rtsp_reconnect_delay = 5',
    '  rtsp_session_timeout = 0', '  rtsp_timeout = 10', '  rtsp_conn_timeout = 5', '}',
  ].join('\n'));
  return {
    'janus.jcfg': general,
    'janus.transport.http.jcfg': http,
    'janus.plugin.streaming.jcfg': ['general: {', '}', ...mountpoints].join('\n'),
  };
}

/** This machine's first non-loopback IPv4 address (Janus's ICE address; see janusConfig). */
export function localIpv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no IPv4 address besides loopback: Janus cannot gather an ICE candidate');
}

export const JANUS_BIN = '/usr/bin/janus';
const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';

export async function startJanus(options: StartOptions): Promise<BenchServer> {
  const folder = join(repoRoot, 'bench/work', `janus-${process.pid}`);
  rmSync(folder, { recursive: true, force: true });
  for (const sub of ['conf', 'plugins', 'transports', 'none']) mkdirSync(join(folder, sub), { recursive: true });
  symlinkSync(join(JANUS_LIB, 'plugins/libjanus_streaming.so'), join(folder, 'plugins/libjanus_streaming.so'));
  symlinkSync(join(JANUS_LIB, 'transports/libjanus_http.so'), join(folder, 'transports/libjanus_http.so'));
  const port = await freePort();
  for (const [name, text] of Object.entries(janusConfig(folder, port, options.cameraUrl, options.cameraCount, localIpv4()))) {
    writeFileSync(join(folder, 'conf', name), text + '\n');
  }
  const child = new Child('janus', JANUS_BIN, ['-F', join(folder, 'conf'), '-o']);
  const apiUrl = `http://127.0.0.1:${port}/janus`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  // Ready when the REST API answers and every mountpoint has described its RTSP camera.
  for (;;) {
    if (!child.running || Date.now() > deadline) {
      await child.close();
      throw new Error(`janus did not start:\n${child.output.slice(-30).join('\n')}`);
    }
    const ready = await fetch(`${apiUrl}/info`).then((r) => r.ok, () => false);
    const described = child.output.filter((l) => l.includes('New video stream')).length;
    if (ready && described >= options.cameraCount) break;
    await sleep(200);
  }
  const cameras = Array.from({ length: options.cameraCount }, (_, i) => String(i + 1));
  const close = async (): Promise<void> => {
    await child.close();
    rmSync(folder, { recursive: true, force: true });
  };
  return { name: 'janus', pid: child.pid, cameras, apiUrl, iceAddress: localIpv4(), output: child.output, close };
}

export function startServer(name: ServerName, options: StartOptions): Promise<BenchServer> {
  return name === 'camrtc' ? startCamrtc(options) : startJanus(options);
}
