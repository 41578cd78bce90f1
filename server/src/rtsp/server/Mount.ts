/**
 * What an RtspServer serves at a path: a mount is a set of tracks, each a live RTP elementary stream
 * that any number of client sessions may play. The server owns the clients (sockets, sessions,
 * transports); the mount owns the media. The demo camera mounts its clip and tone; a restream
 * mounts a camera's feed.
 */

/** How a track is described in the SDP of a DESCRIBE answer. */
export interface TrackMedia {
  readonly kind: 'video' | 'audio';
  /** Encoding name as in an SDP rtpmap, upper-case: H264, PCMA, PCMU. */
  readonly codec: string;
  readonly clockRate: number;
  readonly payloadType: number;
  readonly channels?: number;
  /** fmtp parameters (without the payload type), e.g. "packetization-mode=1;profile-level-id=...". */
  readonly fmtp?: string;
}

/**
 * One track of a mount. The server attaches one 'packet' listener while at least one client session
 * plays the track and fans each packet out to every such session in the same tick; listeners must
 * not mutate the packet (it goes to every client).
 */
export interface MountTrack {
  readonly media: TrackMedia;
  /** Complete RTP packets (header + payload). */
  on(event: 'packet', listener: (rtp: Buffer) => void): unknown;
  off(event: 'packet', listener: (rtp: Buffer) => void): unknown;
  /** SSRC announced in the SETUP answer and matched against RTCP feedback, when the track has one fixed. */
  readonly ssrc?: number;
  /** Sequence number of the next packet, for the RTP-Info header of a PLAY answer. */
  readonly nextSequenceNumber?: number;
  /** RTP timestamp of the next packet, for RTP-Info `rtptime`. */
  readonly currentTimestamp?: number;
  /** A client asked for a keyframe (RTCP PLI or FIR). The track decides whether and how often to honour it. */
  requestKeyframe?(): void;
  /**
   * A client session is about to play the track (PLAY): what it gets before, or instead of, the
   * shared packets. Called while the PLAY answer is built; the answer's RTP-Info and the start of
   * delivery happen in the same tick, so no packet goes out in between. Without it, a client gets
   * the shared packets from the next one on. `pausedAt`: the session is resumed after a PAUSE at
   * this time (performance.now()), having had the shared packets until then.
   */
  join?(pausedAt?: number): TrackJoin;
}

/** How one client starts on a track (MountTrack.join). */
export interface TrackJoin {
  /**
   * RTCP sent to this client before any packet (a sender report: the client places the stream on the
   * wall clock, and beside the mount's other tracks, from its first packet on).
   */
  readonly report?: Buffer;
  /** Sent to this client only, in order, before the shared packets (a cached GOP, keyframe first). */
  readonly first?: readonly Buffer[];
  /** Shared packets are dropped for this client until one passes (the start of the next keyframe). */
  readonly startsAt?: (packet: Buffer) => boolean;
  /** RTP-Info of the first packet this client gets, when the track knows it (else its next packet's). */
  readonly seq?: number;
  readonly rtptime?: number;
}

export interface Mount {
  /** In order: track i is set up at `<path>/trackID=<i>`. */
  readonly tracks: readonly MountTrack[];
  /** The SDP `s=` line (default "camrtc"). */
  readonly sessionName?: string;
  /**
   * Called before DESCRIBE and SETUP are answered: a mount that must first reach its camera to know
   * its tracks waits here. A rejection answers 503 Service Unavailable. Keep it bounded in time: the
   * client's later requests on the same connection wait for this one.
   */
  prepare?(): Promise<void>;
}

/** The control attribute of track `index`, relative to the mount's Content-Base. */
export function trackControl(index: number): string {
  return `trackID=${index}`;
}

/** Index of the track a control path names (`trackID=N`), or undefined. */
export function trackIndexOfControl(control: string): number | undefined {
  const m = /^trackID=(\d{1,3})$/.exec(control);
  return m ? Number(m[1]) : undefined;
}

/**
 * The session description of a DESCRIBE answer: one media section per track, controls relative to
 * the Content-Base (`trackID=N`) like most IP cameras.
 */
export function buildMountSdp(tracks: readonly Pick<MountTrack, 'media'>[], options: { host: string; sessionId: string; sessionName?: string }): string {
  const ipVersion = options.host.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${options.sessionId} 1 IN ${ipVersion} ${options.host}`,
    `s=${(options.sessionName ?? 'camrtc').replace(/[\r\n]/g, ' ')}`,
    `c=IN ${ipVersion} ${ipVersion === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=tool:camrtc',
    'a=type:broadcast',
    'a=control:*',
    'a=range:npt=now-',
  ];
  tracks.forEach((t, i) => {
    const m = t.media;
    const channels = m.kind === 'audio' && m.channels ? `/${m.channels}` : '';
    lines.push(`m=${m.kind} 0 RTP/AVP ${m.payloadType}`, `a=rtpmap:${m.payloadType} ${m.codec}/${m.clockRate}${channels}`);
    if (m.fmtp) lines.push(`a=fmtp:${m.payloadType} ${m.fmtp}`);
    lines.push(`a=control:${trackControl(i)}`, 'a=recvonly');
  });
  return lines.join('\r\n') + '\r\n';
}
