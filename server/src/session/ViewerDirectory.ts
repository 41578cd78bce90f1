/**
 * Every viewer of the server, whatever its transport, for the control API: which sessions watch a
 * camera, from where, since when, and how their media is doing; and "disconnect this one". The
 * WebRTC transports (signaling/ClientConnection.ts, whep/WhepEndpoint.ts) register each session they
 * start; the RTSP restream each client session (restream/RestreamViewer.ts, a `StreamClient`). An
 * entry leaves when its session ends. Ids are the directory's own: a WebSocket session's id is only
 * unique on its socket, a WHEP session's id is the capability to its session URL, and an RTSP
 * session id lets its holder tear the session down: none may be shown to anyone else. /metrics
 * reads the same directory.
 */
import { randomBytes } from 'node:crypto';
import { CamrtcError } from '../errors.js';
import { stripMappedV4 } from '../util/ipAddress.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { ViewerSession } from './ViewerSession.js';
import type { PlaybackState } from '../../../shared/protocol.js';

export type ViewerDirectoryEvents = {
  /** A viewer was registered (before it starts: its peer connection may still fail). */
  added: [ViewerEntry];
  /** The viewer ended and left the directory; its stats are final (metrics add them up). */
  ended: [ViewerEntry];
  listenererror: [string, unknown];
};

/** `ws` and `whep`: WebRTC sessions (ViewerSession); `rtsp`: a client of the RTSP restream. */
export type ViewerTransport = 'ws' | 'whep' | 'rtsp';

/** What a viewer that is not a WebRTC session tells and offers the directory (an RTSP restream client). */
export interface StreamClient {
  /** The camera's name. */
  readonly camera: string;
  readonly closed: boolean;
  /** The list's figures, as for a WebRTC viewer (what the client reported in RTCP, or null). */
  stats(): StreamClientStats;
  /** RTP packets and bytes (header and payload) sent so far, final once closed (/metrics). */
  sent(): { packets: number; bytes: number };
  /** Ends it (its session, and its connection unless that holds another). */
  disconnect(): void;
  /** Calls `listener` once when it ends. */
  onEnded(listener: () => void): void;
}

export interface StreamClientStats {
  /** 'connected' while its session lasts, then 'closed'. */
  connection: string;
  playback: PlaybackState;
  /** RTP payload bytes. */
  bytesSent: number;
  packetsSent: number;
  framesSent: number;
  packetsLost: number | null;
  fractionLost: number | null;
  rttMs: number | null;
}

interface EntryBase {
  /** 16 hex characters, unique in this server's life. */
  readonly id: string;
  /** The camera's name. */
  readonly camera: string;
  /** The client's address as the server's socket sees it (a reverse proxy's, behind one). */
  readonly address: string | undefined;
  /** Date.now() when the session started. */
  readonly startedAt: number;
}

export interface SessionEntry extends EntryBase {
  readonly transport: 'ws' | 'whep';
  readonly session: ViewerSession;
}

export interface StreamClientEntry extends EntryBase {
  readonly transport: 'rtsp';
  readonly client: StreamClient;
}

export type ViewerEntry = SessionEntry | StreamClientEntry;

/** One viewer as GET /api/cameras/NAME/viewers tells it. */
export interface ViewerDescription {
  id: string;
  transport: ViewerTransport;
  address: string | null;
  /** ISO time the session started, and seconds since. */
  startedAt: string;
  durationSeconds: number;
  /** The peer connection: new, connecting, connected, disconnected, failed, closed. */
  connection: string;
  playback: string;
  /** The camera stream the viewer gets: main, or sub (a camera with a `substream`). */
  stream: string;
  bytesSent: number;
  packetsSent: number;
  framesSent: number;
  /** From the viewer's RTCP receiver reports, once one arrived (null before). */
  packetsLost: number | null;
  fractionLost: number | null;
  rttMs: number | null;
}

export class ViewerDirectory extends TypedEmitter<ViewerDirectoryEvents> {
  readonly #entries = new Map<string, ViewerEntry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    super();
    this.#now = now;
  }

  /** Viewers watching or connecting, whatever their camera and transport. */
  get size(): number {
    return this.#entries.size;
  }

  /** Every WebRTC session in the directory (what their Viewers sent is in their stats). */
  *[Symbol.iterator](): IterableIterator<ViewerSession> {
    for (const entry of this.#entries.values()) if (entry.transport !== 'rtsp') yield entry.session;
  }

  /** Every viewer in the directory, oldest first. */
  entries(): IterableIterator<ViewerEntry> {
    return this.#entries.values();
  }

  /** Registers a WebRTC session (call before session.start()); it leaves the directory when it ends. */
  add(session: ViewerSession, transport: 'ws' | 'whep', address: string | undefined): ViewerEntry {
    const entry: SessionEntry = { id: this.#newId(), camera: session.camera.name, session, transport, address: stripMappedV4(address), startedAt: this.#now() };
    this.#register(entry);
    session.once('ended', () => this.#ended(entry));
    return entry;
  }

  /** Registers a client of another transport (an RTSP restream session); it leaves when it ends. */
  addClient(client: StreamClient, transport: 'rtsp', address: string | undefined): ViewerEntry {
    const entry: StreamClientEntry = { id: this.#newId(), camera: client.camera, client, transport, address: stripMappedV4(address), startedAt: this.#now() };
    this.#register(entry);
    client.onEnded(() => this.#ended(entry));
    return entry;
  }

  /** The live viewers of camera `name`, oldest first. */
  forCamera(name: string): ViewerEntry[] {
    return [...this.#entries.values()].filter((e) => e.camera === name && !isClosed(e));
  }

  count(name: string): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.camera === name && !isClosed(e)) n++;
    return n;
  }

  get(id: string): ViewerEntry | undefined {
    return this.#entries.get(id);
  }

  /** Whether the viewer ended (it leaves the directory soon after). */
  closed(entry: ViewerEntry): boolean {
    return isClosed(entry);
  }

  /**
   * Ends one viewer: a WebRTC client reads ERR_VIEWER_DISCONNECTED (the player does not retry); an
   * RTSP client's session and connection end (an NVR may well connect again: to keep it out, take its
   * permission or token away).
   */
  async disconnect(entry: ViewerEntry): Promise<void> {
    if (entry.transport === 'rtsp') {
      entry.client.disconnect();
      return;
    }
    await entry.session.fail(new CamrtcError('ERR_VIEWER_DISCONNECTED', 'an administrator disconnected this viewer'));
  }

  async describe(entry: ViewerEntry): Promise<ViewerDescription> {
    const base = {
      id: entry.id,
      transport: entry.transport,
      address: entry.address ?? null,
      startedAt: new Date(entry.startedAt).toISOString(),
      durationSeconds: Math.max(0, Math.round((this.#now() - entry.startedAt) / 100) / 10),
    };
    // The restream serves the camera's main stream.
    if (entry.transport === 'rtsp') return { ...base, stream: 'main', ...entry.client.stats() };
    const viewer = entry.session.viewer;
    const stats = entry.session.stats();
    const network = viewer ? await viewer.networkStats().catch(() => undefined) : undefined;
    return {
      ...base,
      connection: stats.stats.connection,
      playback: stats.playback,
      stream: entry.session.stream,
      bytesSent: network?.bytesSent ?? 0,
      packetsSent: network?.packetsSent ?? stats.stats.packetsSent,
      framesSent: stats.stats.framesSent,
      packetsLost: network?.packetsLost ?? null,
      fractionLost: network?.fractionLost ?? null,
      rttMs: network?.rttMs ?? null,
    };
  }

  #newId(): string {
    return randomBytes(8).toString('hex');
  }

  #register(entry: ViewerEntry): void {
    this.#entries.set(entry.id, entry);
    this.safeEmit('added', entry);
  }

  #ended(entry: ViewerEntry): void {
    if (this.#entries.delete(entry.id)) this.safeEmit('ended', entry);
  }
}

function isClosed(entry: ViewerEntry): boolean {
  return entry.transport === 'rtsp' ? entry.client.closed : entry.session.closed;
}
