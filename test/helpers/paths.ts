import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from test/ or dist/test/. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();

/**
 * The real camera SDPs handed to the project (third-party data, MIT): they live beside the
 * repository in ../shared/camera-sdp and are never copied into it. Tests that need them call
 * cameraSdpDir() and skip with this message when the folder is absent.
 */
export const CAMERA_SDP_DIR = join(repoRoot, '..', 'shared', 'camera-sdp');
export const CAMERA_SDP_MISSING =
  `real camera SDPs not found at ${CAMERA_SDP_DIR} (the ../shared/camera-sdp folder beside the repository); skipping`;
export function cameraSdpAvailable(): boolean {
  return existsSync(join(CAMERA_SDP_DIR, 'INDEX.tsv'));
}

/** The build output this test runs from (dist/, or another CAMRTC_OUT folder). */
export const distRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of a built artefact, e.g. distPath('server/src/main.js'). */
export function distPath(rel: string): string {
  return join(distRoot, rel);
}
