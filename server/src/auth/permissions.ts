/**
 * What a principal may do: an action on cameras named by globs. The same map is used for users in the
 * configuration, the anonymous entry, camrtc's own viewer tokens and the claim of an identity
 * provider's JWT, so one reading of it decides at every entry point.
 *
 *   permissions: { view: ["*"], playback: ["front", "yard-*"], admin: true }
 */
import { z } from 'zod';

/**
 * view: watch a live camera. playback: a recording (play, pause, seek). talk: two-way audio.
 * admin: the control API (minting tokens, cameras). metrics: the Prometheus metrics.
 */
export const ACTIONS = ['view', 'playback', 'talk', 'admin', 'metrics'] as const;
export type Action = (typeof ACTIONS)[number];

/** A camera name or a glob over names: `*` any run of characters, `?` one character. */
const CAMERA_GLOB = /^[A-Za-z0-9_.*?-]{1,64}$/;
export const cameraGlob = z.string().regex(CAMERA_GLOB, 'a camera name or glob (letters, digits, _ . - and the wildcards * ?)');

/** `true` is every camera (`["*"]`), `false` none. */
const globList = z.union([z.array(cameraGlob).max(1000), z.boolean()]).transform((v) => (v === true ? ['*'] : v === false ? [] : v));

export const PermissionsSchema = z.strictObject(
  Object.fromEntries(ACTIONS.map((a) => [a, globList.optional()])) as Record<Action, z.ZodOptional<typeof globList>>,
);
export type PermissionsInput = z.input<typeof PermissionsSchema>;
/** Per action, the camera globs it covers (no entry: none). */
export type Permissions = Partial<Record<Action, readonly string[]>>;

export const NO_PERMISSIONS: Permissions = Object.freeze({});

/** Camera names are letters, digits, _ . - (config); a glob is matched without a RegExp built from input. */
export function globMatches(glob: string, name: string): boolean {
  // Iterative wildcard match, linear-ish with one backtrack point: no catastrophic backtracking.
  let g = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === name[n])) {
      g++;
      n++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      mark = n;
    } else if (star >= 0) {
      g = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

/** Whether `permissions` allow `action` on `camera`; for admin and metrics without a camera, any glob allows. */
export function permits(permissions: Permissions, action: Action, camera?: string): boolean {
  const globs = permissions[action];
  if (!globs || globs.length === 0) return false;
  if (camera === undefined) return true;
  return globs.some((g) => globMatches(g, camera));
}

/** The union of two permission maps (a token's rights added to a socket's login, say). */
export function unitePermissions(a: Permissions, b: Permissions): Permissions {
  const out: Permissions = {};
  for (const action of ACTIONS) {
    const globs = [...(a[action] ?? []), ...(b[action] ?? [])];
    if (globs.length) out[action] = [...new Set(globs)];
  }
  return out;
}

/** The words a refusal uses for an action: "not allowed to watch front". */
export function actionVerb(action: Action): string {
  switch (action) {
    case 'view':
      return 'watch';
    case 'playback':
      return 'play back';
    case 'talk':
      return 'talk to';
    case 'admin':
      return 'administer';
    case 'metrics':
      return 'read the metrics of';
  }
}
