/**
 * Summary of a V8 .cpuprofile (what `node --cpu-prof` writes): self time per function, heaviest first,
 * so the report can name the hot spots. Pure apart from reading the file.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  /** Function name and where it lives (package or repository path, line). */
  where: string;
  /** Share of all samples, 0..1. */
  self: number;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/(dist[^/]*)\/(.*)$/.exec(url);
  return m ? m[2] : url.replace(/^file:\/\//, '');
}

export function hotSpots(profile: CpuProfile, top: number): HotSpot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTime = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
    selfTime.set(key, (selfTime.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...selfTime.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, t]) => ({ where, self: total > 0 ? t / total : 0 }));
}

export function readHotSpots(file: string, top: number): HotSpot[] {
  return hotSpots(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}
