/**
 * The `cluster` section (docs/cluster.md): several camrtc nodes coordinated by Redis. Validated with
 * the rest of the configuration; the peer secret is read from its file or variable once, at start.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CamrtcError } from '../errors.js';
import { processSecretSources, resolveHeldSecret, type SecretSources } from '../config/secrets.js';

/** Shortest peer secret accepted (it signs the credentials nodes read each other's restream with). */
export const MIN_CLUSTER_SECRET_CHARS = 16;
export const DEFAULT_LEASE_MS = 5_000;
/** An owner with this many viewers (or more) is busy: other nodes relay its cameras instead of redirecting to it. */
export const DEFAULT_BUSY_VIEWERS = 100;

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _');

const urlOf = (protocols: readonly string[], example: string) =>
  z.string().refine((u) => {
    try {
      const p = new URL(u);
      return protocols.includes(p.protocol) && p.hostname !== '' && (p.pathname === '/' || p.pathname === '') && !p.search && !p.hash;
    } catch {
      return false;
    }
  }, `expected a base URL such as ${example} (no path)`);

export const ClusterSchema = z.strictObject({
  /** redis://[user:password@]host:port[/db] or rediss:// (TLS). Every node names the same Redis. */
  redis: z.string().refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'redis:' || p.protocol === 'rediss:') && p.hostname !== '';
    } catch {
      return false;
    }
  }, 'expected redis://host:port or rediss://host:port'),
  /** This node's name in the cluster, unique. Default: HOSTNAME-RANDOM, new at every start. */
  nodeId: z.string().regex(NODE_ID, 'letters, digits, _ . - (at most 64)').optional(),
  /**
   * Where the other nodes and the viewers they redirect reach this node. Default: this node's --host
   * and the ports it listens on (a --host of 0.0.0.0 needs them given).
   */
  advertise: z
    .strictObject({
      http: urlOf(['http:', 'https:'], 'https://node1.cams.example.org:8080').optional(),
      rtsp: urlOf(['rtsp:'], 'rtsp://node1.cams.example.org:8554').optional(),
    })
    .default({}),
  /** How long a camera's ownership lasts without renewal: the failover time after a crash. */
  leaseMs: z.number().int().min(500).max(300_000).default(DEFAULT_LEASE_MS),
  /** Owners with at least this many viewers are busy: viewers are served by a relay, not redirected. 0: always relay. */
  busyViewers: z.number().int().min(0).max(1_000_000).default(DEFAULT_BUSY_VIEWERS),
  /** Prefix of every Redis key, so several clusters can share one Redis. */
  keyPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : -').default('camrtc'),
  /** The peer secret (shared by every node): signs the credentials nodes read each other's restream with. */
  secret: z.string().min(MIN_CLUSTER_SECRET_CHARS, `at least ${MIN_CLUSTER_SECRET_CHARS} characters (e.g. openssl rand -base64 32)`).optional(),
  secretFile: z.string().min(1).optional(),
  secretEnv: envName.optional(),
});
export type ClusterConfig = z.infer<typeof ClusterSchema>;
export type ClusterConfigInput = z.input<typeof ClusterSchema>;

/**
 * Reads the peer secret from its source into `secret`. Required when an `auth` section protects the
 * restream (a relay must prove it is a peer); without one the restream is open to all, peers too.
 */
export function resolveClusterSecret(cluster: ClusterConfig, authEnabled: boolean, sources: SecretSources = processSecretSources): void {
  const owner = 'cluster';
  const secret = resolveHeldSecret(owner, 'secret', cluster, sources);
  if (secret === undefined) {
    if (authEnabled) {
      throw new CamrtcError(
        'ERR_CONFIG_INVALID',
        `${owner}: with an auth section the nodes need a shared peer secret to read each other's RTSP restream: give cluster.secretFile, secretEnv or secret (--cluster-secret-file)`,
      );
    }
    return;
  }
  if (secret.length < MIN_CLUSTER_SECRET_CHARS) {
    throw new CamrtcError('ERR_CONFIG_INVALID', `${owner}: the secret is shorter than ${MIN_CLUSTER_SECRET_CHARS} characters (make one with: openssl rand -base64 32)`);
  }
  cluster.secret = secret;
}

/** The node id: the configured one, or HOSTNAME-RANDOM (a restarted node is a new node). */
export function nodeIdOf(cluster: Pick<ClusterConfig, 'nodeId'>): string {
  if (cluster.nodeId) return cluster.nodeId;
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40) || 'node';
  return `${host}-${randomBytes(3).toString('hex')}`;
}
