/**
 * The browser's side of two-way audio on a Viewer: its audio section's RTP, through werift's public
 * track events, to the viewer's talk sink. Nothing arrives until the browser talks (its sender has no
 * track before), and nothing is kept: each payload goes on in the tick it arrived.
 */
import type { RTCRtpTransceiver } from 'werift';
import type { BrowserTalkCodec } from '../talk/talkPlan.js';

/** A talk payload larger than this is no browser's 20 ms of audio: dropped. */
export const MAX_TALK_PAYLOAD = 1500;

/** The codec name of a mime type, as talk/talkPlan.ts names browser codecs. */
export function mimeCodec(mimeType: string): BrowserTalkCodec | undefined {
  const name = mimeType.split('/')[1]?.toUpperCase();
  return name === 'PCMU' || name === 'PCMA' || name === 'OPUS' ? name : undefined;
}

/** Sends every RTP payload the browser sends on `transceiver` to `sink`. */
export function receiveTalk(transceiver: RTCRtpTransceiver, sink: (payload: Buffer) => void): void {
  transceiver.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (rtp.payload.length > 0 && rtp.payload.length <= MAX_TALK_PAYLOAD) sink(rtp.payload);
    });
  });
}
