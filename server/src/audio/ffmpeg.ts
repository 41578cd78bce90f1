import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

let cached: { path: string | undefined } | undefined;

/**
 * The ffmpeg executable on PATH (CAMRTC_FFMPEG overrides), or undefined. Looked up once: a camera
 * list is checked at start, and every later AAC camera gets the same answer.
 */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env === process.env && cached) return cached.path;
  let found: string | undefined;
  const explicit = env.CAMRTC_FFMPEG;
  const candidates = explicit ? [explicit] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'ffmpeg'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      found = candidate;
      break;
    } catch {
      /* next */
    }
  }
  if (env === process.env) cached = { path: found };
  return found;
}
