/**
 * Shared pieces of the property tests (*.property.test.ts): the run count, a per-call time guard
 * for adversarial inputs, and the real camera SDPs as seeds.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CAMERA_SDP_DIR, cameraSdpAvailable } from './paths.js';

/**
 * Runs per property. CAMRTC_PROPERTY_RUNS raises it for a longer local search; fast-check picks a
 * new seed on every run and prints it (with the path) when a property fails, so a failure can be
 * replayed with `fc.assert(..., { seed, path })`.
 */
export function runs(defaultRuns: number): number {
  const env = Number(process.env.CAMRTC_PROPERTY_RUNS);
  return Number.isInteger(env) && env > 0 ? env : defaultRuns;
}

/**
 * A guard, not a benchmark: one call on an input made to be slow must stay under `maxMs` (generous,
 * the machine is shared). A parser that goes quadratic or backtracks on hostile input blows through
 * it by orders of magnitude.
 */
export function assertFast<T>(label: string, maxMs: number, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  assert.ok(ms < maxMs, `${label}: ${ms.toFixed(1)} ms (guard ${maxMs} ms)`);
  return result;
}

/** The real camera SDPs (file name and text), or [] when the folder beside the repository is absent. */
export function cameraSdps(): Array<{ file: string; text: string }> {
  if (!cameraSdpAvailable()) return [];
  return readdirSync(CAMERA_SDP_DIR)
    .filter((f) => f.endsWith('.sdp'))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(CAMERA_SDP_DIR, file), 'latin1') }));
}
