/**
 * The TURN part of the `webrtc` section: a TURN server with a shared secret (coturn's
 * `use-auth-secret` / `static-auth-secret`), from which camrtc makes a short-lived credential for
 * each admitted viewer and for its own peer connections; and the ICE transport policy handed to
 * browsers. Also the checks on `webrtc.iceServers`, which browsers get too and reject outright when
 * a URL is malformed or a TURN server has no credential.
 *
 *   webrtc:
 *     turn:
 *       urls: ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"]
 *       secretFile: /run/secrets/turn-secret      # or secretEnv: TURN_SECRET, or (least safe) secret: ...
 *       ttlSeconds: 3600
 *     iceTransportPolicy: relay                   # browsers use TURN only
 */
import { z } from 'zod';
import { CamrtcError } from '../errors.js';
import { ICE_TRANSPORT_POLICIES } from '../../../shared/protocol.js';
import { DEFAULT_TURN_TTL_SECONDS, TurnRest } from '../webrtc/TurnRest.js';
import { processSecretSources, resolveHeldSecret, type SecretSources } from './secrets.js';

/** Shortest shared secret accepted: every credential handed out lets its holder guess at it offline. */
export const MIN_TURN_SECRET_CHARS = 16;

/** stun:, stuns:, turn: or turns:, then a host, without spaces or the characters a Link header cannot carry. */
export const ICE_URL = /^(stuns?|turns?):[^\s<>"',]+$/i;
const iceUrl = z.string().regex(ICE_URL, 'an ICE server URL is stun:, stuns:, turn: or turns: then host[:port][?transport=udp|tcp]');
const turnUrl = z.string().regex(/^turns?:[^\s<>"',]+$/i, 'a TURN URL is turn:host[:port][?transport=udp|tcp] or turns:host[:port]');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _');

export const TurnSchema = z.strictObject({
  /** The TURN server's URLs, handed to browsers as they are; the server's own peers use the first turn: one. */
  urls: z.array(turnUrl).min(1, 'at least one TURN URL'),
  /** coturn's static-auth-secret, written here (least safe: prefer secretFile or secretEnv). */
  secret: z.string().min(MIN_TURN_SECRET_CHARS, `at least ${MIN_TURN_SECRET_CHARS} characters (e.g. openssl rand -base64 32)`).optional(),
  /** The secret is this file's content, trimmed (a Docker or systemd secret). */
  secretFile: z.string().min(1).optional(),
  /** The secret is this environment variable's value. */
  secretEnv: envName.optional(),
  /** Seconds each credential is valid (a TURN allocation must start within it). Default 3600. */
  ttlSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(DEFAULT_TURN_TTL_SECONDS),
  /** The server's own peer connections also gather a relay candidate on this TURN server. Default true. */
  forServer: z.boolean().default(true),
});
export type TurnConfig = z.infer<typeof TurnSchema>;

export const IceServerSchema = z.strictObject({
  urls: z.union([iceUrl, z.array(iceUrl).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

/** Handed to browsers: 'relay' makes them gather TURN candidates only. */
export const IceTransportPolicySchema = z.enum(ICE_TRANSPORT_POLICIES);

type IceServerConfig = z.infer<typeof IceServerSchema>;

/** What browsers would refuse in `webrtc.iceServers` (RTCPeerConnection throws on a TURN URL without a credential). */
export function iceServerProblems(servers: readonly IceServerConfig[]): string[] {
  const problems: string[] = [];
  servers.forEach((server, i) => {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    if (urls.some((u) => /^turns?:/i.test(u)) && (server.username === undefined || server.credential === undefined)) {
      problems.push(`webrtc.iceServers.${i}: a TURN server needs username and credential (or use webrtc.turn with the TURN server's secret)`);
    }
  });
  return problems;
}

/**
 * Reads the secret from `secret`, `secretFile` or `secretEnv` into `secret`. Throws ERR_CONFIG_INVALID
 * naming the field, never the content.
 */
export function resolveTurnSecret(turn: TurnConfig, sources: SecretSources = processSecretSources): void {
  const owner = 'webrtc.turn';
  const secret = resolveHeldSecret(owner, 'secret', turn, sources);
  if (secret === undefined) throw new CamrtcError('ERR_CONFIG_INVALID', `${owner}: the TURN server's shared secret is missing: give secretFile, secretEnv or secret`);
  if (secret.length < MIN_TURN_SECRET_CHARS) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${owner}: the secret is shorter than ${MIN_TURN_SECRET_CHARS} characters (make one with: openssl rand -base64 32)`);
  }
  turn.secret = secret;
}

/** The credential maker of a loaded configuration's `webrtc.turn` (its secret resolved). */
export function turnRestOf(turn: TurnConfig | undefined): TurnRest | undefined {
  if (!turn?.secret) return undefined;
  return new TurnRest({ urls: turn.urls, secret: turn.secret, ttlSeconds: turn.ttlSeconds });
}
