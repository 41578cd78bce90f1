/**
 * Which codecs two-way audio uses (pure). The camera's backchannel says what its speaker takes; the
 * browser sends on the viewer's one audio media section, in that section's one codec: the codec of
 * the camera's own audio when the viewer gets it (a second codec in the section would let the browser
 * pick the send codec, and camrtc's writer takes the payload type werift negotiated first), else the
 * backchannel's own codec when a browser can send it, else Opus. What the browser sends becomes what
 * the camera takes: as is (same G.711), by table (A-law and µ-law), or through ffmpeg (Opus, AAC, L16).
 */
import { parseAudioSpecificConfig, type AacConfig } from '../audio/aacConfig.js';
import { CamrtcError } from '../errors.js';
import type { Track, TrackFormat } from '../sdp/Track.js';

/** What a browser sends to camrtc: G.711 (8 kHz mono) or Opus. */
export type BrowserTalkCodec = 'PCMU' | 'PCMA' | 'OPUS';

/** What camrtc can send to a camera's speaker. */
export type CameraTalkCodec = 'PCMU' | 'PCMA' | 'AAC' | 'L16';

/** The backchannel format camrtc sends, from the camera's SDP. */
export interface CameraTalkFormat {
  readonly codec: CameraTalkCodec;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly channels: number;
  /** AAC only: the AudioSpecificConfig of the camera's `config` (what ffmpeg encodes). */
  readonly aac?: AacConfig;
}

/** How the browser's audio becomes the camera's. */
export type TalkConversion = 'none' | 'g711' | 'ffmpeg';

function isG711(format: TrackFormat): boolean {
  return (format.codec === 'PCMU' || format.codec === 'PCMA') && format.clockRate === 8000 && (format.channels ?? 1) === 1;
}

/** One backchannel format as camrtc would send it, or why not. */
function talkFormat(format: TrackFormat): CameraTalkFormat | string {
  if (isG711(format)) return { codec: format.codec as 'PCMU' | 'PCMA', payloadType: format.payloadType, clockRate: 8000, channels: 1 };
  if (format.codec === 'MPEG4-GENERIC') {
    // AAC-hbr (13-bit AU sizes) is what cameras announce; AAC-lbr's 63-byte frames do not fit an encoder's.
    if ((format.fmtp.mode ?? '').toLowerCase() !== 'aac-hbr') return `AAC in mode ${format.fmtp.mode ?? '(none)'}`;
    if ((format.fmtp.sizelength ?? '13') !== '13') return `AAC with sizelength ${format.fmtp.sizelength}`;
    const aac = parseAudioSpecificConfig(format.fmtp.config);
    if (aac instanceof CamrtcError) return `AAC with an unreadable config (${aac.message})`;
    return { codec: 'AAC', payloadType: format.payloadType, clockRate: format.clockRate || aac.sampleRate, channels: aac.channels, aac };
  }
  if (format.codec === 'L16' && format.clockRate >= 8000 && format.clockRate <= 48000) {
    return { codec: 'L16', payloadType: format.payloadType, clockRate: format.clockRate, channels: format.channels ?? 1 };
  }
  return `${format.codec || `payload type ${format.payloadType}`}/${format.clockRate}`;
}

/**
 * The format camrtc sends on this backchannel track: the first of its formats camrtc can make, G.711
 * preferred (no transcoding at all). A string says why none can be sent.
 */
export function chooseTalkFormat(track: Track): CameraTalkFormat | string {
  const formats: readonly TrackFormat[] = track.formats ?? [track];
  const usable = formats.map(talkFormat);
  const g711 = usable.find((f): f is CameraTalkFormat => typeof f !== 'string' && (f.codec === 'PCMU' || f.codec === 'PCMA'));
  const any = usable.find((f): f is CameraTalkFormat => typeof f !== 'string');
  return g711 ?? any ?? `the camera's backchannel takes ${usable.join(', ')}, which camrtc cannot send`;
}

/**
 * What the browser sends: `viewerAudio` is the codec of the viewer's audio section when the camera's
 * audio goes to the viewer (the section carries that codec both ways); without it, the backchannel's
 * own G.711, else Opus.
 */
export function browserTalkCodec(viewerAudio: BrowserTalkCodec | undefined, camera: CameraTalkFormat): BrowserTalkCodec {
  if (viewerAudio) return viewerAudio;
  return camera.codec === 'PCMU' || camera.codec === 'PCMA' ? camera.codec : 'OPUS';
}

export function conversionOf(browser: BrowserTalkCodec, camera: CameraTalkFormat): TalkConversion {
  if (browser === camera.codec) return 'none';
  if (browser !== 'OPUS' && (camera.codec === 'PCMU' || camera.codec === 'PCMA')) return 'g711';
  return 'ffmpeg';
}

/** The format camrtc would send to this camera's backchannel, when it has one camrtc can use. */
export function talkFormatOf(camera: { readonly backchannel?: Track }): CameraTalkFormat | undefined {
  const track = camera.backchannel;
  if (!track) return undefined;
  const format = chooseTalkFormat(track);
  return typeof format === 'string' ? undefined : format;
}
