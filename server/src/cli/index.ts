/**
 * `camrtc` command line: `camrtc [options]` serves cameras (the default command);
 * `camrtc probe URL` checks one camera; `camrtc hash-password` makes a user's password hash; `camrtc token`
 * mints a viewer token. commander gives --help, repeatable options and errors.
 */
import { Command, Option, InvalidArgumentError } from 'commander';
import { DEFAULT_RTSP_PORT, loadConfig, parseCameraFlag, parseNamedFlag, TRANSPORTS, type Config, type ConfigInput, type RtspTransport } from '../config/Config.js';
import { CamrtcError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { App } from '../App.js';
import { probeCommand } from './probe.js';
import { hashPasswordCommand } from './hashPassword.js';
import { tokenCommand } from './token.js';
import { parseConfigText, readConfigText } from '../config/configFile.js';
import { addClusterOptions, clusterFromFlags, type ClusterFlags } from '../cluster/clusterFlags.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}

/** A WebRTC port, or `off`. */
function parsePortOrOff(value: string): number | 'off' {
  if (value === 'off') return 'off';
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number (0-65535) or 'off'");
  return n;
}

export interface ServeFlags extends ClusterFlags {
  camera: string[];
  port: number;
  host: string;
  rtspTransport: RtspTransport;
  demo?: boolean;
  logLevel: string;
  iceServer: string[];
  iceHost: string[];
  webrtcUdpPort: number | 'off';
  webrtcTcpPort: number | 'off';
  webrtcAnnounce: string[];
  webrtcAnnounceInterfaces: boolean;
  preload?: boolean;
  recording: string[];
  allowOrigin: string[];
  publicName: string[];
  passwordFile?: string[];
  passwordEnv?: string[];
  tlsCert?: string;
  tlsKey?: string;
  config?: string;
  // TURN (turnFromFlags)
  turn?: string[];
  turnSecretFile?: string;
  turnSecretEnv?: string;
  iceTransportPolicy?: string;
  /** false with --no-rtsp. */
  rtsp?: boolean;
  rtspPort?: number;
}

/** Where a flag's value came from: commander's 'default', 'cli', 'env'... */
type ValueSource = (flag: keyof ServeFlags) => string | undefined;

/**
 * The configuration the flags give. With a configuration file (`file`), a flag overrides the file's
 * setting only when it was given on the command line; cameras from both are served.
 */
export function configFromFlags(flags: ServeFlags, file: ConfigInput = {}, source: ValueSource = () => 'cli'): ConfigInput {
  const given = (flag: keyof ServeFlags): boolean => source(flag) !== undefined && source(flag) !== 'default';
  const pick = <T>(flag: keyof ServeFlags, fromFlags: T, fromFile: T | undefined): T | undefined =>
    given(flag) || fromFile === undefined ? fromFlags : fromFile;
  const transport = given('rtspTransport') ? { transport: flags.rtspTransport } : {};
  const preload = flags.preload ? { preload: true } : {};
  return {
    ...file,
    host: pick('host', flags.host, file.host),
    port: pick('port', flags.port, file.port),
    demo: pick('demo', flags.demo, file.demo),
    logLevel: pick('logLevel', flags.logLevel as ConfigInput['logLevel'], file.logLevel),
    cameras: withPasswordFlags(flags, [
      ...(file.cameras ?? []).map((c) => ({ ...c, ...transport, ...preload })),
      ...flags.camera.map((c) => ({ ...parseCameraFlag(c), transport: flags.rtspTransport, preload: flags.preload ?? false })),
      ...(flags.recording ?? []).map((c) => ({ ...parseCameraFlag(c), transport: flags.rtspTransport, recording: true })),
    ]),
    webrtc: {
      // The file's other webrtc settings (turn...) pass through; zod reports anything malformed.
      ...(isRecord(file.webrtc) ? file.webrtc : {}),
      iceServers: flags.iceServer.length ? flags.iceServer.map((urls) => ({ urls })) : (file.webrtc?.iceServers ?? []),
      iceHostAddresses: flags.iceHost.length ? flags.iceHost : (file.webrtc?.iceHostAddresses ?? []),
      // Not named anywhere: the configuration's default (8189, or any free port with --port 0).
      ...(given('webrtcUdpPort') || file.webrtc?.udpPort !== undefined ? { udpPort: pick('webrtcUdpPort', flags.webrtcUdpPort, file.webrtc?.udpPort) } : {}),
      tcpPort: pick('webrtcTcpPort', flags.webrtcTcpPort, file.webrtc?.tcpPort),
      announcedAddresses: flags.webrtcAnnounce?.length ? flags.webrtcAnnounce : (file.webrtc?.announcedAddresses ?? []),
      announceInterfaces: pick('webrtcAnnounceInterfaces', flags.webrtcAnnounceInterfaces, file.webrtc?.announceInterfaces),
      ...turnFromFlags(flags, file.webrtc),
    },
    allowedOrigins: [...(file.allowedOrigins ?? []), ...(flags.allowOrigin ?? [])],
    publicNames: [...(file.publicNames ?? []), ...(flags.publicName ?? [])],
    tls: tlsFromFlags(flags, file.tls),
    rtsp: rtspFromFlags(flags, file.rtsp, given),
    cluster: clusterFromFlags(flags, file.cluster),
  };
}

/** --rtsp-port and --no-rtsp override the file's rtsp.port and rtsp.enabled one by one. */
function rtspFromFlags(flags: ServeFlags, fromFile: ConfigInput['rtsp'], given: (flag: keyof ServeFlags) => boolean): ConfigInput['rtsp'] {
  const off = given('rtsp') && flags.rtsp === false;
  if (!off && flags.rtspPort === undefined) return fromFile;
  // The file's value is unchecked input: only a map is merged with the flags (zod reports anything else).
  const base = fromFile !== null && typeof fromFile === 'object' && !Array.isArray(fromFile) ? fromFile : {};
  return { ...base, ...(off ? { enabled: false } : {}), ...(flags.rtspPort !== undefined ? { port: flags.rtspPort } : {}) } as ConfigInput['rtsp'];
}

/**
 * --tls-cert and --tls-key override the file's tls.cert and tls.key one by one; loadConfig() says
 * when only one of the two is given in the end.
 */
function tlsFromFlags(flags: ServeFlags, fromFile: ConfigInput['tls']): ConfigInput['tls'] {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return fromFile;
  // The file's value is unchecked input: only a map is merged with the flags (zod reports anything else).
  const base = fromFile !== null && typeof fromFile === 'object' && !Array.isArray(fromFile) ? fromFile : {};
  return {
    ...base,
    ...(flags.tlsCert !== undefined ? { cert: flags.tlsCert } : {}),
    ...(flags.tlsKey !== undefined ? { key: flags.tlsKey } : {}),
  } as ConfigInput['tls'];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

type WebrtcInput = NonNullable<ConfigInput['webrtc']>;

/**
 * --turn URL (repeatable) replaces the file's webrtc.turn.urls; --turn-secret-file and
 * --turn-secret-env replace its secret source (no flag takes the secret itself: argv is visible to
 * every user of the machine). --ice-transport-policy overrides webrtc.iceTransportPolicy.
 */
function turnFromFlags(flags: ServeFlags, fromFile: WebrtcInput | undefined): Pick<WebrtcInput, 'turn' | 'iceTransportPolicy'> {
  const fileTurn = isRecord(fromFile?.turn) ? fromFile.turn : undefined;
  const secretGiven = flags.turnSecretFile !== undefined || flags.turnSecretEnv !== undefined;
  let turn = fromFile?.turn;
  if (flags.turn?.length || secretGiven) {
    const base = secretGiven ? withoutSecret(fileTurn ?? {}) : (fileTurn ?? {});
    turn = {
      ...base,
      ...(flags.turn?.length ? { urls: flags.turn } : {}),
      ...(flags.turnSecretFile !== undefined ? { secretFile: flags.turnSecretFile } : {}),
      ...(flags.turnSecretEnv !== undefined ? { secretEnv: flags.turnSecretEnv } : {}),
    } as WebrtcInput['turn'];
  }
  const policy = flags.iceTransportPolicy ?? fromFile?.iceTransportPolicy;
  return { ...(turn !== undefined ? { turn } : {}), ...(policy !== undefined ? { iceTransportPolicy: policy as WebrtcInput['iceTransportPolicy'] } : {}) };
}

function withoutSecret(turn: Record<string, unknown>): Record<string, unknown> {
  const { secret: _s, secretFile: _f, secretEnv: _e, ...rest } = turn;
  return rest;
}

type CameraInput = NonNullable<ConfigInput['cameras']>[number];

/** --password-file NAME=FILE and --password-env NAME=VAR: the named camera's password comes from there (and only there). */
function withPasswordFlags(flags: ServeFlags, cameras: CameraInput[]): CameraInput[] {
  const sources = [
    ...(flags.passwordFile ?? []).map((v) => ({ flag: '--password-file', ...parseNamedFlag('--password-file', v, 'FILE'), field: 'passwordFile' as const })),
    ...(flags.passwordEnv ?? []).map((v) => ({ flag: '--password-env', ...parseNamedFlag('--password-env', v, 'VARIABLE'), field: 'passwordEnv' as const })),
  ];
  for (const { flag, name } of sources) {
    if (!cameras.some((c) => c.name === name)) throw new CamrtcError('ERR_CONFIG_INVALID', `${flag}: no camera is named '${name}' (add it with --camera or in the configuration file)`);
  }
  return cameras.map((c) => {
    const own = sources.filter((s) => s.name === c.name);
    if (own.length === 0) return c;
    const { password: _p, passwordFile: _f, passwordEnv: _e, ...rest } = c;
    return Object.assign(rest, ...own.map((s) => ({ [s.field]: s.value })));
  });
}

async function serve(flags: ServeFlags, command: Command): Promise<void> {
  const warnings: string[] = [];
  const path = flags.config;
  // The file's text with the flags on top, at start and at every reload of the file (hot reload).
  const fromText = (text: string, onWarning: (w: string) => void): Readonly<Config> =>
    loadConfig(configFromFlags(flags, parseConfigText(text, `configuration file ${path}`, onWarning), (flag) => command.getOptionValueSource(flag)));
  const text = path !== undefined ? readConfigText(path) : undefined;
  const config = text !== undefined ? fromText(text, (w) => warnings.push(w)) : loadConfig(configFromFlags(flags, {}, (flag) => command.getOptionValueSource(flag)));
  const logger = createLogger({ level: config.logLevel });
  for (const w of warnings) logger.warn(w);
  const configFile = path !== undefined && text !== undefined ? { path, text, load: (t: string) => fromText(t, (w) => logger.warn(w)) } : undefined;
  const app = await App.start(config, { logger, ...(configFile ? { configFile } : {}) });
  logger.info({ url: app.url, rtsp: app.rtspUrl, cameras: app.cameras.list().map((c) => c.name) }, `camrtc listening on ${app.url}`);
  // stdout is for logs; tell the person at the terminal where to look in plain words too.
  if (process.stderr.isTTY) process.stderr.write(`camrtc: open ${app.url} in a browser\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: TEARDOWN to every camera');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    app.close().then(
      () => {
        logger.flush?.();
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

export function buildProgram(): Command {
  const program = new Command('camrtc');
  program
    .description('Watch RTSP IP cameras in a browser over WebRTC with sub-second latency.')
    .showHelpAfterError()
    // Options after a subcommand are that subcommand's: `camrtc token --config FILE` is token's --config.
    .enablePositionalOptions()
    .option('-c, --camera <NAME=URL>', 'add a camera (repeatable), e.g. front=rtsp://user:pass@192.0.2.10/stream1', collect, [])
    .option('-p, --port <port>', 'HTTP and WebSocket port', parsePort, 8080)
    .option('--host <address>', 'interface to bind: 0.0.0.0 = every interface (default), 127.0.0.1 = this machine only', '0.0.0.0')
    .addOption(new Option('--rtsp-transport <transport>', 'RTSP transport to the cameras (auto: UDP, else TCP)').choices([...TRANSPORTS]).default('auto'))
    .option('--preload', 'keep every camera connected even with no viewer (faster first frame)')
    .option('--demo', 'serve the built-in demo camera even when cameras are configured')
    .option('--no-demo', 'never serve the built-in demo camera')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .option('--ice-server <url>', 'STUN/TURN server for WebRTC (repeatable), e.g. stun:stun.example.org:3478', collect, [])
    .option('--ice-host <address>', 'use only this local address for WebRTC (repeatable), e.g. the LAN address', collect, [])
    .option('--webrtc-udp-port <port|off>', "one UDP port for every viewer's media (0: any free port; off: a random port per viewer)", parsePortOrOff, 8189)
    .option('--webrtc-tcp-port <port|off>', 'ICE over TCP on this port, for networks that block UDP (off by default)', parsePortOrOff, 'off')
    .option('--webrtc-announce <address>', 'also announce this address with the WebRTC ports (repeatable): a 1:1 NAT\'s public address, a Docker host\'s LAN address', collect, [])
    .option('--no-webrtc-announce-interfaces', 'announce only the --webrtc-announce addresses, not the interfaces\' own')
    .option('--turn <url>', 'TURN server sharing a secret with camrtc (coturn use-auth-secret): each viewer gets its own short-lived credential (repeatable), e.g. turn:turn.example.org:3478', collect, [])
    .option('--turn-secret-file <file>', "the TURN server's static-auth-secret is this file's content (trimmed)")
    .option('--turn-secret-env <var>', "the TURN server's static-auth-secret is this environment variable")
    .addOption(new Option('--ice-transport-policy <policy>', 'tell browsers which ICE candidates to use (relay: TURN only)').choices(['all', 'relay']))
    .option('--recording <NAME=URL>', 'add a recording (NVR playback URL accepting Range): one RTSP session per viewer, with seek (repeatable)', collect, [])
    .option('--allow-origin <origin>', 'let pages of this web origin embed the player, e.g. https://intranet.example (repeatable)', collect, [])
    .option('--public-name <name>', 'a DNS name this server is reached by, e.g. cams.example.org (repeatable); other names are refused (DNS rebinding)', collect, [])
    .option('--password-file <NAME=FILE>', "camera NAME's password is FILE's content (trimmed), kept out of the command line (repeatable)", collect, [])
    .option('--password-env <NAME=VAR>', "camera NAME's password is the environment variable VAR (repeatable)", collect, [])
    .option('--tls-cert <file>', 'serve HTTPS and WSS with this PEM certificate (with its chain); re-read when it changes. Needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--rtsp-port <port>', `serve every camera at rtsp://HOST:PORT/NAME on this port (default ${DEFAULT_RTSP_PORT}; any free port when --port is 0)`, parsePort)
    .option('--no-rtsp', 'do not restream the cameras over RTSP')
    .option('--config <file>', 'read settings and cameras from a YAML (or JSON) file; flags given here override it (see README)');
  addClusterOptions(program)
    .action(async (flags: ServeFlags, command: Command) => serve(flags, command));
  program.addCommand(probeCommand());
  program.addCommand(hashPasswordCommand());
  program.addCommand(tokenCommand());
  return program;
}

/** Entry point of the `camrtc` bin and `npm start`. Errors are printed without credentials. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof CamrtcError ? ` [${err.code}]` : '';
    process.stderr.write(`camrtc: ${redactText(message)}${code}\n`);
    process.exitCode = 1;
  }
}
