/** What the RTSP server reads in the RTCP its clients send. Pure. */
import { CamrtcError } from '../../errors.js';
import { parseRtcp, RTCP_PSFB } from '../../rtp/rtcp.js';

const PSFB_PLI = 1;
const PSFB_FIR = 4;

/**
 * Whether a compound RTCP packet asks for a keyframe of the stream `ssrc` (any stream when
 * undefined): a PLI naming it in its media-source field (RFC 4585 §6.3.1), or a FIR naming it in its
 * first FCI entry (RFC 5104 §4.3.1). A PLI and a FIR in one compound are one request.
 */
export function isKeyframeRequest(packet: Buffer, ssrc: number | undefined): boolean {
  const items = parseRtcp(packet);
  if (items instanceof CamrtcError) return false;
  return items.some((item) => {
    if (item.packetType !== RTCP_PSFB) return false;
    const at = item.count === PSFB_PLI ? 8 : item.count === PSFB_FIR ? 12 : -1;
    if (at < 0 || item.length < at + 4) return false;
    return ssrc === undefined || packet.readUInt32BE(item.offset + at) === ssrc;
  });
}
