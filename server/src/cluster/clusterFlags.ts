/**
 * The command line's cluster options (README "Cluster", docs/cluster.md): each overrides the same
 * setting of the configuration file's `cluster` section; --cluster-redis alone makes a node.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ClusterConfigInput } from './clusterConfig.js';

export interface ClusterFlags {
  clusterRedis?: string;
  clusterNodeId?: string;
  clusterAdvertiseHttp?: string;
  clusterAdvertiseRtsp?: string;
  clusterLeaseMs?: number;
  clusterBusyViewers?: number;
  clusterSecretFile?: string;
  clusterSecretEnv?: string;
}

const CLUSTER_FLAGS: ReadonlyArray<keyof ClusterFlags> = [
  'clusterRedis',
  'clusterNodeId',
  'clusterAdvertiseHttp',
  'clusterAdvertiseRtsp',
  'clusterLeaseMs',
  'clusterBusyViewers',
  'clusterSecretFile',
  'clusterSecretEnv',
];

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function addClusterOptions(command: Command): Command {
  return command
    .option('--cluster-redis <url>', 'join a cluster of camrtc nodes coordinated by this Redis, e.g. redis://10.0.0.5:6379 (docs/cluster.md)')
    .option('--cluster-node-id <id>', "this node's unique name in the cluster (default: HOSTNAME-RANDOM)")
    .option('--cluster-advertise-http <url>', 'where viewers and other nodes reach this node, e.g. https://node1.cams.example.org (default: --host and --port)')
    .option('--cluster-advertise-rtsp <url>', "where other nodes read this node's RTSP restream, e.g. rtsp://10.0.0.11:8554 (default: --host and --rtsp-port)")
    .option('--cluster-lease-ms <ms>', "how long a camera's ownership lasts without renewal: the failover time after a crash (default 5000)", count)
    .option('--cluster-busy-viewers <n>', 'owners with this many viewers are busy: other nodes relay their cameras instead of redirecting to them; 0: always relay (default 100)', count)
    .option('--cluster-secret-file <file>', "the nodes' shared peer secret is this file's content (needed with an auth section)")
    .option('--cluster-secret-env <var>', "the nodes' shared peer secret is this environment variable");
}

/** The `cluster` section: the file's, with the flags given on top. */
export function clusterFromFlags(flags: ClusterFlags, fromFile: unknown): ClusterConfigInput | undefined {
  const base: Record<string, unknown> = fromFile !== null && typeof fromFile === 'object' && !Array.isArray(fromFile) ? { ...(fromFile as Record<string, unknown>) } : {};
  const given = CLUSTER_FLAGS.some((f) => flags[f] !== undefined);
  if (!given) return fromFile as ClusterConfigInput | undefined;
  const advertise = base.advertise !== null && typeof base.advertise === 'object' && !Array.isArray(base.advertise) ? { ...(base.advertise as Record<string, unknown>) } : {};
  if (flags.clusterAdvertiseHttp !== undefined) advertise.http = flags.clusterAdvertiseHttp;
  if (flags.clusterAdvertiseRtsp !== undefined) advertise.rtsp = flags.clusterAdvertiseRtsp;
  if (flags.clusterSecretFile !== undefined || flags.clusterSecretEnv !== undefined) {
    delete base.secret;
    delete base.secretFile;
    delete base.secretEnv;
  }
  return {
    ...base,
    ...(flags.clusterRedis !== undefined ? { redis: flags.clusterRedis } : {}),
    ...(flags.clusterNodeId !== undefined ? { nodeId: flags.clusterNodeId } : {}),
    ...(Object.keys(advertise).length ? { advertise } : {}),
    ...(flags.clusterLeaseMs !== undefined ? { leaseMs: flags.clusterLeaseMs } : {}),
    ...(flags.clusterBusyViewers !== undefined ? { busyViewers: flags.clusterBusyViewers } : {}),
    ...(flags.clusterSecretFile !== undefined ? { secretFile: flags.clusterSecretFile } : {}),
    ...(flags.clusterSecretEnv !== undefined ? { secretEnv: flags.clusterSecretEnv } : {}),
  } as ClusterConfigInput;
}
