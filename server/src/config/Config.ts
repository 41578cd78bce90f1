/**
 * camrtc's configuration: validated once at start-up (zod), then frozen. Everything that reaches the
 * rest of the server is a Config; nothing else reads argv or the environment.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { CamrtcError } from '../errors.js';
import { redactText } from '../log/redact.js';
import { HOST_NAME } from '../http/knownHosts.js';
import { AuthSchema, authConfigProblems, resolveAuthSecrets } from '../auth/authConfig.js';
import { processSecretSources, resolvePassword, type SecretSources } from './secrets.js';
import { IceServerSchema, IceTransportPolicySchema, TurnSchema, iceServerProblems, resolveTurnSecret } from './turnConfig.js';
import { ClusterSchema, resolveClusterSecret } from '../cluster/clusterConfig.js';

/**
 * auto (default, like MediaMTX): UDP first, TCP when the camera refuses UDP or no UDP packet arrives
 * within 3 s (NAT, firewall), remembered per camera. multicast: ask the camera for its group.
 */
export const TRANSPORTS = ['tcp', 'udp', 'auto', 'multicast'] as const;
export type RtspTransport = (typeof TRANSPORTS)[number];

const cameraName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'camera names use letters, digits, _ . - (at most 64)');
const rtspUrl = z.string().refine((u) => {
  try {
    const p = new URL(u);
    return (p.protocol === 'rtsp:' || p.protocol === 'rtsps:') && p.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an rtsp:// or rtsps:// URL with a host');

export const CameraConfigSchema = z.strictObject({
  name: cameraName,
  url: rtspUrl,
  /**
   * The camera's sub stream (its small, low-bitrate stream): players in a grid get it, full-size and
   * fullscreen players the main stream (`url`), switching on the same peer connection. Same
   * credentials and transport as `url`. Live cameras only.
   */
  substream: rtspUrl.optional(),
  /** RTSP transport to the camera. Default auto: UDP, falling back to TCP (see TRANSPORTS). */
  transport: z.enum(TRANSPORTS).default('auto'),
  /** Credentials when not in the URL (they take precedence over the URL's). */
  username: z.string().optional(),
  password: z.string().optional(),
  /** The password is this file's content, trimmed (a Docker or systemd secret): not in the config nor in argv. */
  passwordFile: z.string().min(1).optional(),
  /** The password is this environment variable's value. */
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _').optional(),
  /**
   * rtsps: accept the camera's certificate even when it does not verify (self-signed, as most
   * cameras ship). Default false: verified against the system's authorities and the host name.
   */
  tlsInsecure: z.boolean().optional(),
  /** Keep the RTSP session open even with no viewer (first frame without connect time). */
  preload: z.boolean().default(false),
  /** Milliseconds the RTSP session stays open after the last viewer leaves. */
  idleTimeoutMs: z.number().int().min(0).default(10_000),
  /** Milliseconds to open the connection to the camera. Default 5000. */
  connectTimeoutMs: z.number().int().min(100).max(120_000).optional(),
  /** Milliseconds without an answer, or without media while playing, before the camera counts as lost. Default 10000. */
  readTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  /**
   * An NVR playback URL that accepts `Range`: each viewer gets its own RTSP session, so pause, play
   * and seek act on that viewer's playback only. Default false (a live camera, shared by its viewers).
   */
  recording: z.boolean().optional(),
  /**
   * Two-way audio through the camera's ONVIF audio backchannel (README "Talk"). Default true: camrtc
   * asks the camera for it and offers viewers with the `talk` permission a talk button when it has
   * one. false: never asked (some doorbells lose their call button while a backchannel is open).
   */
  talk: z.boolean().optional(),
  /**
   * An H.265 camera's video as H.264 (one ffmpeg per camera, shared): `h264` for every viewer, `auto`
   * for the viewers whose browser cannot decode H.265. Default: none (those browsers are refused).
   */
  transcode: z.enum(['h264', 'auto']).optional(),
});
export type CameraConfig = z.infer<typeof CameraConfigSchema>;

/** What is wrong with one camera's settings taken together (the schema checks each alone), or undefined. */
export function cameraConfigProblem(camera: CameraConfig): string | undefined {
  if (camera.substream !== undefined && camera.recording) return 'substream: a recording has no sub stream (substream is for live cameras)';
  return undefined;
}

/** One of --tls-cert and --tls-key without the other: say which flag (or setting) is missing. */
const tlsFile = (flag: string, setting: string, what: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `missing: HTTPS needs ${what} too (${flag} FILE, or ${setting} in the configuration file)`
          : `expected a file name (${flag} FILE)`,
    })
    .min(1, `expected a file name (${flag} FILE)`);

export const TlsConfigSchema = z.strictObject({
  /** PEM certificate (with its chain, e.g. certbot's fullchain.pem). */
  cert: tlsFile('--tls-cert', 'tls.cert', 'the certificate'),
  /** PEM private key of that certificate, unencrypted. */
  key: tlsFile('--tls-key', 'tls.key', "the certificate's private key"),
}, { error: (issue) => (issue.code === 'invalid_type' ? 'expected the two files, as in tls: { cert: FILE, key: FILE }' : undefined) });
export type TlsConfig = z.infer<typeof TlsConfigSchema>;

/** The RTSP restream's port unless configured, as MediaMTX's. */
export const DEFAULT_RTSP_PORT = 8554;

export const RtspServeSchema = z.strictObject({
  /** Serve every live camera at rtsp://HOST:PORT/NAME (README "RTSP restream"). Default true. */
  enabled: z.boolean().default(true),
  /** Default DEFAULT_RTSP_PORT; any free port (0) when the HTTP port is 0 too, so tests never collide. */
  port: z.number().int().min(0).max(65535).optional(),
});
export type RtspServeConfig = z.infer<typeof RtspServeSchema>;

/** The port the RTSP restream listens on. */
export function rtspPortOf(config: Pick<Config, 'port' | 'rtsp'>): number {
  return config.rtsp.port ?? (config.port === 0 ? 0 : DEFAULT_RTSP_PORT);
}
const webrtcPort = z.union([z.number().int().min(0).max(65535), z.literal('off')], { error: "expected a port number (0-65535) or 'off'" });
const ipAddress = z.string().refine((a) => isIP(a) !== 0, 'an IP address (a browser does not resolve host names in ICE candidates)');

/** The server's WebRTC ports (webrtc/ice/IceMux.ts): what a firewall or `docker run -p` opens. */
export const WebRtcPortsSchema = {
  /**
   * One UDP port for the media of every viewer (as MediaMTX's 8189 and go2rtc's 8555). 0: any free
   * port; 'off': a UDP socket per viewer on a random port (werift's own).
   */
  udpPort: webrtcPort.default(8189),
  /** ICE over TCP on this port, for viewers whose network blocks UDP. 'off' (default, as MediaMTX) or a port. */
  tcpPort: webrtcPort.default('off'),
  /**
   * More addresses announced as host candidates with those ports: the public address of a 1:1 NAT,
   * the LAN address of a Docker host (`-p 8189:8189/udp`).
   */
  announcedAddresses: z.array(ipAddress).default([]),
  /** Announce the interfaces' addresses (or iceHostAddresses) too. false: only announcedAddresses (needs udpPort). */
  announceInterfaces: z.boolean().default(true),
};

export const ConfigSchema = z.strictObject({
  /** Interface the HTTP/WebSocket server binds. 0.0.0.0 (all), like MediaMTX and go2rtc. */
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8080),
  /**
   * Serve HTTPS and WSS on `port` with this certificate and key (both, or neither: plain HTTP). The
   * files are re-read when they change (http/TlsCertificate.ts): a renewal needs no restart.
   */
  tls: TlsConfigSchema.optional(),
  cameras: z.array(CameraConfigSchema).default([]),
  /** The RTSP restream of the cameras (same interface as `host`). */
  rtsp: RtspServeSchema.default({ enabled: true }),
  /** Serve the built-in demo camera as `demo`. Default: only when no camera is configured. */
  demo: z.boolean().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  webrtc: z
    .object({
      /**
       * STUN/TURN servers for werift (the first of each kind) and for every admitted viewer's browser
       * (docs/signaling.md, "ICE servers"); none by default (LAN and loopback need none).
       */
      iceServers: z.array(IceServerSchema).default([]),
      /** When set, ICE uses only these local addresses (e.g. 127.0.0.1 for tests, or the LAN address). */
      iceHostAddresses: z.array(z.string()).default([]),
      // ---- TURN (config/turnConfig.ts) ----
      /** A TURN server with a shared secret: a short-lived credential per viewer (TURN REST, coturn's use-auth-secret). */
      turn: TurnSchema.optional(),
      /** Handed to browsers: 'relay' makes them use TURN only. Default: browsers choose ('all'). */
      iceTransportPolicy: IceTransportPolicySchema.optional(),
      // ---- end TURN ----
      ...WebRtcPortsSchema,
    })
    .prefault({}),
  /**
   * Other web origins (scheme://host[:port]) whose pages may embed the player: they may open /ws and
   * use /whep from a visitor's browser. The server's own origin is always allowed.
   */
  allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port], without a path')).default([]),
  /**
   * DNS names users reach this server by (e.g. cams.example.org, nas.lan), besides the ones it knows
   * itself: IP addresses, localhost and the machine's hostname. A request for any other name is
   * refused (421), which defeats DNS rebinding. `*` accepts any name (turns the protection off).
   */
  publicNames: z
    .array(z.string().refine((n) => n === '*' || HOST_NAME.test(n), 'a public name is a host name like cams.example.org, without scheme or port'))
    .default([]),
  /**
   * Who may watch: users, the anonymous entry, viewer-token keys, an identity provider (auth/authConfig.ts).
   * Absent: open as the demo is (anyone who reaches the server watches; API and metrics from loopback only).
   */
  auth: AuthSchema.optional(),
  /** Several nodes coordinated by Redis (cluster/clusterConfig.ts, docs/cluster.md). Absent: one node on its own. */
  cluster: ClusterSchema.optional(),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates, applies defaults, checks cross-field rules, reads each camera's passwordFile or
 * passwordEnv into its password, freezes. Throws ERR_CONFIG_INVALID.
 */
export function loadConfig(input: ConfigInput, secrets: SecretSources = processSecretSources): Readonly<Config> {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CamrtcError('ERR_CONFIG_INVALID', redactText(`invalid configuration: ${lines.join('; ')}`));
  }
  const config = result.data;
  const seen = new Set<string>();
  for (const cam of config.cameras) {
    if (seen.has(cam.name)) throw new CamrtcError('ERR_CONFIG_INVALID', `camera '${cam.name}' is configured twice`);
    seen.add(cam.name);
    const problem = cameraConfigProblem(cam);
    if (problem) throw new CamrtcError('ERR_CONFIG_INVALID', `invalid configuration: cameras.${config.cameras.indexOf(cam)}.${problem}`);
    const password = resolvePassword(cam, secrets);
    if (password !== undefined) cam.password = password;
  }
  const webrtc = config.webrtc;
  if (!webrtc.announceInterfaces && webrtc.udpPort === 'off') {
    throw new CamrtcError('ERR_CONFIG_INVALID', "invalid configuration: webrtc.announceInterfaces: false needs webrtc.udpPort (with 'off', every viewer's own UDP sockets announce the interfaces)");
  }
  // As the restream's port: a server asked for any free HTTP port (tests, several instances) takes
  // any free WebRTC port too, unless one was named, so two such servers never collide on 8189.
  if (config.port === 0 && (input as { webrtc?: { udpPort?: unknown } }).webrtc?.udpPort === undefined) webrtc.udpPort = 0;
  const authProblems = config.auth ? authConfigProblems(config.auth) : [];
  if (authProblems.length) throw new CamrtcError('ERR_CONFIG_INVALID', `invalid configuration: ${authProblems.join('; ')}`);
  if (config.auth) resolveAuthSecrets(config.auth, secrets);
  const iceProblems = iceServerProblems(config.webrtc.iceServers);
  if (iceProblems.length) throw new CamrtcError('ERR_CONFIG_INVALID', `invalid configuration: ${iceProblems.join('; ')}`);
  if (config.webrtc.turn) resolveTurnSecret(config.webrtc.turn, secrets);
  if (config.cluster) resolveClusterSecret(config.cluster, config.auth !== undefined, secrets);
  if (config.demo !== false && seen.has('demo') && (config.demo === true)) {
    throw new CamrtcError('ERR_CONFIG_INVALID', "camera name 'demo' is taken by the built-in demo camera; pick another name or pass --no-demo");
  }
  return deepFreeze(config);
}

/** Parses `NAME=URL` from --camera. */
export function parseCameraFlag(value: string): { name: string; url: string } {
  const eq = value.indexOf('=');
  if (eq <= 0) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `--camera expects NAME=URL (e.g. front=rtsp://user:pass@192.0.2.10/stream1), got ${JSON.stringify(redactText(value))}`);
  }
  return { name: value.slice(0, eq), url: value.slice(eq + 1) };
}

/** Parses `NAME=VALUE` from a per-camera flag such as --password-file. */
export function parseNamedFlag(flag: string, value: string, example: string): { name: string; value: string } {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new CamrtcError('ERR_CONFIG_INVALID', `${flag} expects CAMERA=${example}`);
  return { name: value.slice(0, eq), value: value.slice(eq + 1) };
}
