/**
 * Where a viewer who arrives at this node for a camera is served (docs/cluster.md, "Viewers"): the
 * decision, apart from the Redis reads and the reachability probe that feed it.
 *
 * - here, when this node already serves the camera (owner or relay), when nobody owns it (this node
 *   will take it), when the viewer was redirected here already (never twice), or when the owner
 *   cannot take the viewer: gone from the registry, draining, not answering, or busy (at least
 *   `busyViewers` viewers): then this node relays the camera from the owner's restream, or waits
 *   its lease out and takes the camera;
 * - redirected to the owner otherwise, so one node carries the camera's viewers.
 */
import type { CamrtcError } from '../errors.js';

export type ViewerRoute =
  | { readonly kind: 'local' }
  | { readonly kind: 'redirect'; readonly node: string; /** The owner's advertised base URL (http/https). */ readonly http: string }
  | { readonly kind: 'refused'; readonly error: CamrtcError };

export interface OwnerView {
  readonly node: string;
  /** Its registry record, when registered (and readable). */
  readonly peer?: { readonly http: string; readonly viewers: number; readonly draining: boolean; readonly fresh: boolean };
}

export interface RouteFacts {
  readonly self: string;
  readonly redirected: boolean;
  readonly servingHere: boolean;
  readonly owner: OwnerView | undefined;
  readonly busyViewers: number;
}

/** The decision before the reachability probe: `probe` means "redirect, if the owner answers". */
export function routeFor(facts: RouteFacts): { kind: 'local' } | { kind: 'probe'; node: string; http: string } {
  const { owner } = facts;
  if (facts.redirected || facts.servingHere || !owner || owner.node === facts.self) return { kind: 'local' };
  const peer = owner.peer;
  if (!peer || !peer.fresh || peer.draining || peer.viewers >= facts.busyViewers) return { kind: 'local' };
  return { kind: 'probe', node: owner.node, http: peer.http };
}

/** ws(s)://owner/ws?redirected=1: where a redirected signaling client opens its socket. */
export function redirectSignalingUrl(http: string, param: string): string {
  const url = new URL(http);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = `?${param}=1`;
  url.hash = '';
  return url.href;
}

/** The owner's WHEP endpoint for the camera, marked as redirected. */
export function redirectWhepUrl(http: string, camera: string, param: string): string {
  const url = new URL(http);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/whep/${encodeURIComponent(camera)}`;
  url.search = `?${param}=1`;
  url.hash = '';
  return url.href;
}
