/**
 * One client's RTSP session (RFC 2326 §3.4): the tracks it set up and how each reaches it, whether
 * it plays, and its timeout. Created by the first SETUP, gone at TEARDOWN, at the timeout (no request
 * and no RTCP for `timeoutS`) or when its connection closes. Pausing stops this client's packets only.
 */
import { TypedEmitter } from '../../util/TypedEmitter.js';
import type { Mount, MountTrack, TrackJoin } from './Mount.js';
import type { ServerConnection } from './ServerConnection.js';
import { InterleavedDelivery, type Delivery } from './ServerTransport.js';
import type { PacketSink } from './TrackFanOut.js';

export type ServerSessionState = 'ready' | 'playing' | 'closed';

/** Why a session ended: the client said so, went silent, went away; or the server took the mount or itself down, or the session away (`revoked`: an administrator). */
export type SessionCloseReason = 'teardown' | 'timeout' | 'disconnected' | 'unmounted' | 'server-closed' | 'revoked';

/** What a session sent its client, over every track it set up (one set up again counts on). */
export interface SessionSent {
  readonly packets: number;
  /** RTP bytes, header and payload. */
  readonly bytes: number;
  /** Video frames (packets with the marker bit) and audio packets. */
  readonly frames: number;
}

export interface SessionTrack {
  readonly index: number;
  readonly track: MountTrack;
  readonly delivery: Delivery;
  /** What the track's fan-out calls while the session plays: the delivery, through the packet hook if any. */
  readonly sink: PacketSink;
}

export type ServerSessionEvents = {
  play: [];
  pause: [];
  close: [reason: SessionCloseReason];
};

/** Where a playing session's sinks are attached (the server's fan-out registry). */
export interface SinkRegistry {
  add(track: MountTrack, sink: PacketSink): void;
  remove(track: MountTrack, sink: PacketSink): void;
}

export interface ServerSessionInit {
  readonly id: string;
  readonly connection: ServerConnection;
  readonly mountPath: string;
  readonly mount: Mount;
  readonly timeoutS: number;
  readonly sinks: SinkRegistry;
}

export class ServerSession extends TypedEmitter<ServerSessionEvents> {
  readonly id: string;
  readonly connection: ServerConnection;
  readonly mountPath: string;
  readonly mount: Mount;
  readonly timeoutS: number;

  private readonly sinks: SinkRegistry;
  private readonly tracks = new Map<number, SessionTrack>();
  /** The sink each track's fan-out holds while playing: the track's own, or a gate on it (join). */
  private readonly attached = new Map<number, PacketSink>();
  private stateValue: ServerSessionState = 'ready';
  /** What deliveries replaced by a new SETUP of their track had sent. */
  private sentBefore: SessionSent = { packets: 0, bytes: 0, frames: 0 };
  private pausedAtValue: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(init: ServerSessionInit) {
    super();
    this.id = init.id;
    this.connection = init.connection;
    this.mountPath = init.mountPath;
    this.mount = init.mount;
    this.timeoutS = init.timeoutS;
    this.sinks = init.sinks;
    this.timer = setTimeout(() => this.close('timeout'), init.timeoutS * 1000);
    this.timer.unref();
  }

  get state(): ServerSessionState {
    return this.stateValue;
  }

  get closed(): boolean {
    return this.stateValue === 'closed';
  }

  /** When the client last paused (performance.now()); undefined before its first PAUSE. */
  get pausedAt(): number | undefined {
    return this.pausedAtValue;
  }

  /** The tracks set up, by index. */
  get setUp(): readonly SessionTrack[] {
    return [...this.tracks.values()].sort((a, b) => a.index - b.index);
  }

  /** What this session sent its client so far. */
  get sent(): SessionSent {
    let sent = this.sentBefore;
    for (const t of this.tracks.values()) sent = this.sentBy(t, sent);
    return sent;
  }

  trackAt(index: number): SessionTrack | undefined {
    return this.tracks.get(index);
  }

  /** Sets up (or sets up again, with another transport) one track. While playing, it plays at once. */
  setTrack(t: SessionTrack): void {
    if (this.closed) return;
    const previous = this.tracks.get(t.index);
    if (previous) {
      this.release(previous);
      this.sentBefore = this.sentBy(previous, this.sentBefore);
    }
    this.tracks.set(t.index, t);
    if (t.delivery instanceof InterleavedDelivery) {
      for (const channel of t.delivery.channels) this.connection.channels.set(channel, { sessionId: this.id, trackIndex: t.index });
    }
    if (this.stateValue === 'playing') this.attach(t, undefined);
  }

  /**
   * Starts (or resumes) this client's packets, from the next one each track sends, or as each
   * track's join says (`joins` by track index: a replay first, or a wait for a keyframe). Idempotent.
   */
  play(joins?: ReadonlyMap<number, TrackJoin | undefined>): void {
    if (this.stateValue !== 'ready') return;
    this.stateValue = 'playing';
    for (const t of this.tracks.values()) this.attach(t, joins?.get(t.index));
    this.safeEmit('play');
  }

  /** Stops this client's packets; other clients are not affected. Idempotent. */
  pause(): void {
    if (this.stateValue !== 'playing') return;
    this.stateValue = 'ready';
    this.pausedAtValue = performance.now();
    for (const t of this.tracks.values()) this.detach(t);
    this.safeEmit('pause');
  }

  /** The client is alive (a request or RTCP naming this session): the timeout starts over. */
  touch(): void {
    if (!this.closed) this.timer.refresh();
  }

  /** Sends one RTP packet to this client on a track it set up, outside the fan-out (a per-client stream). */
  sendRtp(index: number, packet: Buffer): void {
    if (!this.closed) this.tracks.get(index)?.delivery.sendRtp(packet);
  }

  /** Sends RTCP (a sender report, a BYE) to this client on a track it set up. */
  sendRtcp(index: number, packet: Buffer): void {
    if (!this.closed) this.tracks.get(index)?.delivery.sendRtcp(packet);
  }

  /** Ends the session: no more packets, channels freed. Idempotent; the server forgets it on 'close'. */
  close(reason: SessionCloseReason): void {
    if (this.closed) return;
    const wasPlaying = this.stateValue === 'playing';
    this.stateValue = 'closed';
    clearTimeout(this.timer);
    for (const t of this.tracks.values()) {
      if (wasPlaying) this.detach(t);
      this.freeChannels(t);
    }
    // Final: what it sent stays readable after the close (the viewer list's totals).
    this.sentBefore = this.sent;
    this.tracks.clear();
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }

  private sentBy(t: SessionTrack, before: SessionSent): SessionSent {
    const s = t.delivery.sent;
    return { packets: before.packets + s.packets, bytes: before.bytes + s.bytes, frames: before.frames + (t.track.media.kind === 'video' ? s.marked : s.packets) };
  }

  private release(t: SessionTrack): void {
    if (this.stateValue === 'playing') this.detach(t);
    this.freeChannels(t);
  }

  private attach(t: SessionTrack, given: TrackJoin | undefined): void {
    // A multicast group shares one sink and one stream: no client of it starts its own way.
    const join = t.delivery.kind === 'multicast' ? undefined : given;
    if (join?.report) t.delivery.sendRtcp(join.report);
    // The replay goes through the track's sink (packet hooks included), before any shared packet.
    if (join?.first) for (const packet of join.first) t.sink(packet);
    const sink = join?.startsAt ? gated(t.sink, join.startsAt) : t.sink;
    this.attached.set(t.index, sink);
    this.sinks.add(t.track, sink);
  }

  private detach(t: SessionTrack): void {
    const sink = this.attached.get(t.index) ?? t.sink;
    this.attached.delete(t.index);
    this.sinks.remove(t.track, sink);
  }

  private freeChannels(t: SessionTrack): void {
    if (!(t.delivery instanceof InterleavedDelivery)) return;
    for (const channel of t.delivery.channels) {
      if (this.connection.channels.get(channel)?.sessionId === this.id) this.connection.channels.delete(channel);
    }
  }
}

/** `sink` from the first packet that passes `startsAt` on (a client waiting for a keyframe). */
function gated(sink: PacketSink, startsAt: (packet: Buffer) => boolean): PacketSink {
  let open = false;
  return (packet) => {
    if (!open) {
      if (!startsAt(packet)) return;
      open = true;
    }
    sink(packet);
  };
}
