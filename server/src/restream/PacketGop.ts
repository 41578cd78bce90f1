/**
 * The current GOP of a restreamed video track as the RTP packets its clients got: the last keyframe
 * and every frame after it. A client that starts gets it replayed before the shared packets, so its
 * decoder has a picture at once. The replay keeps each packet's sequence number (the GOP's packets
 * are the last ones of the shared stream, so the next shared packet follows without a gap) and the
 * last frame's timestamp; the frames before it are squeezed REPLAY_SPACING_MS apart, so a player
 * decodes them back to back and is at the live edge from its first picture instead of a whole GOP
 * behind for good (the WebRTC viewers' replay is paced 1 ms apart too). A millisecond rather
 * than a tick: NVRs remux into containers that count in milliseconds (Matroska), where frames one
 * tick apart would share a timestamp. Pure.
 */

/** Between replayed frames: a 100-frame GOP costs the player 100 ms of latency, once. */
export const REPLAY_SPACING_MS = 1;

/** Fewer bytes than the RTSP server lets a slow client hold unsent (4 MiB): a replay never gets a client dropped. */
export const MAX_REPLAY_BYTES = 2 * 1024 * 1024;
/** Frames kept at most (10 s at 30 fps), as the camera's own GOP cache. */
export const MAX_REPLAY_FRAMES = 300;

interface GopFrame {
  readonly timestamp: number;
  readonly packets: readonly Buffer[];
}

/** What a client starting now gets first, and the RTP-Info of its first packet. */
export interface Replay {
  readonly packets: Buffer[];
  readonly seq: number;
  readonly rtptime: number;
}

export class PacketGop {
  #frames: GopFrame[] = [];
  #bytes = 0;
  /** performance.now() of the keyframe that started the GOP. */
  #startedAt = 0;

  /** One frame's packets as sent, in order; a keyframe starts a new GOP. A frame without a GOP to join is dropped. */
  push(packets: readonly Buffer[], timestamp: number, keyframe: boolean, now: number): void {
    if (keyframe) {
      this.clear();
      this.#startedAt = now;
    } else if (this.#frames.length === 0) {
      return;
    }
    let size = 0;
    for (const p of packets) size += p.length;
    if (this.#frames.length >= MAX_REPLAY_FRAMES || this.#bytes + size > MAX_REPLAY_BYTES) {
      // Too long to replay: clients wait for the next keyframe instead.
      this.clear();
      return;
    }
    this.#frames.push({ timestamp, packets });
    this.#bytes += size;
  }

  get frames(): number {
    return this.#frames.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** When the GOP's keyframe went out (performance.now()); 0 without a GOP. */
  get startedAt(): number {
    return this.#frames.length ? this.#startedAt : 0;
  }

  /**
   * The replay for a client starting now, or undefined without a GOP. The packets of every frame
   * but the last are copies with their timestamp rewritten (`clockRate`: the track's); the last
   * frame's are the shared ones.
   */
  replay(clockRate: number): Replay | undefined {
    const frames = this.#frames;
    const spacing = Math.max(1, Math.round((clockRate * REPLAY_SPACING_MS) / 1000));
    if (frames.length === 0) return undefined;
    const last = frames.length - 1;
    const lastTimestamp = frames[last].timestamp;
    const packets: Buffer[] = [];
    frames.forEach((frame, i) => {
      if (i === last) {
        packets.push(...frame.packets);
        return;
      }
      const timestamp = (lastTimestamp - (last - i) * spacing) >>> 0;
      for (const p of frame.packets) {
        const copy = Buffer.from(p);
        copy.writeUInt32BE(timestamp, 4);
        packets.push(copy);
      }
    });
    return { packets, seq: packets[0].readUInt16BE(2), rtptime: packets[0].readUInt32BE(4) };
  }

  clear(): void {
    this.#frames = [];
    this.#bytes = 0;
    this.#startedAt = 0;
  }
}
