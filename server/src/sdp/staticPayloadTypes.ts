/**
 * RTP/AVP static payload types (RFC 3551 tables 4 and 5): cameras often send `m=audio 0 RTP/AVP 0`
 * with no rtpmap line, and expect the client to know that 0 is PCMU/8000.
 */
export interface StaticPayloadType {
  readonly kind: 'audio' | 'video';
  readonly codec: string;
  readonly clockRate: number;
  readonly channels?: number;
}

export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, StaticPayloadType> = new Map<number, StaticPayloadType>([
  [0, { kind: 'audio', codec: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { kind: 'audio', codec: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { kind: 'audio', codec: 'G723', clockRate: 8000, channels: 1 }],
  [5, { kind: 'audio', codec: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { kind: 'audio', codec: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { kind: 'audio', codec: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { kind: 'audio', codec: 'PCMA', clockRate: 8000, channels: 1 }],
  // G.722's RTP clock is 8000 although it samples at 16 kHz (RFC 3551 §4.5.2).
  [9, { kind: 'audio', codec: 'G722', clockRate: 8000, channels: 1 }],
  [10, { kind: 'audio', codec: 'L16', clockRate: 44100, channels: 2 }],
  [11, { kind: 'audio', codec: 'L16', clockRate: 44100, channels: 1 }],
  [12, { kind: 'audio', codec: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { kind: 'audio', codec: 'CN', clockRate: 8000, channels: 1 }],
  [14, { kind: 'audio', codec: 'MPA', clockRate: 90000 }],
  [15, { kind: 'audio', codec: 'G728', clockRate: 8000, channels: 1 }],
  [16, { kind: 'audio', codec: 'DVI4', clockRate: 11025, channels: 1 }],
  [17, { kind: 'audio', codec: 'DVI4', clockRate: 22050, channels: 1 }],
  [18, { kind: 'audio', codec: 'G729', clockRate: 8000, channels: 1 }],
  [25, { kind: 'video', codec: 'CELB', clockRate: 90000 }],
  [26, { kind: 'video', codec: 'JPEG', clockRate: 90000 }],
  [28, { kind: 'video', codec: 'NV', clockRate: 90000 }],
  [31, { kind: 'video', codec: 'H261', clockRate: 90000 }],
  [32, { kind: 'video', codec: 'MPV', clockRate: 90000 }],
  [33, { kind: 'video', codec: 'MP2T', clockRate: 90000 }],
  [34, { kind: 'video', codec: 'H263', clockRate: 90000 }],
]);

/** Payload types 96-127 are dynamic: their meaning comes from rtpmap only. */
export function isDynamicPayloadType(pt: number): boolean {
  return pt >= 96 && pt <= 127;
}
