/**
 * A tolerant reader of the SDP a camera returns to DESCRIBE. Written by hand rather than over
 * sdp-transform: real cameras send SDPs that no grammar accepts (no v= line, `c=IN` with no
 * address, `o=` with spaces in the user name, `m=application/TP-LINK 0 RTP/AVP smart/1/90000`,
 * fmtp lines in the wrong section) and camrtc needs only the media sections, their formats,
 * a=control and the direction. Everything else is skipped, never an error. Pure: string in, tracks
 * or a CamrtcError out.
 */
import { CamrtcError } from '../errors.js';
import { resolveControl, normalizeBaseUrl } from './controlUrl.js';
import { parseFmtp } from './fmtp.js';
import { STATIC_PAYLOAD_TYPES, isDynamicPayloadType } from './staticPayloadTypes.js';
import { FORWARDABLE_CODECS, type Track, type TrackFormat, type TrackKind } from './Track.js';

/** A DESCRIBE body is at most 128 KiB (rtsp/message.ts MAX_BODY_BYTES); an SDP longer than that is not one. */
export const MAX_SDP_LENGTH = 128 * 1024;
/** Real cameras have up to five media sections; more than this is garbage or an attack. */
export const MAX_MEDIA_SECTIONS = 64;
/** Formats of one m= line beyond this are ignored. */
export const MAX_FORMATS_PER_MEDIA = 32;

export type Direction = Track['direction'];

export interface RejectedTrack {
  /** Position of the media section in the SDP, as Track.index. */
  readonly index: number;
  readonly error: CamrtcError;
}

export interface SessionDescription {
  /** Media sections camrtc could describe, in SDP order (index = position of the m= line). */
  readonly tracks: Track[];
  readonly sessionName?: string;
  /** Media sections left out (no payload type at all, an unreadable control URL). */
  readonly rejected: RejectedTrack[];
}

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'recvonly', 'sendonly', 'inactive']);
const AAC_CODECS: ReadonlySet<string> = new Set(['MPEG4-GENERIC', 'MP4A-LATM']);

interface RtpMap {
  readonly codec: string;
  readonly clockRate: number;
  readonly channels?: number;
}

interface RawSection {
  readonly index: number;
  readonly kind: TrackKind;
  readonly formatTokens: string[];
  readonly rtpmaps: Map<number, RtpMap>;
  /** rtpmap payload types in order of appearance (for m= lines whose formats are not numbers). */
  readonly rtpmapOrder: number[];
  readonly fmtps: Map<number, Record<string, string>>;
  control?: string;
  direction?: Direction;
}

function sdpError(message: string, details: Record<string, unknown> = {}): CamrtcError {
  return new CamrtcError('ERR_PARSE_SDP', message, details);
}

function parsePayloadType(s: string): number | undefined {
  if (!/^\d{1,3}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 127 ? n : undefined;
}

/** `<pt> <encoding>/<clock>[/<channels>]`, tolerating spaces ("META /0", "H265/90000 "). */
function parseRtpMap(value: string): { pt: number; map: RtpMap } | undefined {
  const m = /^(\d{1,3})\s+(.*)$/s.exec(value.trim());
  if (!m) return undefined;
  const pt = parsePayloadType(m[1]);
  if (pt === undefined) return undefined;
  const parts = m[2].split('/').map((p) => p.trim());
  const codec = parts[0].toUpperCase();
  if (codec === '') return undefined;
  const clockRate = /^\d{1,9}$/.test(parts[1] ?? '') ? Number(parts[1]) : 0;
  const ch = /^\d{1,3}$/.test(parts[2] ?? '') ? Number(parts[2]) : undefined;
  return { pt, map: ch ? { codec, clockRate, channels: ch } : { codec, clockRate } };
}

function kindOf(mediaType: string): TrackKind {
  // m=application/TP-LINK, m=meta, m=metadata, m=text, m=vana: all data camrtc does not play.
  const t = mediaType.split('/')[0].toLowerCase();
  return t === 'video' || t === 'audio' ? t : 'application';
}

function formatOf(section: RawSection, pt: number): TrackFormat {
  const fmtp = section.fmtps.get(pt) ?? {};
  const rtpmap = section.rtpmaps.get(pt);
  if (rtpmap) {
    const channels = section.kind === 'audio' ? rtpmap.channels : undefined;
    return channels ? { payloadType: pt, codec: rtpmap.codec, clockRate: rtpmap.clockRate, channels, fmtp }
      : { payloadType: pt, codec: rtpmap.codec, clockRate: rtpmap.clockRate, fmtp };
  }
  const known = isDynamicPayloadType(pt) ? undefined : STATIC_PAYLOAD_TYPES.get(pt);
  if (known) {
    return known.channels ? { payloadType: pt, codec: known.codec, clockRate: known.clockRate, channels: known.channels, fmtp }
      : { payloadType: pt, codec: known.codec, clockRate: known.clockRate, fmtp };
  }
  return { payloadType: pt, codec: '', clockRate: 0, fmtp };
}

function payloadTypesOf(section: RawSection): number[] {
  const pts: number[] = [];
  for (const tok of section.formatTokens) {
    const pt = parsePayloadType(tok);
    if (pt !== undefined && !pts.includes(pt)) pts.push(pt);
    if (pts.length >= MAX_FORMATS_PER_MEDIA) break;
  }
  // TP-LINK / MERCURY write `smart/1/90000` where the payload type belongs: their rtpmap says it.
  if (pts.length === 0) return section.rtpmapOrder.slice(0, MAX_FORMATS_PER_MEDIA);
  return pts;
}

/** The format camrtc uses for a section listing several: the first one it can play. */
function chooseFormat(kind: TrackKind, formats: readonly TrackFormat[]): TrackFormat {
  if (kind === 'video') return formats.find((f) => f.codec === 'H264' || f.codec === 'H265') ?? formats[0];
  if (kind === 'audio') {
    return formats.find((f) => FORWARDABLE_CODECS.has(f.codec)) ?? formats.find((f) => AAC_CODECS.has(f.codec)) ?? formats[0];
  }
  return formats[0];
}

/**
 * Reads a DESCRIBE body. `baseUrl` (Content-Base, else Content-Location, else the request URL;
 * never with credentials) resolves each a=control. Returns an error only when the text is not an
 * SDP at all or breaks a limit; odd sections are skipped or listed in `rejected`.
 */
export function parseSessionDescription(sdp: string, baseUrl: string): SessionDescription | CamrtcError {
  if (typeof sdp !== 'string') return sdpError('the session description is not text');
  if (sdp.length > MAX_SDP_LENGTH) return sdpError(`the session description is longer than ${MAX_SDP_LENGTH} characters`, { limit: MAX_SDP_LENGTH });
  const base = normalizeBaseUrl(baseUrl);
  if (base instanceof CamrtcError) return base;

  let sessionName: string | undefined;
  let sessionDirection: Direction | undefined;
  let sawSdpLine = false;
  const sections: RawSection[] = [];
  const orphanFmtps: Array<{ section: RawSection; pt: number; params: Record<string, string> }> = [];

  for (const rawLine of sdp.split(/\r\n|\r|\n/)) {
    const line = rawLine.trim();
    if (line.length < 2 || line[1] !== '=' || !/[a-z]/i.test(line[0])) continue;
    sawSdpLine = true;
    const type = line[0].toLowerCase();
    const value = line.slice(2);
    const current = sections[sections.length - 1];

    if (type === 'm') {
      if (sections.length >= MAX_MEDIA_SECTIONS) {
        return sdpError(`the session description has more than ${MAX_MEDIA_SECTIONS} media sections`, { limit: MAX_MEDIA_SECTIONS });
      }
      const tokens = value.trim().split(/\s+/);
      sections.push({
        index: sections.length,
        kind: kindOf(tokens[0] ?? ''),
        formatTokens: tokens.slice(3, 3 + MAX_FORMATS_PER_MEDIA * 2),
        rtpmaps: new Map(),
        rtpmapOrder: [],
        fmtps: new Map(),
      });
      continue;
    }
    if (type === 's' && !current && sessionName === undefined) {
      const name = value.trim();
      // "s= " and "s=-" are the RFC 4566 ways of saying "no name".
      if (name !== '' && name !== '-') sessionName = name;
      continue;
    }
    if (type !== 'a') continue;

    const colon = value.indexOf(':');
    const key = (colon < 0 ? value : value.slice(0, colon)).trim().toLowerCase();
    const attr = colon < 0 ? '' : value.slice(colon + 1);
    if (DIRECTIONS.has(key)) {
      if (current) current.direction ??= key as Direction;
      else sessionDirection ??= key as Direction;
      continue;
    }
    if (!current) continue;
    if (key === 'control') {
      // Duplicate a=control lines (seen on "RtspServer" devices): the first one counts.
      current.control ??= attr.trim();
    } else if (key === 'rtpmap') {
      const r = parseRtpMap(attr);
      // Two rtpmaps for one payload type (Uniview backchannel): keep the first.
      if (r && !current.rtpmaps.has(r.pt)) {
        current.rtpmaps.set(r.pt, r.map);
        current.rtpmapOrder.push(r.pt);
      }
    } else if (key === 'fmtp') {
      const m = /^(\d{1,3})(?:\s+(.*))?$/s.exec(attr.trim());
      const pt = m ? parsePayloadType(m[1]) : undefined;
      if (m && pt !== undefined) {
        const params = parseFmtp(m[2] ?? '');
        const listed = current.formatTokens.includes(String(pt)) || (current.formatTokens.every((t) => parsePayloadType(t) === undefined) && current.rtpmaps.has(pt));
        if (listed) {
          if (!current.fmtps.has(pt)) current.fmtps.set(pt, params);
        } else {
          orphanFmtps.push({ section: current, pt, params });
        }
      }
    }
  }

  if (!sawSdpLine) return sdpError('the camera answered DESCRIBE with something that is not a session description');

  // An fmtp line in a section that does not list its payload type: the section that does list it
  // (H264 fmtp placed in the audio section), else the lone format of its own section (AAC fmtp on
  // the wrong payload type, HIK Media Server).
  for (const o of orphanFmtps) {
    const owner = sections.find((s) => s !== o.section && s.formatTokens.includes(String(o.pt)) && !s.fmtps.has(o.pt));
    if (owner) {
      owner.fmtps.set(o.pt, o.params);
      continue;
    }
    const own = payloadTypesOf(o.section);
    if (own.length === 1 && !o.section.fmtps.has(own[0])) o.section.fmtps.set(own[0], o.params);
  }

  const tracks: Track[] = [];
  const rejected: RejectedTrack[] = [];
  for (const s of sections) {
    const pts = payloadTypesOf(s);
    if (pts.length === 0) {
      rejected.push({ index: s.index, error: sdpError(`media section ${s.index} lists no payload type`) });
      continue;
    }
    const control = resolveControl(base, s.control);
    if (control instanceof CamrtcError) {
      rejected.push({ index: s.index, error: control });
      continue;
    }
    const formats = pts.map((pt) => formatOf(s, pt));
    const chosen = chooseFormat(s.kind, formats);
    const track: Track = {
      index: s.index,
      kind: s.kind,
      codec: chosen.codec,
      payloadType: chosen.payloadType,
      clockRate: chosen.clockRate,
      ...(chosen.channels ? { channels: chosen.channels } : {}),
      fmtp: chosen.fmtp,
      control,
      direction: s.direction ?? sessionDirection ?? 'recvonly',
      ...(formats.length > 1 ? { formats } : {}),
    };
    tracks.push(track);
  }

  return { tracks: normalizeBackchannels(tracks), ...(sessionName !== undefined ? { sessionName } : {}), rejected };
}

/**
 * Some cameras mark ordinary tracks `sendonly` (IDS uEye video, a Shift_JIS "CV-RTSPHandler"
 * camera, a FRITZ!Box). A real backchannel is audio the client sends to the camera, next to tracks
 * the camera sends: anything else marked sendonly is read as recvonly.
 */
function normalizeBackchannels(tracks: Track[]): Track[] {
  const hasReceivable = tracks.some((t) => t.direction !== 'sendonly');
  return tracks.map((t) => (t.direction === 'sendonly' && !(t.kind === 'audio' && hasReceivable) ? { ...t, direction: 'recvonly' } : t));
}

/** A track the client would send to the camera (ONVIF audio backchannel): never SETUP unless asked. */
export function isBackchannel(track: Track): boolean {
  return track.direction === 'sendonly';
}

export function isAacCodec(codec: string): boolean {
  return AAC_CODECS.has(codec);
}

/**
 * The tracks camrtc plays: the first H264 or H265 video track and one audio track, in SDP order.
 * For audio, a codec browsers take as is (PCMA, PCMU, Opus) is preferred over AAC (which must be
 * transcoded); among equals the first wins. Metadata, backchannel and inactive tracks are skipped.
 */
export function selectPlayableTracks(tracks: readonly Track[]): Track[] {
  const usable = tracks.filter((t) => !isBackchannel(t) && t.direction !== 'inactive');
  const video = usable.find((t) => t.kind === 'video' && (t.codec === 'H264' || t.codec === 'H265'));
  const audios = usable.filter((t) => t.kind === 'audio');
  const audio = audios.find((t) => FORWARDABLE_CODECS.has(t.codec)) ?? audios.find((t) => isAacCodec(t.codec));
  return [video, audio].filter((t): t is Track => t !== undefined).sort((a, b) => a.index - b.index);
}
