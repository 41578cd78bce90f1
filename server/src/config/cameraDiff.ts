/**
 * What changed between two configurations: the cameras added, removed, changed (any setting, the
 * resolved password included, so a new passwordFile content restarts the camera) and unchanged, and
 * the other settings, which camrtc reads once at start. Pure: the control API and the configuration
 * file reload both apply a diff; neither decides "changed" on its own.
 */
import type { CameraConfig, Config } from './Config.js';

export interface CameraChange {
  readonly before: CameraConfig;
  readonly after: CameraConfig;
}

export interface CameraDiff {
  readonly added: readonly CameraConfig[];
  readonly removed: readonly CameraConfig[];
  readonly changed: readonly CameraChange[];
  readonly unchanged: readonly CameraConfig[];
}

/**
 * Structural equality of configuration values (JSON-like: objects, arrays, primitives). Key order
 * does not matter, and a key set to undefined is the same as a key not there (an optional setting
 * left out).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!sameValue(ra[key], rb[key])) return false;
  return true;
}

/** Cameras by name: in `after` only (added), `before` only (removed), in both with other settings (changed), or the same. */
export function diffCameras(before: readonly CameraConfig[], after: readonly CameraConfig[]): CameraDiff {
  const old = new Map(before.map((c) => [c.name, c]));
  const next = new Map(after.map((c) => [c.name, c]));
  const added: CameraConfig[] = [];
  const changed: CameraChange[] = [];
  const unchanged: CameraConfig[] = [];
  for (const camera of after) {
    const was = old.get(camera.name);
    if (!was) added.push(camera);
    else if (sameValue(was, camera)) unchanged.push(camera);
    else changed.push({ before: was, after: camera });
  }
  const removed = before.filter((c) => !next.has(c.name));
  return { added, removed, changed, unchanged };
}

/** A diff that changes nothing. */
export function emptyDiff(diff: CameraDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/**
 * The top-level settings other than cameras that differ: the server binds, authenticates, and
 * builds its pages from them once, so a change needs a restart. Names only (values may be secrets).
 */
export function settingsNeedingRestart(before: Readonly<Config>, after: Readonly<Config>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  keys.delete('cameras');
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  return [...keys].filter((k) => !sameValue(a[k], b[k])).sort();
}
