/**
 * One mount track's packets to every client session playing it, in the same tick (invariant 2). The
 * track gets one 'packet' listener, and only while someone plays it: nobody watching, it builds no
 * packets. A sink may be added several times (every session of a multicast track shares one sink,
 * so the group gets each packet once); it stays until removed as many times.
 */
import type { MountTrack } from './Mount.js';

export type PacketSink = (packet: Buffer) => void;

export class TrackFanOut {
  private readonly refs = new Map<PacketSink, number>();
  /** Replaced, never mutated, on change: a sink that removes itself mid-packet (a slow client dropped) is safe. */
  private sinks: readonly PacketSink[] = [];
  private attached = false;

  constructor(
    readonly track: MountTrack,
    /** A sink threw (a bug in a packet hook): reported, and the other sinks still get the packet. */
    private readonly onSinkError: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.sinks.length;
  }

  add(sink: PacketSink): void {
    const n = this.refs.get(sink) ?? 0;
    this.refs.set(sink, n + 1);
    if (n > 0) return;
    this.sinks = [...this.sinks, sink];
    if (!this.attached) {
      this.attached = true;
      this.track.on('packet', this.onPacket);
    }
  }

  remove(sink: PacketSink): void {
    const n = this.refs.get(sink);
    if (n === undefined) return;
    if (n > 1) {
      this.refs.set(sink, n - 1);
      return;
    }
    this.refs.delete(sink);
    this.sinks = this.sinks.filter((s) => s !== sink);
    if (this.sinks.length === 0) this.detach();
  }

  close(): void {
    this.refs.clear();
    this.sinks = [];
    this.detach();
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.track.off('packet', this.onPacket);
  }

  private readonly onPacket = (packet: Buffer): void => {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) {
      try {
        sinks[i](packet);
      } catch (err) {
        this.onSinkError(err);
      }
    }
  };
}

/** The fan-outs of every track in use, created on first use and dropped when empty. */
export class FanOutRegistry {
  private readonly byTrack = new Map<MountTrack, TrackFanOut>();

  constructor(private readonly onSinkError: (err: unknown) => void) {}

  add(track: MountTrack, sink: PacketSink): void {
    let f = this.byTrack.get(track);
    if (!f) this.byTrack.set(track, (f = new TrackFanOut(track, this.onSinkError)));
    f.add(sink);
  }

  remove(track: MountTrack, sink: PacketSink): void {
    const f = this.byTrack.get(track);
    if (!f) return;
    f.remove(sink);
    if (f.size === 0) this.byTrack.delete(track);
  }

  /** Clients playing `track` (a multicast group counts once). */
  listeners(track: MountTrack): number {
    return this.byTrack.get(track)?.size ?? 0;
  }

  close(): void {
    for (const f of this.byTrack.values()) f.close();
    this.byTrack.clear();
  }
}
