/**
 * The UDP sockets this process holds, read from Linux's /proc: the inodes of /proc/self/fd's
 * sockets matched with /proc/self/net/udp and udp6, which give each one's local port.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** The local port of every UDP socket the process has open (one entry per socket). */
export function udpSocketPorts(): number[] {
  const portOf = new Map<string, number>();
  for (const table of ['/proc/self/net/udp', '/proc/self/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      // local_address is HEXIP:HEXPORT; the inode is the 10th field.
      portOf.set(fields[9], parseInt(fields[1].split(':')[1], 16));
    }
  }
  const ports: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let link = '';
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const port = inode === undefined ? undefined : portOf.get(inode);
    if (port !== undefined) ports.push(port);
  }
  return ports;
}

/** Datagrams the kernel dropped for the UDP socket bound to `port` (its receive buffer was full). */
export function udpKernelDrops(port: number): number {
  let drops = 0;
  for (const table of ['/proc/self/net/udp', '/proc/self/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 13 && parseInt(fields[1].split(':')[1], 16) === port) drops += Number(fields[fields.length - 1]);
    }
  }
  return drops;
}

/** Whether /proc can tell (Linux). */
export function udpSocketsReadable(): boolean {
  try {
    readFileSync('/proc/self/net/udp', 'utf8');
    return true;
  } catch {
    return false;
  }
}
