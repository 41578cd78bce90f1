/**
 * The RtspServer's two hooks. A request hook sees every request before the server answers it and
 * may answer it itself (authentication, a redirect), alter the server's answer, answer late or not
 * at all (faults). A packet hook sits between a track and one client's delivery and may drop, alter,
 * reorder or add packets (test faults). Hooks run in order, each around the next (pion's interceptor
 * chain, koa's middleware).
 */
import type { RtspRequest } from '../message.js';
import type { MountTrack } from './Mount.js';
import type { ServerConnection } from './ServerConnection.js';
import type { ServerResponse } from './ServerResponse.js';
import type { ServerSession } from './ServerSession.js';
import type { DeliveryKind } from './ServerTransport.js';
import type { Transport } from '../headers/Transport.js';

export interface RequestContext {
  readonly connection: ServerConnection;
  /** Request path without query or trailing slash ('/' for the root); undefined for an unusable URI. */
  readonly path: string | undefined;
  /** scheme://authority as the client addressed the server (for Location, Content-Base). */
  readonly baseUrl: string;
  /** Path of the mount the request falls under (the mount itself or one of its tracks), if any. */
  readonly mountPath: string | undefined;
  /** The session the Session header names, when it exists and belongs to this connection. */
  readonly session: ServerSession | undefined;
}

/** The rest of the chain: the next hooks, then the server's own handling. Memoized: calling it twice runs it once. */
export type NextHandler = () => Promise<ServerResponse | null>;

/**
 * Returns the answer to write, `null` to write nothing (the request goes unanswered, or the hook
 * wrote raw bytes itself with `ctx.connection.write`), or `undefined` for "whatever next() gives".
 */
export type RequestHook = (
  req: RtspRequest,
  ctx: RequestContext,
  next: NextHandler,
) => ServerResponse | null | undefined | Promise<ServerResponse | null | undefined>;

/** Runs `hooks` around `last`, in order. */
export function chainHooks(hooks: readonly RequestHook[], req: RtspRequest, ctx: RequestContext, last: () => Promise<ServerResponse | null>): Promise<ServerResponse | null> {
  const run = (i: number): NextHandler => {
    let memo: Promise<ServerResponse | null> | undefined;
    return () => {
      memo ??= i < hooks.length ? call(hooks[i], run(i + 1)) : last();
      return memo;
    };
  };
  const call = async (hook: RequestHook, next: NextHandler): Promise<ServerResponse | null> => {
    const result = await hook(req, ctx, next);
    return result === undefined ? next() : result;
  };
  return run(0)();
}

/** One track's way to one client: where a packet hook is asked for a filter. */
export interface DeliveryInfo {
  readonly kind: DeliveryKind;
  /** What the SETUP answer granted (interleaved channels, ports, group). */
  readonly transport: Transport;
  readonly mountPath: string;
  readonly trackIndex: number;
  readonly track: MountTrack;
  /** Undefined for multicast: one delivery is shared by every session of the group. */
  readonly session: ServerSession | undefined;
  readonly connection: ServerConnection | undefined;
}

/** Called per packet instead of the delivery; calls `send` zero or more times. Must not mutate `packet` (other clients get it too). */
export type PacketFilter = (packet: Buffer, send: (packet: Buffer) => void) => void;

/** Called once per delivery (SETUP); returns its filter, or undefined to leave it alone. */
export type PacketHook = (info: DeliveryInfo) => PacketFilter | undefined;

/** Chains packet hooks: the first hook's filter sends into the second's, and so on, then the delivery. */
export function chainPacketHooks(hooks: readonly PacketHook[], info: DeliveryInfo, deliver: (packet: Buffer) => void): (packet: Buffer) => void {
  let out = deliver;
  for (let i = hooks.length - 1; i >= 0; i--) {
    const filter = hooks[i](info);
    if (!filter) continue;
    const downstream = out;
    out = (packet) => filter(packet, downstream);
  }
  return out;
}
