/**
 * Every viewer session of the server, whatever its transport, for the control API: which sessions
 * watch a camera, from where, since when, and how their media is doing; and "disconnect this one".
 * The transports (signaling/ClientConnection.ts, whep/WhepEndpoint.ts) register each session they
 * start; a session leaves on its own `ended` event. Ids are the directory's own: a WebSocket
 * session's id is only unique on its socket, and a WHEP session's id is the capability to its
 * session URL, which must not be shown to anyone else. /metrics reads the same directory.
 */
import { randomBytes } from 'node:crypto';
import { CamrtcError } from '../errors.js';
import { stripMappedV4 } from '../util/ipAddress.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { ViewerSession } from './ViewerSession.js';

export type ViewerDirectoryEvents = {
  /** A session was registered (before it starts: its peer connection may still fail). */
  added: [ViewerEntry];
  /** The session ended and left the directory; its viewer's stats are final (metrics add them up). */
  ended: [ViewerSession, ViewerEntry];
  listenererror: [string, unknown];
};

export type ViewerTransport = 'ws' | 'whep';

export interface ViewerEntry {
  /** 16 hex characters, unique in this server's life. */
  readonly id: string;
  readonly session: ViewerSession;
  readonly transport: ViewerTransport;
  /** The client's address as the server's socket sees it (a reverse proxy's, behind one). */
  readonly address: string | undefined;
  /** Date.now() when the session started. */
  readonly startedAt: number;
}

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

  /** Sessions watching or connecting, whatever their camera. */
  get size(): number {
    return this.#entries.size;
  }

  /** Every session in the directory. */
  *[Symbol.iterator](): IterableIterator<ViewerSession> {
    for (const entry of this.#entries.values()) yield entry.session;
  }

  /** Registers a session (call before session.start()); it leaves the directory when it ends. */
  add(session: ViewerSession, transport: ViewerTransport, address: string | undefined): ViewerEntry {
    const shown = stripMappedV4(address);
    const entry: ViewerEntry = { id: randomBytes(8).toString('hex'), session, transport, address: shown, startedAt: this.#now() };
    this.#entries.set(entry.id, entry);
    session.once('ended', () => {
      if (this.#entries.delete(entry.id)) this.safeEmit('ended', session, entry);
    });
    this.safeEmit('added', entry);
    return entry;
  }

  /** The live sessions of camera `name`, oldest first. */
  forCamera(name: string): ViewerEntry[] {
    return [...this.#entries.values()].filter((e) => e.session.camera.name === name && !e.session.closed);
  }

  count(name: string): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.session.camera.name === name && !e.session.closed) n++;
    return n;
  }

  get(id: string): ViewerEntry | undefined {
    return this.#entries.get(id);
  }

  /** Ends one viewer's session: its client reads ERR_VIEWER_DISCONNECTED (the player does not retry). */
  async disconnect(entry: ViewerEntry): Promise<void> {
    await entry.session.fail(new CamrtcError('ERR_VIEWER_DISCONNECTED', 'an administrator disconnected this viewer'));
  }

  async describe(entry: ViewerEntry): Promise<ViewerDescription> {
    const viewer = entry.session.viewer;
    const stats = entry.session.stats();
    const network = viewer ? await viewer.networkStats().catch(() => undefined) : undefined;
    return {
      id: entry.id,
      transport: entry.transport,
      address: entry.address ?? null,
      startedAt: new Date(entry.startedAt).toISOString(),
      durationSeconds: Math.max(0, Math.round((this.#now() - entry.startedAt) / 100) / 10),
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
}
