/**
 * The ways a test camera misbehaves on purpose, as RtspServer hooks: request hooks for the RTSP
 * conversation, packet hooks for the media. Each reads the faults object on every call, so a test
 * may change a fault while clients are connected (a camera that goes silent mid-stream).
 */
import { RtspHeaders, serializeInterleaved } from '../../server/src/rtsp/message.js';
import { PUBLIC_METHODS } from '../../server/src/rtsp/server/MethodHandler.js';
import type { ServerAuth } from '../../server/src/rtsp/server/ServerAuth.js';
import type { PacketHook, RequestHook } from '../../server/src/rtsp/server/ServerHooks.js';
import { response } from '../../server/src/rtsp/server/ServerResponse.js';
import type { ServerSession } from '../../server/src/rtsp/server/ServerSession.js';

export interface CameraFaults {
  /** Answer PAUSE with 405 Method Not Allowed (many cameras do) instead of pausing. */
  refusePause?: boolean;
  /** Methods the camera never answers (the request is still logged), e.g. ['GET_PARAMETER']. */
  neverAnswer?: string[];
  /** Stray bytes before every answer, as some cameras send between messages. */
  garbage?: boolean;
  /** Answer every request with bytes that are not RTSP at all (a broken firmware, a wrong service). */
  garbageOnly?: boolean;
  /** Answer DESCRIBE with 302 to another path of this camera, forever (a redirect loop). */
  redirectLoop?: boolean;
  /** Answer 401 to every request but OPTIONS, whatever the credentials (a 401 loop). */
  alwaysUnauthorized?: boolean;
  /**
   * Over TCP, after this many media packets to a session: write the head of an interleaved frame and
   * half its packet, then close the connection (a camera cut off in the middle of a write).
   */
  truncateInterleavedAfter?: number;
  /** Over UDP, swap every two consecutive media packets (a network that reorders). */
  reorderUdp?: boolean;
  /** Answer PLAY, then never send a packet (an encoder that hung). */
  silent?: boolean;
  /**
   * Every RTP packet malformed: cut to 8 bytes, shorter than an RTP header ('short'), or with RTP
   * version 1 ('version'); true alternates the two.
   */
  badRtp?: boolean | 'short' | 'version';
  /** H.264 tracks: every packet goes out as an FU-A fragment without the start bit, so no NAL unit can be rebuilt. */
  fuaWithoutStart?: boolean;
  /** A new SSRC on every packet. */
  ssrcPerPacket?: boolean;
}

/** Bytes the `garbage` fault puts before every answer: neither '$' nor an upper-case letter. */
export const GARBAGE = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x7f, 0x0d, 0x0a]);
/** What the `garbageOnly` fault answers: binary noise, then a line that is no RTSP start line. */
export const GARBAGE_ANSWER = Buffer.concat([Buffer.from([0x00, 0xff, 0x10, 0x7f, 0x0d, 0x0a]), Buffer.from('BZZT \u00ff\u00fe garbage\r\n\r\n', 'latin1')]);

/** Before authentication: faults that do not depend on who asks (silence, noise). */
export function transportFaultHook(faults: CameraFaults): RequestHook {
  return async (req, ctx, next) => {
    if (faults.neverAnswer?.includes(req.method)) return null;
    if (faults.garbageOnly) {
      ctx.connection.write(GARBAGE_ANSWER);
      return null;
    }
    if (!faults.garbage) return undefined;
    const res = await next();
    if (res) ctx.connection.write(GARBAGE);
    return res;
  };
}

/** In place of authentication: the 401 loop. */
export function unauthorizedHook(faults: CameraFaults, auth: ServerAuth | undefined): RequestHook {
  return (req) => {
    if (!faults.alwaysUnauthorized || req.method === 'OPTIONS') return undefined;
    return response(401, { 'WWW-Authenticate': auth?.challenge() ?? 'Basic realm="camrtc-demo"' });
  };
}

/** After authentication: faults of a camera that let the client in. */
export function methodFaultHook(faults: CameraFaults, mountPath: string): RequestHook {
  return (req, ctx) => {
    if (faults.redirectLoop && req.method === 'DESCRIBE') {
      // Back and forth between two paths of this camera: a client must give up, not spin.
      const other = ctx.path === mountPath ? `${mountPath}-moved` : mountPath;
      return response(302, { Location: `${ctx.baseUrl}${other}` });
    }
    if (faults.refusePause && req.method === 'PAUSE') {
      return { status: 405, headers: new RtspHeaders({ Allow: PUBLIC_METHODS.filter((m) => m !== 'PAUSE').join(', ') }) };
    }
    return undefined;
  };
}

/** The media faults, one filter per delivery. */
export function packetFaultHook(faults: CameraFaults): PacketHook {
  const tcpPackets = new WeakMap<ServerSession, number>();
  let badCount = 0;
  let ssrc = 0x5eed0000;
  return (info) => {
    const h264 = info.track.media.codec.toUpperCase() === 'H264';
    let held: Buffer | undefined;
    return (packet, send) => {
      if (faults.silent) return;
      let out = packet;
      if (faults.fuaWithoutStart && h264) out = asFuaWithoutStart(out);
      if (faults.ssrcPerPacket) {
        if (out === packet) out = Buffer.from(packet);
        out.writeUInt32BE((ssrc = (ssrc + 1) >>> 0), 8);
      }
      if (faults.badRtp) {
        const mode = faults.badRtp === true ? (badCount++ % 2 === 0 ? 'short' : 'version') : faults.badRtp;
        if (mode === 'short') out = Buffer.from(out.subarray(0, 8));
        else {
          if (out === packet) out = Buffer.from(packet);
          out[0] = (out[0] & 0x3f) | 0x40;
        }
      }
      const truncateAfter = faults.truncateInterleavedAfter;
      if (info.kind === 'tcp' && truncateAfter !== undefined && info.session && info.connection) {
        const n = (tcpPackets.get(info.session) ?? 0) + 1;
        tcpPackets.set(info.session, n);
        if (n > truncateAfter) {
          const frame = serializeInterleaved(info.transport.interleaved![0], out);
          info.connection.write(frame.subarray(0, 4 + (out.length >> 1)));
          info.connection.end();
          return;
        }
      }
      if (info.kind === 'udp' && faults.reorderUdp) {
        if (!held) {
          held = out;
          return;
        }
        send(out);
        send(held);
        held = undefined;
        return;
      }
      send(out);
    };
  };
}

/**
 * The packet as an FU-A fragment (RFC 6184 §5.8) with the start bit clear: an FU-A keeps its
 * payload with S cleared; any other packet (one NAL unit, a STAP-A) becomes the last fragment of a
 * NAL unit whose start never came.
 */
export function asFuaWithoutStart(packet: Buffer): Buffer {
  if (packet.length < 14) return packet;
  const nal = packet[12];
  const type = nal & 0x1f;
  if (type === 28) {
    const out = Buffer.from(packet);
    out[13] &= 0x7f;
    return out;
  }
  const out = Buffer.allocUnsafe(packet.length + 1);
  packet.copy(out, 0, 0, 12);
  out[12] = (nal & 0xe0) | 28;
  out[13] = 0x40 | type;
  packet.copy(out, 14, 13);
  return out;
}
