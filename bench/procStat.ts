/**
 * CPU time and resident memory of one process from /proc (Linux). The parsers are pure; `sampleProcess`
 * does the reading. Only the server process is counted (not its children, not the viewers).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessSample {
  /** user + system CPU time in seconds. */
  cpuSeconds: number;
  /** Resident set size in bytes. */
  rssBytes: number;
  /** Wall clock of the sample, ms (performance.now()). */
  at: number;
}

/** Clock ticks per second for /proc/PID/stat; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
export const CLOCK_TICKS = 100;

/** user+system ticks from a /proc/PID/stat line. The command name may hold spaces and ')': skip past the last ')'. */
export function parseStatCpuTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** VmRSS from /proc/PID/status, in bytes. */
export function parseStatusRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error('VmRSS not found in /proc status');
  return Number(m[1]) * 1024;
}

export function sampleProcess(pid: number): ProcessSample {
  return {
    cpuSeconds: parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / CLOCK_TICKS,
    rssBytes: parseStatusRss(readFileSync(`/proc/${pid}/status`, 'utf8')),
    at: performance.now(),
  };
}

/** CPU used between two samples as a fraction of one core (1.0 = one core busy). */
export function cpuCores(from: ProcessSample, to: ProcessSample): number {
  const wall = (to.at - from.at) / 1000;
  return wall > 0 ? (to.cpuSeconds - from.cpuSeconds) / wall : 0;
}

/** Socket inodes a process holds, from the /proc/PID/fd links ("socket:[12345]"). */
export function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

/**
 * Datagrams the kernel dropped because a socket's receive buffer was full, summed over the UDP
 * sockets whose inode is in `inodes`, from a /proc/net/udp{,6} table (last column "drops").
 */
export function parseUdpDrops(table: string, inodes: ReadonlySet<string>): number {
  let drops = 0;
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 13) continue;
    if (inodes.has(cols[9])) drops += Number(cols[12]) || 0;
  }
  return drops;
}

/** UDP receive-buffer drops of one process's sockets so far (its own view of the network namespace). */
export function udpDrops(pid: number): number {
  const inodes = socketInodes(pid);
  let drops = 0;
  for (const f of ['udp', 'udp6']) {
    try {
      drops += parseUdpDrops(readFileSync(`/proc/${pid}/net/${f}`, 'utf8'), inodes);
    } catch {
      /* no IPv6 */
    }
  }
  return drops;
}
